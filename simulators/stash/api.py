"""The GraphQL engine: the SDL subset bound to resolvers over the store, the plugin host and the job queue.

Requests are answered the way gqlgen answers them for Stash: a document that does not parse or validate (or whose
variables do not coerce) gets HTTP 422 with {"errors": [...], "data": null}; resolver errors get 200 with the
errors beside the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from simulators.shared import LATEST_RELEASE, SharedDataMissing, stash_schema_sdl
from simulators.stash.jobs import JobQueue
from simulators.stash.plugins import PluginHost
from simulators.stash.query import compare_string, find_scenes
from simulators.stash.runner import GoStruct
from simulators.stash.schema import SDL
from simulators.stash.store import StashStore, parse_time

DOCUMENTS_KEPT = 256  # checked documents kept (`StashApi._checked`); clients send a few dozen distinct ones
VERSION = {"version": "v0.30.1", "hash": "b23b0267", "build_time": "2025-12-18 00:00:00"}


@dataclass
class RequestContext:
    base_url: str
    # The simulator's own control calls (tests, benchmarks, demo) use the latest schema whatever version is
    # served; only clients (the plugin) are held to the served version's real schema.
    control: bool = False


def go_input(type_: Any, value: Any) -> Any:
    """An input value as Stash marshals its Go input struct: every field present, unset ones null."""
    if isinstance(type_, GraphQLNonNull):
        return go_input(type_.of_type, value)
    if value is None:
        return None
    if isinstance(type_, GraphQLList):
        return [go_input(type_.of_type, v) for v in value]
    if isinstance(type_, GraphQLInputObjectType):
        return GoStruct((name, go_input(f.type, value.get(name))) for name, f in type_.fields.items())
    return value


class _SceneView:
    """A scene as the GraphQL Scene type sees it; methods are the resolver-backed fields."""

    __slots__ = ("_s", "_store", "_base")

    def __init__(self, scene: dict, store: StashStore, base_url: str) -> None:
        self._s, self._store, self._base = scene, store, base_url

    def __getattr__(self, name: str) -> Any:
        # Only stored fields: answering every name would make graphql-core think a view is awaitable.
        try:
            return self._s[name]
        except KeyError:
            raise AttributeError(name) from None

    def title(self, _info) -> str:
        return self._s["title"] or ""

    def code(self, _info) -> str:
        return self._s["code"] or ""

    def url(self, _info) -> str | None:
        return self._s["urls"][0] if self._s["urls"] else None

    def o_counter(self, _info) -> int:
        return 0

    def play_count(self, _info) -> int:
        return len(self._s["play_dates"])

    def play_history(self, _info) -> list[str]:
        return self._store.play_history(self._s)

    def last_played_at(self, _info) -> str | None:
        history = self._store.play_history(self._s)
        return history[0] if history else None

    def interactive(self, _info) -> bool:
        return False

    def files(self, _info) -> list[dict]:
        return [_file_view(f, self._s) for f in self._s["files"]]

    def paths(self, _info) -> dict:
        sid, base = self._s["id"], self._base
        stamp = int(parse_time(self._s["updated_at"]).timestamp())
        return {
            "screenshot": f"{base}/scene/{sid}/screenshot?t={stamp}",
            "preview": f"{base}/scene/{sid}/preview",
            "stream": f"{base}/scene/{sid}/stream",
            "webp": f"{base}/scene/{sid}/webp",
            "vtt": f"{base}/scene/{sid}_thumbs.vtt",
            "sprite": f"{base}/scene/{sid}_sprite.jpg",
        }

    def studio(self, _info) -> dict | None:
        sid = self._s["studio_id"]
        return _studio_view(self._store, sid, self._base) if sid else None

    def performers(self, _info) -> list[dict]:
        return [_performer_view(self._store, self._store.performer(pid), self._base)
                for pid in self._s["performer_ids"]]

    def tags(self, _info) -> list[dict]:
        out = []
        for tid in self._s["tag_ids"]:
            t = self._store.tag(tid)
            out.append({**t, "aliases": t.get("aliases") or [], "image_path": f"{self._base}/tag/{tid}/image",
                        "scene_count": lambda _info, tid=tid, **_: _count(self._store, "tag_ids", tid)})
        return out

    def groups(self, _info) -> list:
        return [{"group": self._store.group(g["group_id"]), "scene_index": g["scene_index"]}
                for g in self._s.get("groups") or []]

    def movies(self, _info) -> list:
        return [{"movie": self._store.group(g["group_id"]), "scene_index": g["scene_index"]}
                for g in self._s.get("groups") or []]

    def stash_ids(self, _info) -> list:
        return []


def _history(dates: list[str]) -> dict:
    """HistoryMutationResult: the scene's play history after the change, and its length."""
    return {"count": len(dates), "history": dates}


