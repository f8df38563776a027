"""read_input on stdin shaped exactly as Stash sends it (research §1.2/1.3), and write_output's single object."""

from __future__ import annotations

import json

import pytest

from plugin.io import InputError, read_input, write_output

COOKIE = {
    "Name": "session", "Value": "MTc2ODEyMzQ1Nnxsb25nLXNpZ25lZC12YWx1ZQ==", "Quoted": False, "Path": "/",
    "Domain": "", "Expires": "2026-01-11T19:07:53+11:00", "RawExpires": "", "MaxAge": 3600, "Secure": False,
    "HttpOnly": False, "SameSite": 2, "Partitioned": False, "Raw": "", "Unparsed": None,
}


def _stdin(args: dict, **conn) -> str:
    server = {"Scheme": "http", "Host": "0.0.0.0", "Port": 9999, "SessionCookie": COOKIE,
              "Dir": "/root/.stash", "PluginDir": "/root/.stash/plugins/Stash2Plex"}
    server.update(conn)
    return json.dumps({"server_connection": server, "args": args})


def test_task_input() -> None:
    inp = read_input(_stdin({"mode": "all"}))
    assert inp.mode == "all"
    assert inp.hook is None
    assert inp.server.url == "http://127.0.0.1:9999"
    assert inp.server.session_cookie == COOKIE["Value"]
    assert inp.server.api_key is None
    assert inp.server.plugin_dir == "/root/.stash/plugins/Stash2Plex"
    assert inp.server.config_dir == "/root/.stash"


def test_hook_with_input_fields() -> None:
    hook = {"id": 42, "type": "Scene.Update.Post", "input": {"id": "42", "title": "New", "tag_ids": None},
            "inputFields": ["title", "id"]}
    inp = read_input(_stdin({"mode": "hook", "hookContext": hook}))
    assert inp.hook is not None
    assert (inp.hook.id, inp.hook.type, inp.hook.input_fields) == (42, "Scene.Update.Post", ["title", "id"])
    assert inp.hook.input["title"] == "New"
    assert inp.mode == "hook"


def test_scan_hook_has_null_input_and_no_fields() -> None:
    inp = read_input(_stdin({"hookContext": {"id": 7, "type": "Scene.Create.Post", "input": None}}))
    assert inp.hook.input is None
    assert inp.hook.input_fields == []
    assert inp.mode is None


def test_null_session_cookie_and_missing_args() -> None:
    text = json.dumps({"server_connection": {"Scheme": "https", "Host": "stash.lan", "Port": 443,
                                             "SessionCookie": None, "PluginDir": "/p"}})
    inp = read_input(text)
    assert inp.server.session_cookie is None
    assert inp.server.url == "https://stash.lan:443"
    assert inp.args == {}
    assert inp.server.secrets == ()


@pytest.mark.parametrize("host", ["0.0.0.0", "", "::", None])
def test_wildcard_hosts_mean_loopback(host) -> None:
    assert read_input(_stdin({}, Host=host)).server.host == "127.0.0.1"


def test_ipv6_host_is_bracketed_in_url() -> None:
    assert read_input(_stdin({}, Host="::1")).server.url == "http://[::1]:9999"


def test_secrets_are_not_in_repr() -> None:
    inp = read_input(_stdin({}, ApiKey="eyJhbGciOiJIUzI1NiJ9.secret"))
    assert COOKIE["Value"] not in repr(inp)
    assert "eyJhbGciOiJIUzI1NiJ9.secret" not in repr(inp)
    assert set(inp.server.secrets) == {COOKIE["Value"], "eyJhbGciOiJIUzI1NiJ9.secret"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"args": {}}), "no server_connection"),
        (json.dumps({"server_connection": "x"}), "no server_connection"),
        (_stdin([]), "'args' must be a JSON object"),
        (_stdin({}, Port="ninety"), "server_connection.Port"),
        (_stdin({}, Port=70000), "between 1 and 65535"),
        (_stdin({}, Port=True), "server_connection.Port"),
        (_stdin({}, Scheme="ftp"), "Scheme must be http or https"),
        (_stdin({}, SessionCookie="abc"), "SessionCookie must be an object"),
        (_stdin({"mode": 3}), "args.mode"),
        (_stdin({"hookContext": []}), "hookContext' must be a JSON object"),
        (_stdin({"hookContext": {"id": 1}}), "hookContext.type"),
        (_stdin({"hookContext": {"id": "x", "type": "Scene.Update.Post"}}), "hookContext.id"),
        (_stdin({"hookContext": {"id": 1, "type": "T", "inputFields": "title"}}), "inputFields"),
    ],
)
def test_malformed_input_raises_clear_error(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as err:
        read_input(text)
    assert fragment in str(err.value)
    assert COOKIE["Value"] not in str(err.value)


def test_digit_string_ids_and_ports_are_accepted() -> None:
    inp = read_input(_stdin({"hookContext": {"id": "12", "type": "Scene.Update.Post"}}, Port="9998"))
    assert (inp.hook.id, inp.server.port) == (12, 9998)


def test_write_output_prints_exactly_one_object(capsys) -> None:
    write_output({"queued": 3})
    write_output(error="boom")
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [
        {"output": {"queued": 3}, "error": None},
        {"output": None, "error": "boom"},
    ]
