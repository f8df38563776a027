"""Every GraphQL document the plugin sends to Stash, with exactly the fields a Plex sync needs.

Every document is valid on every Stash the plugin supports, v0.24 to develop: no removed `path`/`file`/`rating`;
`movies` rather than `groups`, which needs v0.27 (`movies` is deprecated since then but every version answers it);
no `findScenes(ids:)`, which needs v0.25. tests/stash/test_documents.py validates each one in ALL_DOCUMENTS against
the real schema of v0.24.0, v0.25.0, v0.27.0, v0.30.1 and develop.
"""

from __future__ import annotations

from typing import Dict

# Inlined rather than a named fragment: every server we talk to (Stash, the simulator, proxies) handles it.
SCENE_FIELDS = """id title details date rating100 director organized updated_at created_at
      files { path size duration }
      paths { screenshot }
      stash_ids { stash_id }
      studio { id name parent_studio { name } }
      performers { id name image_path }
      tags { id name }
      movies { movie { name } }"""



def find_scenes_by_ids(count: int) -> str:
    """One `findScene(id:)` field per scene, aliased `s0`, `s1`, ... with variables `$s0`, `$s1`, ...

    Valid on every Stash (v0.24 has no `findScenes(ids:)`), and a deleted scene answers null instead of failing
    the whole query as `findScenes(ids:)` does.
    """
    variables = ", ".join(f"$s{i}: ID!" for i in range(count))
    fields = "\n  ".join(f"s{i}: findScene(id: $s{i}) {{ {SCENE_FIELDS} }}" for i in range(count))
    return f"query FindScenesByIds({variables}) {{\n  {fields}\n}}\n"


FIND_SCENES_PAGE = f"""
query FindScenesPage($filter: FindFilterType, $scene_filter: SceneFilterType) {{
  findScenes(filter: $filter, scene_filter: $scene_filter) {{
    count
    scenes {{ {SCENE_FIELDS} }}
  }}
}}
"""

FIND_SCENE_IDS = """
query FindSceneIds($filter: FindFilterType, $scene_filter: SceneFilterType) {
  findScenes(filter: $filter, scene_filter: $scene_filter) {
    count
    scenes { id }
  }
}
"""

# Watch state (sync_watch_state). Reading, the resume point and sceneIncrementPlayCount work on every version;
# sceneAddPlay (plays dated as given) needs v0.25: `StashClient.add_plays` chooses by the server's version.
FIND_WATCHED_PAGE = """
query FindWatchedPage($filter: FindFilterType, $scene_filter: SceneFilterType) {
  findScenes(filter: $filter, scene_filter: $scene_filter) {
    count
    scenes { id play_count last_played_at resume_time play_duration files { duration } }
  }
}
"""

VERSION = "query Version { version { version } }"

# v0.24: one play dated now (`pkg/sqlite/scene.go` IncrementWatchCount); no hook, updated_at untouched.
INCREMENT_PLAY = """
mutation IncrementPlay($id: ID!) {
  sceneIncrementPlayCount(id: $id)
}
"""

SAVE_RESUME = """
mutation SaveResume($id: ID!, $resume_time: Float) {
  sceneSaveActivity(id: $id, resume_time: $resume_time)
}
"""

ADD_PLAYS = """
mutation AddPlays($id: ID!, $times: [Timestamp!]) {
  sceneAddPlay(id: $id, times: $times) { count }
}
"""
ADD_PLAYS_SINCE = (0, 25)

# How many performers there are and the newest id (ids are never reused: `autoincrement`): with the last tally,
# whether any performer went away (a merge on develop fires no hook: `reconciliation.engine`).
PERFORMER_TALLY = """
query PerformerTally {
  findPerformers(filter: {per_page: 1, sort: "id", direction: DESC}) { count performers { id } }
}
"""

PLUGIN_ID = "Stash2Plex"  # the manifest's file name: Stash keys the plugin's settings by it
# The id as a literal: `include` is [String!] on v0.24 and [ID!] since v0.25; a string literal is both.
PLUGIN_CONFIGURATION = f"""
query PluginConfiguration {{
  configuration {{
    plugins(include: ["{PLUGIN_ID}"])
    general {{ apiKey }}
  }}
}}
"""

# Replaces the plugin's whole settings map (Stash has no per-key write): callers merge first.
CONFIGURE_PLUGIN = f"""
mutation ConfigurePlugin($input: Map!) {{
  configurePlugin(plugin_id: "{PLUGIN_ID}", input: $input)
}}
"""

# The tag marking scenes not in Plex (setting tag_not_in_plex; stash.tagging).
FIND_TAG_BY_NAME = """
query FindTagByName($name: String!) {
  findTags(tag_filter: {name: {value: $name, modifier: EQUALS}}) { tags { id name } }
}
"""
CREATE_TAG = """
mutation CreateTag($name: String!) {
  tagCreate(input: {name: $name}) { id }
}
"""
TAG_SCENES = """
mutation TagScenes($ids: [ID!], $tag: [ID!], $mode: BulkUpdateIdMode!) {
  bulkSceneUpdate(input: {ids: $ids, tag_ids: {mode: $mode, ids: $tag}}) { id }
}
"""

ALL_DOCUMENTS: Dict[str, str] = {
    "FindScenesByIds": find_scenes_by_ids(3),
    "FindScenesPage": FIND_SCENES_PAGE,
    "FindSceneIds": FIND_SCENE_IDS,
    "PluginConfiguration": PLUGIN_CONFIGURATION,
    "ConfigurePlugin": CONFIGURE_PLUGIN,
    "FindWatchedPage": FIND_WATCHED_PAGE,
    "SaveResume": SAVE_RESUME,
    "Version": VERSION,
    "IncrementPlay": INCREMENT_PLAY,
    "PerformerTally": PERFORMER_TALLY,
    "FindTagByName": FIND_TAG_BY_NAME,
    "CreateTag": CREATE_TAG,
    "TagScenes": TAG_SCENES,
}
# Documents valid from a given version on (older ones answer a validation error; the client probes the version).
LATER_DOCUMENTS: Dict[str, tuple[str, str]] = {"AddPlays": (ADD_PLAYS, "v{}.{}.0".format(*ADD_PLAYS_SINCE))}