def _count(store: StashStore, key: str, value: str) -> int:
    return sum(1 for s in store.scenes() if value in s[key])


def _file_view(f: dict, scene: dict) -> dict:
    fingerprints = [{"type": "oshash", "value": f"{int(f['id']):016x}"}]
    return {
        **f, "mod_time": scene["created_at"], "created_at": scene["created_at"], "updated_at": scene["created_at"],
        "fingerprints": fingerprints,
        "fingerprint": lambda _info, type: next((x["value"] for x in fingerprints if x["type"] == type), None),
        "format": "mp4", "video_codec": "h264", "audio_codec": "aac", "frame_rate": 29.97, "bit_rate": 8_000_000,
    }


def _performer_view(store: StashStore, p: dict, base: str) -> dict:
    """A performer as the API shows it. `image_path` as internal/api/urlbuilders/performer.go builds it: the
    request's base URL, `?t=` the record's updated_at in Unix seconds, `&default=true` without an image."""
    stamp = int(parse_time(p["updated_at"]).timestamp())
    image_path = f"{base}/performer/{p['id']}/image?t={stamp}" + ("" if p.get("has_image") else "&default=true")
    return {**p, "urls": p.get("urls") or [], "alias_list": p.get("alias_list") or [],
            "favorite": bool(p.get("favorite")), "image_path": image_path,
            "scene_count": lambda _info: _count(store, "performer_ids", p["id"])}


def _studio_view(store: StashStore, studio_id: str, base: str) -> dict | None:
    s = store.studio(studio_id)
    if s is None:
        return None
    return {
        **s, "urls": s.get("urls") or [], "aliases": s.get("aliases") or [],
        "url": (s.get("urls") or [None])[0], "image_path": f"{base}/studio/{studio_id}/image",
        "parent_studio": (lambda _info: _studio_view(store, s["parent_id"], base) if s["parent_id"] else None),
        "scene_count": lambda _info, **_: _count_studio(store, studio_id),
    }


def _count_studio(store: StashStore, studio_id: str) -> int:
    return sum(1 for s in store.scenes() if s["studio_id"] == studio_id)


def _plugin_args(items: list[dict] | None) -> dict:
    """The deprecated `args: [PluginArgInput]` form, converted to the map Stash builds from it."""

    def value(v: dict | None) -> Any:
        if v is None:
            return None
        if v.get("o") is not None:
            return _plugin_args(v["o"])
        if v.get("a") is not None:
            return [value(x) for x in v["a"]]
        for key in ("str", "i", "b", "f"):
            if v.get(key) is not None:
                return v[key]
        return None

    return {item["key"]: value(item.get("value")) for item in items or []}


