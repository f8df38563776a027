"""Plugin discovery and strict manifest loading, as Stash does it.

Stash walks the whole plugins directory (following symlinks), treats EVERY `*.yml` as a manifest and decodes it
strictly: an unknown key anywhere makes that plugin fail to load. The plugin id is the yml basename. Failures are
returned as log lines instead of raising, because one bad manifest must not hide the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_TOP_KEYS = {"name", "description", "url", "version", "exec", "interface", "errLog", "settings", "hooks", "tasks", "ui"}
_TASK_KEYS = {"name", "description", "execArgs", "defaultArgs"}
_HOOK_KEYS = _TASK_KEYS | {"triggeredBy"}
_SETTING_KEYS = {"displayName", "description", "type"}
_UI_KEYS = {"javascript", "css", "requires", "assets", "csp"}
_CSP_KEYS = {"script-src", "style-src", "connect-src"}
_INTERFACES = {"raw", "rpc", "js"}
_SETTING_TYPES = {"STRING", "NUMBER", "BOOLEAN"}


class ManifestError(ValueError):
    """The manifest does not decode into Stash's plugin Config."""


@dataclass
class Operation:
    """A task or a hook entry of a manifest."""

    name: str
    description: str = ""
    exec_args: list[str] = field(default_factory=list)
    default_args: dict[str, str] = field(default_factory=dict)
    triggered_by: list[str] = field(default_factory=list)


@dataclass
class Plugin:
    id: str
    path: Path
    name: str
    exec: list[str]
    interface: str
    err_log: str
    tasks: list[Operation]
    hooks: list[Operation]
    settings: dict[str, dict]

    @property
    def dir(self) -> Path:
        return self.path.parent


def _check_keys(where: str, mapping: Any, allowed: set[str]) -> dict:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise ManifestError(f"{where}: expected a mapping")
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ManifestError(f"{where}: field {unknown[0]} not found in type")
    return mapping


def _string(where: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ManifestError(f"{where}: expected a string")
    return value


def _strings(where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ManifestError(f"{where}: expected a sequence")
    return [_string(where, v) for v in value]


def _operation(where: str, raw: Any, hook: bool) -> Operation:
    raw = _check_keys(where, raw, _HOOK_KEYS if hook else _TASK_KEYS)
    defaults = _check_keys(f"{where}.defaultArgs", raw.get("defaultArgs"), set(raw.get("defaultArgs") or {}))
    return Operation(
        name=_string(f"{where}.name", raw.get("name")),
        description=_string(f"{where}.description", raw.get("description")),
        exec_args=_strings(f"{where}.execArgs", raw.get("execArgs")),
        default_args={k: _string(f"{where}.defaultArgs.{k}", v) for k, v in defaults.items()},
        triggered_by=_strings(f"{where}.triggeredBy", raw.get("triggeredBy")) if hook else [],
    )


class _StrictLoader(yaml.BaseLoader):
    """As Stash reads a manifest (yaml.v3 into Go strings, pkg/plugin/config.go): every scalar is a string, a
    plain empty/`~`/`null` is absent, and a key given twice is an error ("mapping key already defined")."""


def _scalar(loader: _StrictLoader, node: yaml.ScalarNode) -> str | None:
    value = loader.construct_scalar(node)
    return None if node.style is None and value in ("", "~", "null", "Null", "NULL") else value


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"mapping key {key!r} already defined",
                                                    key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG, _scalar)
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def parse_manifest(path: Path) -> Plugin:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 - strict, no tags
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ManifestError(str(exc)) from exc
    raw = _check_keys("manifest", raw, _TOP_KEYS)
    settings = _check_keys("settings", raw.get("settings"), set(raw.get("settings") or {}))
    for key, setting in settings.items():
        setting = _check_keys(f"settings.{key}", setting, _SETTING_KEYS)
        if setting.get("type") not in (None, *_SETTING_TYPES):
            raise ManifestError(f"settings.{key}.type: invalid type {setting.get('type')}")
    ui = _check_keys("ui", raw.get("ui"), _UI_KEYS)
    _check_keys("ui.csp", ui.get("csp"), _CSP_KEYS)
    interface = _string("interface", raw.get("interface")) or "raw"
    if interface not in _INTERFACES:
        raise ManifestError(f"invalid interface type {interface}")
    hooks, tasks = raw.get("hooks") or [], raw.get("tasks") or []
    if not isinstance(hooks, list) or not isinstance(tasks, list):
        raise ManifestError("hooks and tasks must be sequences")
    plugin_id = path.name[: path.name.rindex(".")]
    return Plugin(
        id=plugin_id,
        path=path,
        name=_string("name", raw.get("name")) or plugin_id,
        exec=_strings("exec", raw.get("exec")),
        interface=interface,
        err_log=_string("errLog", raw.get("errLog")) or "error",
        tasks=[_operation(f"tasks[{i}]", t, hook=False) for i, t in enumerate(tasks)],
        hooks=[_operation(f"hooks[{i}]", h, hook=True) for i, h in enumerate(hooks)],
        settings={k: dict(v or {}) for k, v in settings.items()},
    )


def _yml_files(root: Path) -> list[Path]:
    found = []
    for dirpath, _dirs, files in os.walk(root, followlinks=True):
        found.extend(Path(dirpath) / f for f in files if f.endswith(".yml"))
    return sorted(found)


def load_plugins(root: Path | None) -> tuple[dict[str, Plugin], list[str]]:
    """Returns the plugins that loaded (by id) and one log line per manifest that did not."""
    plugins: dict[str, Plugin] = {}
    errors: list[str] = []
    if root is None or not root.is_dir():
        return plugins, errors
    for path in _yml_files(root):
        try:
            plugin = parse_manifest(path)
        except ManifestError as exc:
            errors.append(f"Error loading plugin {path}: {exc}")
            continue
        if plugin.id.lower() in {p.lower() for p in plugins}:
            errors.append(f"Error loading plugin {path}: plugin with id {plugin.id} already exists")
            continue
        plugins[plugin.id] = plugin
    return plugins, errors
