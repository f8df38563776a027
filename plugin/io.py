"""Stash's raw-plugin protocol: the JSON object on stdin and the single JSON object on stdout.

Hooks import this on every firing, so it uses only the standard library and does no I/O at import time.
"""

from __future__ import annotations

import json
import sys

from plugin.record import Record

# Stash sends its *bind* address; these mean "every interface" and are not reachable as a destination.
_WILDCARD_HOSTS = ("", "0.0.0.0", "::", "[::]")


class InputError(ValueError):
    """Stdin is not what Stash sends; the message is one sentence a user can act on."""


class StashServer(Record):
    """Where and how to reach the Stash that started us. Secrets are kept out of repr on purpose."""

    scheme: str
    host: str
    port: int
    session_cookie: str | None
    api_key: str | None
    plugin_dir: str
    config_dir: str
    __slots__ = tuple(__annotations__)
    _hidden = ("session_cookie", "api_key")

    def __init__(self, scheme: str, host: str, port: int, session_cookie: str | None = None,
                 api_key: str | None = None, plugin_dir: str = "", config_dir: str = "") -> None:
        self._init(scheme, host, port, session_cookie, api_key, plugin_dir, config_dir)

    @property
    def url(self) -> str:
        """Base URL without /graphql, e.g. http://127.0.0.1:9999 (IPv6 literals bracketed)."""
        host = self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def secrets(self) -> tuple:
        """The values a logger must never print (cookie, API key), for plugin.log.register_secret."""
        return tuple(s for s in (self.session_cookie, self.api_key) if s)


class HookContext(Record):
    """args.hookContext: which entity changed, how, and which input fields the mutation actually sent."""

    id: int | None
    type: str
    input: object
    input_fields: list | None
    __slots__ = tuple(__annotations__)

    def __init__(self, id: int | None, type: str, input: object = None,
                 input_fields: list | None = None) -> None:
        self._init(id, type, input, [] if input_fields is None else input_fields)


class PluginInput(Record):
    """Everything Stash passes on stdin, validated."""

    server: StashServer
    args: dict
    hook: HookContext | None
    mode: str | None
    __slots__ = tuple(__annotations__)

    def __init__(self, server: StashServer, args: dict, hook: HookContext | None, mode: str | None) -> None:
        self._init(server, args, hook, mode)


def read_input(text: str) -> PluginInput:
    """Parses Stash's stdin JSON; raises InputError with a clear sentence when it is not the expected shape."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"Plugin input is not valid JSON ({exc.msg} at position {exc.pos}).") from None
    if not isinstance(data, dict):
        raise InputError("Plugin input must be a JSON object with server_connection and args.")
    conn = data.get("server_connection")
    if not isinstance(conn, dict):
        raise InputError("Plugin input has no server_connection object; was the plugin started by Stash?")
    args = data.get("args")
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise InputError("Plugin input 'args' must be a JSON object.")
    hook = _hook(args.get("hookContext"))
    mode = args.get("mode")
    if mode is not None and not isinstance(mode, str):
        raise InputError("Plugin input 'args.mode' must be a string.")
    return PluginInput(server=_server(conn), args=args, hook=hook, mode=mode or None)


def write_output(output: object = None, error: str | None = None) -> None:
    """Prints the one JSON object Stash reads from stdout; anything else on stdout would corrupt it."""
    sys.stdout.write(json.dumps({"output": output, "error": error}, default=str) + "\n")
    sys.stdout.flush()


def _server(conn: dict) -> StashServer:
    scheme = conn.get("Scheme") or "http"
    if scheme not in ("http", "https"):
        raise InputError(f"server_connection.Scheme must be http or https, not {scheme!r}.")
    host = conn.get("Host", "")
    if host is None:
        host = ""
    if not isinstance(host, str):
        raise InputError("server_connection.Host must be a string.")
    host = host.strip()
    if host in _WILDCARD_HOSTS:
        host = "127.0.0.1"
    port = _int(conn.get("Port", 9999), "server_connection.Port")
    if port is None or not 0 < port < 65536:
        raise InputError("server_connection.Port must be a TCP port number between 1 and 65535.")
    return StashServer(
        scheme=scheme,
        host=host,
        port=port,
        session_cookie=_cookie(conn.get("SessionCookie")),
        api_key=_optional_str(conn.get("ApiKey"), "server_connection.ApiKey"),
        plugin_dir=_optional_str(conn.get("PluginDir"), "server_connection.PluginDir") or "",
        config_dir=_optional_str(conn.get("Dir"), "server_connection.Dir") or "",
    )


def _cookie(raw: object) -> str | None:
    """SessionCookie is a marshalled Go *http.Cookie, or null when Stash has no credentials configured."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InputError("server_connection.SessionCookie must be an object or null.")
    return _optional_str(raw.get("Value"), "server_connection.SessionCookie.Value")


def _hook(raw: object) -> HookContext | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InputError("Plugin input 'args.hookContext' must be a JSON object.")
    hook_type = raw.get("type")
    if not isinstance(hook_type, str) or not hook_type:
        raise InputError("Plugin input 'args.hookContext.type' must be a non-empty string.")
    fields = raw.get("inputFields")
    if fields is None:
        fields = []
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise InputError("Plugin input 'args.hookContext.inputFields' must be a list of strings.")
    return HookContext(
        id=_int(raw.get("id"), "args.hookContext.id"),
        type=hook_type,
        input=raw.get("input"),
        input_fields=list(fields),
    )


def _int(value: object, name: str) -> int | None:
    """Go sends ints as numbers; accept digit strings too (IDs are strings elsewhere in Stash)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputError(f"Plugin input '{name}' must be an integer.")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise InputError(f"Plugin input '{name}' must be an integer.")


def _optional_str(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"Plugin input '{name}' must be a string.")
    return value or None