class StashApi:
    """Binds resolvers to the schema; one instance per simulator."""

    def __init__(self, store: StashStore, host: PluginHost, jobs: JobQueue, api_key: Callable[[], str],
                 version: str = LATEST_RELEASE) -> None:
        self.store, self.host, self.jobs, self._api_key = store, host, jobs, api_key
        self.schema: GraphQLSchema = build_schema(SDL)
        # The real schema of the Stash version served: a document it refuses is refused here too, whatever the
        # simulator's own (smaller) schema would accept. Only the latest release may run without its copy.
        try:
            self.real_schema: GraphQLSchema | None = build_schema(stash_schema_sdl(version))
        except SharedDataMissing:
            if version != LATEST_RELEASE:
                raise
            self.real_schema = None
        self.version = {**VERSION, "version": version}
        self._documents: dict[tuple[str, bool], tuple] = {}
        query, mutation = self.schema.query_type.fields, self.schema.mutation_type.fields
        bindings = [
            (query, {
                "findScene": self.find_scene, "findScenes": self.find_scenes, "configuration": self.configuration,
                "findPerformers": self.find_performers,
                "systemStatus": self.system_status, "jobQueue": self.job_queue, "findJob": self.find_job,
                "version": lambda _root, _info: self.version,
                "findTags": self.find_tags,
            }),
            (mutation, {
                "sceneUpdate": self.scene_update, "bulkSceneUpdate": self.bulk_scene_update,
                "performerUpdate": self.performer_update, "studioUpdate": self.studio_update,
                "tagUpdate": self.tag_update, "tagsMerge": self.tags_merge,
                "tagDestroy": self._destroyer("Tag"), "performerDestroy": self._destroyer("Performer"),
                "studioDestroy": self._destroyer("Studio"), "configurePlugin": self.configure_plugin,
                "groupCreate": lambda _root, _info, input: self.store.create_group(input["name"]),
                "tagCreate": lambda _root, info, input: self._tag_view(self.store.create_tag(input["name"]), info),
                "groupUpdate": self.group_update,
                "sceneAddPlay": lambda _root, _info, id, times=None: _history(self.store.add_plays(id, times)),
                # One play dated now; answers the new count (v0.24.0 `IncrementWatchCount`).
                "sceneIncrementPlayCount": lambda _root, _info, id: len(self.store.add_plays(id, None)),
                "sceneDeletePlay": lambda _root, _info, id, times=None: _history(self.store.delete_plays(id, times)),
                "sceneSaveActivity": lambda _root, _info, id, resume_time=None, playDuration=None: (
                    self.store.save_activity(id, resume_time, playDuration) or True),
                "sceneResetPlayCount": lambda _root, _info, id: self.store.reset_play_count(id),
                "runPluginTask": self.run_plugin_task,
                "runPluginOperation": lambda _root, _info, plugin_id, args=None: self.host.run_operation(
                    plugin_id, args),
            }),
        ]
        for fields, resolvers in bindings:
            for name, resolver in resolvers.items():
                fields[name].resolve = resolver

    # -- helpers --------------------------------------------------------------------------------------------
    def _view(self, scene: dict | None, info) -> _SceneView | None:
        return _SceneView(scene, self.store, info.context.base_url) if scene else None

    def _input_type(self, name: str) -> GraphQLInputObjectType:
        return self.schema.type_map[name]

    # -- queries --------------------------------------------------------------------------------------------
    def find_scene(self, _root, info, id=None, checksum=None):
        if id is not None:
            return self._view(self.store.scene(id), info)
        return None

    def find_scenes(self, _root, info, scene_filter=None, scene_ids=None, ids=None, filter=None):
        wanted = ids if ids is not None else scene_ids
        matched, page = find_scenes(self.store, scene_filter, wanted, filter)
        # The totals cost a pass over every match: computed only when asked for (graphql calls a callable value).
        return {
            "count": len(matched),
            "duration": lambda _info: float(sum(s["files"][0]["duration"] for s in matched if s["files"])),
            "filesize": lambda _info: float(sum(s["files"][0]["size"] for s in matched if s["files"])),
            "scenes": [self._view(s, info) for s in page],
        }

    def find_performers(self, _root, info, filter=None):
        """Sorted by id (or name), paged as findScenes is; per_page 0 answers the count alone."""
        performers = self.store.performers()
        filter = filter or {}
        if filter.get("sort") == "name":
            performers.sort(key=lambda p: p["name"].casefold())
        if filter.get("direction") == "DESC":
            performers.reverse()
        per_page, page = int(filter.get("per_page", 25)), max(1, int(filter.get("page") or 1))
        shown = performers if per_page < 0 else performers[(page - 1) * per_page:page * per_page]
        return {"count": len(performers),
                "performers": [_performer_view(self.store, p, info.context.base_url) for p in shown]}

    def configuration(self, _root, _info):
        return {
            "general": {"apiKey": self._api_key()},
            "plugins": lambda _info, include=None: self.store.plugin_settings(include),
        }

    def system_status(self, _root, _info):
        return {"databaseSchema": 75, "appSchema": 75, "status": "OK", "os": "linux", "workingDir": str(self.host.cwd)}

    def job_queue(self, _root, _info):
        return [j.to_graphql() for j in self.jobs.active()]

    def find_job(self, _root, _info, input):
        job = self.jobs.get(input["id"])
        return job.to_graphql() if job else None

    # -- mutations ------------------------------------------------------------------------------------------
    def scene_update(self, _root, info, input):
        scene = self.store.update_scene(input["id"], input)
        hook_input = go_input(self._input_type("SceneUpdateInput"), input)
        self.host.run_hooks("Scene.Update.Post", int(scene["id"]), hook_input, list(input))
        return self._view(self.store.scene(scene["id"]), info)

    def bulk_scene_update(self, _root, info, input):
        scenes = self.store.bulk_update_scenes(input.get("ids") or [], input)
        hook_input = go_input(self._input_type("BulkSceneUpdateInput"), input)
        for scene in scenes:
            self.host.run_hooks("Scene.Update.Post", int(scene["id"]), hook_input, list(input))
        return [self._view(self.store.scene(s["id"]), info) for s in scenes]

    def _entity_update(self, kind: str, update: Callable[[Any, dict], dict], input_type: str, input: dict) -> dict:
        entity = update(input["id"], input)
        hook_input = go_input(self._input_type(input_type), input)
        self.host.run_hooks(f"{kind}.Update.Post", int(entity["id"]), hook_input, list(input))
        return entity

    def performer_update(self, _root, info, input):
        p = self._entity_update("Performer", self.store.update_performer, "PerformerUpdateInput", input)
        return _performer_view(self.store, p, info.context.base_url)

    def find_tags(self, _root, info, tag_filter=None, filter=None, ids=None):
        """By name criterion (case-insensitive, as Stash's sqlite LIKE/= on names) or ids; no paging needed here."""
        name = (tag_filter or {}).get("name")
        tags = [t for t in self.store.tags() if (ids is None or t["id"] in [str(i) for i in ids])
                and (name is None or compare_string(t["name"], name))]
        return {"count": len(tags), "tags": [self._tag_view(t, info) for t in tags]}

    def _tag_view(self, t: dict, info) -> dict:
        return {**t, "aliases": t.get("aliases") or [], "image_path": f"{info.context.base_url}/tag/{t['id']}/image",
                "scene_count": lambda _info, **_: _count(self.store, "tag_ids", t["id"])}

    def tag_update(self, _root, info, input):
        return self._tag_view(self._entity_update("Tag", self.store.update_tag, "TagUpdateInput", input), info)

    def studio_update(self, _root, info, input):
        s = self._entity_update("Studio", self.store.update_studio, "StudioUpdateInput", input)
        return _studio_view(self.store, s["id"], info.context.base_url)

    def group_update(self, _root, _info, input):
        """Since v0.27 a group edit fires Group.Update.Post and then, for older plugins, Movie.Update.Post with the
        same input (resolver_mutation_group.go:212-213); before v0.27 only Movie.Update.Post fired."""
        group = self._entity_update("Group", self.store.update_group, "GroupUpdateInput", input)
        hook_input = go_input(self._input_type("GroupUpdateInput"), input)
        self.host.run_hooks("Movie.Update.Post", int(group["id"]), hook_input, list(input))
        return group

    def tags_merge(self, _root, info, input):
        """Stash fires only Tag.Merge.Post, with the destination's id (resolver_mutation_tag.go:349)."""
        t = self.store.merge_tags(input["source"], input["destination"])
        self.host.run_hooks("Tag.Merge.Post", int(t["id"]), go_input(self._input_type("TagsMergeInput"), input), [])
        return {**t, "aliases": t.get("aliases") or [], "image_path": f"{info.context.base_url}/tag/{t['id']}/image",
                "scene_count": lambda _info, **_: _count(self.store, "tag_ids", t["id"])}

    def _destroyer(self, kind: str) -> Callable:
        """<Kind>Destroy fires <Kind>.Destroy.Post with the input and no inputFields (e.g.
        resolver_mutation_performer.go:479); the scenes that lost the link fire nothing."""
        def destroy(_root, _info, input):
            self.store.destroy_entity(kind.lower(), input["id"])
            hook_input = go_input(self._input_type(f"{kind}DestroyInput"), input)
            self.host.run_hooks(f"{kind}.Destroy.Post", int(input["id"]), hook_input, [])
            return True

        return destroy

    def configure_plugin(self, _root, _info, plugin_id, input):
        return self.store.set_plugin_settings(plugin_id, input)

    def run_plugin_task(self, _root, _info, plugin_id, task_name=None, description=None, args=None, args_map=None):
        merged = {**_plugin_args(args), **(args_map or {})}
        return self.host.start_task(plugin_id, task_name, description, merged)

    # -- the HTTP-facing entry ------------------------------------------------------------------------------
    def operation_key(self, body: dict) -> str:
        """The name a request is counted under: its operation name, else its root fields."""
        doc = self._checked(body.get("query") or "", True)[0]
        if doc is None:
            return "<invalid>"
        op = get_operation_ast(doc, body.get("operationName"))
        if op is None:
            return "<invalid>"
        if op.name is not None:
            return op.name.value
        return ",".join(sel.name.value for sel in op.selection_set.selections if hasattr(sel, "name"))

    def handle(self, body: Any, context: RequestContext) -> tuple[int, dict]:
        """Answers one GraphQL request as gqlgen does for the served Stash version."""
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return 422, {"errors": [{"message": "no operation provided",
                                     "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}], "data": None}
        doc, errors, code = self._checked(body["query"], context.control)
        if errors:
            return 422, _errors(errors, code)
        operation_name = body.get("operationName") or None
        op = get_operation_ast(doc, operation_name)
        if not isinstance(op, OperationDefinitionNode):
            msg = f'operation {operation_name} not found' if operation_name else "operation name is required"
            return 422, {"errors": [{"message": msg, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}],
                         "data": None}
        variables = body.get("variables") or {}
        coerced = get_variable_values(self.schema, op.variable_definitions or [], variables)
        if isinstance(coerced, list):
            return 422, _errors(coerced, "GRAPHQL_VALIDATION_FAILED")
        result = execute(self.schema, doc, variable_values=variables, operation_name=operation_name,
                         context_value=context)
        payload: dict = {}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        payload["data"] = result.data
        return 200, payload


    def _checked(self, query: str, control: bool) -> tuple[DocumentNode | None, list[GraphQLError], str]:
        """The parsed document and its errors (none, or parse or validation errors with their gqlgen code), as
        a client's request (checked against the served version's real schema too) or a control call's. Both
        are pure functions of the text, and parsing and validating were most of the simulator's time: a
        client sends the same few documents over and over, so each answer is kept (a bounded number)."""
        key = (query, control)
        found = self._documents.get(key)
        if found is None:
            found = _check(query, None if control else self.real_schema, self.schema)
            if len(self._documents) >= DOCUMENTS_KEPT:
                self._documents.clear()
            self._documents[key] = found
        return found


def _check(query: str, real_schema: GraphQLSchema | None,
           schema: GraphQLSchema) -> tuple[DocumentNode | None, list[GraphQLError], str]:
    try:
        doc = parse(query)
    except GraphQLError as exc:
        return None, [exc], "GRAPHQL_PARSE_FAILED"
    errors = validate(real_schema, doc) if real_schema is not None else []
    return doc, errors or validate(schema, doc), "GRAPHQL_VALIDATION_FAILED"


def _errors(errors: list[GraphQLError], code: str) -> dict:
    formatted = []
    for err in errors:
        item = dict(err.formatted)
        item["extensions"] = {**(item.get("extensions") or {}), "code": code}
        formatted.append(item)
    return {"errors": formatted, "data": None}
