"""Every GraphQL document the plugin sends to Stash, with exactly the fields a Plex sync needs.

The field set is valid on Stash v0.24 through v0.30 (no removed `path`/`file`/`rating`, no `groups` which needs
v0.27). tests/stash/test_documents.py validates each document in ALL_DOCUMENTS against the real v0.30.1 schema.
"""

from __future__ import annotations

from typing import Dict

# Inlined rather than a named fragment: every server we talk to (Stash, the simulator, proxies) handles it.
SCENE_FIELDS = """id title details date rating100 updated_at created_at
      files { path size duration }
      paths { screenshot }
      studio { id name }
      performers { id name }
      tags { id name }"""

# With `ids`, Stash ignores paging and fails the whole query when one id no longer exists. The client still sends
# filter {per_page: -1} so a server that does page id lookups (default 25) cannot truncate a batch.
FIND_SCENES_BY_IDS = f"""
query FindScenesByIds($ids: [ID!], $filter: FindFilterType) {{
  findScenes(ids: $ids, filter: $filter) {{
    count
    scenes {{ {SCENE_FIELDS} }}
  }}
}}
"""

# Used one id at a time when FIND_SCENES_BY_IDS failed because a scene was deleted: findScene answers null instead.
FIND_SCENE = f"""
query FindScene($id: ID!) {{
  findScene(id: $id) {{ {SCENE_FIELDS} }}
}}
"""

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

PLUGIN_CONFIGURATION = """
query PluginConfiguration($include: [ID!]) {
  configuration {
    plugins(include: $include)
    general { apiKey }
  }
}
"""

ALL_DOCUMENTS: Dict[str, str] = {
    "FindScenesByIds": FIND_SCENES_BY_IDS,
    "FindScene": FIND_SCENE,
    "FindScenesPage": FIND_SCENES_PAGE,
    "FindSceneIds": FIND_SCENE_IDS,
    "PluginConfiguration": PLUGIN_CONFIGURATION,
}
