"""Redaction of secrets and token patterns; the exact stderr line protocol Stash parses; file mode for the drainer."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from plugin import log

REPO = Path(__file__).resolve().parents[2]


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, capture_output=True, timeout=60,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )


def test_registered_secret_is_masked_everywhere() -> None:
    secret = "s3cr3t-cookie-value/+="
    log.register_secret(secret)
    out = log.redact(f"cookie={secret} and again {secret}; quoted s3cr3t-cookie-value%2F%2B%3D")
    assert secret not in out
    assert "s3cr3t-cookie-value%2F%2B%3D" not in out
    assert out.count(log.MASK) == 3


def test_short_and_empty_secrets_are_ignored() -> None:
    log.register_secret("abc")
    log.register_secret("")
    log.register_secret(None)
    assert log.redact("abc is a word") == "abc is a word"


def test_longer_secret_containing_a_shorter_one_is_masked_whole() -> None:
    log.register_secret("token1")
    log.register_secret("token1-extended")
    assert log.redact("x token1-extended y") == "x *** y"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /library?X-Plex-Token=abcd1234&x=1", "GET /library?X-Plex-Token=***&x=1"),
        ("headers X-Plex-Token: abcd1234", "headers X-Plex-Token: ***"),
        ("{'X-Plex-Token': 'abcd1234'}", "{'X-Plex-Token': '***'}"),
        ("http://s/graphql?apikey=eyJhb.cd", "http://s/graphql?apikey=***"),
        ("ApiKey: eyJhb.cd", "ApiKey: ***"),
        ("Cookie: session=MTc2ODEy; Path=/", "Cookie: session=***; Path=/"),
        ("session: started", "session: started"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_token_patterns_are_masked(text: str, expected: str) -> None:
    assert log.redact(text) == expected


def test_non_string_messages_are_redacted() -> None:
    assert log.redact({"X-Plex-Token": "abcd1234"}) == "{'X-Plex-Token': '***'}"


@pytest.mark.e2e  # a fresh interpreter, as Stash starts the plugin
def test_stderr_lines_follow_stash_protocol(tmp_path: Path) -> None:
    result = _run(
        """
        from plugin import log
        log.register_secret("cookie-123456")
        log.info("hello cookie-123456")
        log.warning("two\\nlines")
        log.error("X-Plex-Token=abcdef")
        log.progress(0.5)
        log.progress(7)
        log.progress(-1)
        log.info("x" * 200000)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    lines = result.stderr.decode().split("\n")
    assert lines[-1] == ""
    assert lines[:8] == [
        "\x01i\x02hello ***", "\x01w\x02two", "\x01w\x02lines", "\x01e\x02X-Plex-Token=***",
        "\x01p\x020.5000", "\x01p\x021.0000", "\x01p\x020.0000", "\x01i\x02" + "x" * log.MAX_LINE_CHARS,
    ]
    assert all(len(line.encode()) < 64 * 1024 for line in lines)


@pytest.mark.e2e  # a fresh interpreter, as Stash starts the plugin
def test_a_logged_line_loads_neither_logging_nor_stashapi(tmp_path: Path) -> None:
    result = _run(
        """
        import sys
        import plugin.io, plugin.log, plugin.paths, plugin.settings
        plugin.log.info("now")
        heavy = [m for m in ("stashapi", "requests", "logging") if m in sys.modules]
        assert heavy == [], heavy
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == b"\x01i\x02now\n"


@pytest.mark.e2e  # a fresh interpreter, as Stash starts the plugin
def test_file_mode_redacts_and_rotates(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "drainer.log"
    result = _run(
        f"""
        from plugin import log
        log.FILE_MAX_BYTES = 4000
        log.log_to_file({str(path)!r})
        log.register_secret("plex-token-999")
        for i in range(100):
            log.info(f"line {{i}} plex-token-999 X-Plex-Token=abcdef")
        log.progress(0.5)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    backup = path.with_name("drainer.log.1")
    assert backup.exists()
    assert sorted(p.name for p in path.parent.iterdir()) == ["drainer.log", "drainer.log.1"]
    text = path.read_text(encoding="utf-8") + backup.read_text(encoding="utf-8")
    assert "plex-token-999" not in text
    assert "abcdef" not in text
    assert "line 99 *** X-Plex-Token=***" in text
    assert path.stat().st_size <= 4000


@pytest.mark.e2e  # a fresh interpreter, as Stash starts the plugin
def test_obfuscate_paths_hashes_every_path_in_every_line(tmp_path: Path) -> None:
    result = _run(
        """
        from plugin import log
        log.info("scene 1 /data/a.mp4 kept")
        log.hide_paths(True)
        log.warning("Scene 2 is not in Plex (/data/stash/b.mp4, C:\\\\v\\\\c.mp4)")
        """,
        tmp_path,
    )
    lines = result.stderr.decode().split("\n")
    assert lines[0] == "\x01i\x02scene 1 /data/a.mp4 kept"
    assert "/data/stash" not in lines[1] and "c.mp4" not in lines[1] and lines[1].count("path#") == 2


def test_scene_lines_are_debug_unless_asked_for(capsys) -> None:
    try:
        log.scene(log.WARNING, "Scene 7: two Plex items hold its file")
        log.scene_lines(True)
        log.scene(log.INFO, "Scene 8 is not in Plex")
    finally:
        log.scene_lines(False)
    assert capsys.readouterr().err == ("\x01d\x02Scene 7: two Plex items hold its file\n"
                                       "\x01i\x02Scene 8 is not in Plex\n")
