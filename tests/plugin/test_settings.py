"""Settings: defaults in code, every invalid value named in one sentence, unknown keys noted, token registered."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from plugin import log
from plugin.setting_keys import KEYS, carry_over
from plugin.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_absent_settings_give_defaults_and_no_notes() -> None:
    for raw in (None, {}):
        settings, notes = load_settings(raw)
        assert settings == Settings()
        assert notes == []
    defaults = Settings()
    assert (defaults.enabled, defaults.max_retries, defaults.strict_matching, defaults.preserve_plex_edits) == (
        True, 5, True, False)
    assert (defaults.reconcile_interval, defaults.reconcile_scope, defaults.plex_parallelism) == (3600, "recent", 8)
    assert (defaults.plex_connect_timeout, defaults.plex_read_timeout, defaults.batch_size) == (5.0, 30.0, 100)
    assert defaults.missing_required() == [
        "Setting plex_url is not set; Plex sync is off until it is.",
        "Setting plex_token is not set; Plex sync is off until it is.",
    ]


def test_stash_typed_values() -> None:
    settings, notes = load_settings({
        "plex_url": "http://192.168.1.10:32400/", "plex_token": "tok-abcdef-123", "plex_library": "Movies, Scenes,,",
        "enabled": False, "max_retries": 3, "sync_poster": False, "reconcile_interval": 120,
        "reconcile_scope": "all", "path_map": "/data/stash=/media/plex; /mnt/b = /b ;", "plex_parallelism": 8,
        "plex_connect_timeout": 3, "plex_read_timeout": 60, "batch_size": 100,
    })
    assert notes == []
    assert settings.plex_url == "http://192.168.1.10:32400"
    assert settings.plex_library == ("Movies", "Scenes")
    assert (settings.enabled, settings.max_retries, settings.sync_poster) == (False, 3, False)
    assert (settings.reconcile_interval, settings.reconcile_scope) == (7200, "all")
    assert settings.path_map == (("/data/stash", "/media/plex"), ("/mnt/b", "/b"))
    assert (settings.plex_parallelism, settings.plex_connect_timeout, settings.batch_size) == (8, 3.0, 100)
    assert settings.missing_required() == []


def test_strings_are_accepted_gracefully() -> None:
    settings, notes = load_settings({"enabled": "false", "sync_tags": "Yes", "max_retries": "10",
                                     "plex_read_timeout": "12.5", "reconcile_interval": "Weekly"})
    assert notes == []
    assert (settings.enabled, settings.sync_tags, settings.max_retries) == (False, True, 10)
    assert (settings.plex_read_timeout, settings.reconcile_interval) == (12.5, 604800)


@pytest.mark.parametrize("word", ["never", "0", 0])
def test_reconcile_never(word) -> None:
    assert load_settings({"reconcile_interval": word})[0].reconcile_interval is None


@pytest.mark.parametrize(
    ("key", "value", "note"),
    [
        ("plex_url", "ftp://x", "Setting plex_url 'ftp://x' is not an http(s) URL; using none."),
        ("plex_url", "plex.lan:32400", "Setting plex_url 'plex.lan:32400' has no http:// in front: write it as "
                                       "'http://plex.lan:32400' (https:// if Plex requires secure connections); "
                                       "using none."),
        ("plex_url", "192.168.1.10:32400/", "Setting plex_url '192.168.1.10:32400/' has no http:// in front: write "
                                            "it as 'http://192.168.1.10:32400/' (https:// if Plex requires secure "
                                            "connections); using none."),
        ("enabled", "maybe", "Setting enabled 'maybe' is not true or false; using true."),
        ("max_retries", 99, "Setting max_retries 99 is outside 0..20; using the default 5."),
        ("max_retries", "lots", "Setting max_retries 'lots' is not a number; using the default 5."),
        ("max_retries", True, "Setting max_retries True is not a number; using the default 5."),
        ("plex_parallelism", 0, "Setting plex_parallelism 0 is outside 1..16; using the default 8."),
        ("plex_parallelism", 2.5, "Setting plex_parallelism 2.5 is not a whole number; using the default 8."),
        ("plex_read_timeout", 0, "Setting plex_read_timeout 0 is outside 1..600 seconds; using the default 30.0."),
        ("batch_size", 1000, "Setting batch_size 1000 is outside 1..500; using the default 100."),
        ("reconcile_interval", "fortnightly", "Setting reconcile_interval 'fortnightly' is not a number; "
                                              "using the default 3600."),
        ("reconcile_interval", 0.5, "Setting reconcile_interval 0.5 is below the 1 minute minimum; "
                                    "using the default 3600."),
        ("reconcile_scope", "weekly", "Setting reconcile_scope 'weekly' is not 'recent' or 'all'; using the default "
                                     "recent."),
        ("plex_library", 5, "Setting plex_library 5 is not a comma-separated list of library names; using none."),
        ("path_map", "/a=/b;nonsense;=/c", "Setting path_map entry 'nonsense' is not of the form "
                                           "stash_prefix=plex_prefix; skipped."),
    ],
)
def test_each_invalid_value_is_named(key: str, value, note: str) -> None:
    settings, notes = load_settings({key: value})
    assert note in notes
    if key != "path_map":
        assert getattr(settings, key) == getattr(Settings(), key)


def test_bad_path_map_pairs_are_skipped_and_good_kept() -> None:
    settings, notes = load_settings({"path_map": "/a=/b;nonsense;=/c"})
    assert settings.path_map == (("/a", "/b"),)
    assert len(notes) == 2


def test_unknown_keys_are_noted_and_several_problems_all_reported() -> None:
    settings, notes = load_settings({"foo": 1, "poll_interval": 30, "plex_url": "nope", "sync_tags": False})
    assert "Unknown setting 'foo' is ignored." in notes  # poll_interval (the other plugin's) is said at carry-over
    assert any(n.startswith("Setting plex_url 'nope'") for n in notes)
    assert len(notes) == 2
    assert settings.sync_tags is False


def test_non_map_settings() -> None:
    settings, notes = load_settings(["x"])  # type: ignore[arg-type]
    assert settings == Settings()
    assert notes == ["Plugin settings are not a key/value map; using defaults for every setting."]


def test_token_is_registered_as_secret_and_never_shown() -> None:
    token = "Zx9-plex-token-never-print"
    settings, notes = load_settings({"plex_token": token})
    assert settings.plex_token == token
    assert token not in repr(settings)
    assert token not in log.redact(f"connecting with {token}")
    _, notes = load_settings({"plex_token": "has space inside"})
    assert notes == ["Setting plex_token (hidden) contains spaces; using none."]


def test_defaults_to_write_are_the_unset_ones_in_the_manifests_types() -> None:
    from plugin.settings import unset_defaults

    written = unset_defaults({KEYS["enabled"]: False, KEYS["plex_url"]: "http://plex:32400"})
    assert not {KEYS["enabled"], KEYS["plex_url"], KEYS["plex_token"]} & set(written)
    assert written[KEYS["strict_matching"]] is True and written[KEYS["sync_poster"]] is True
    assert written[KEYS["reconcile_interval"]] == 60 and written[KEYS["plex_read_timeout"]] == 30  # whole numbers
    assert written[KEYS["reconcile_scope"]] == "recent"
    assert KEYS["path_map"] not in written and KEYS["plex_library"] not in written
    assert unset_defaults({**written, KEYS["enabled"]: True}) == {}


def test_settings_left_by_the_other_plugin_are_carried_over_and_named_in_one_note() -> None:
    saved = {"plex_url": "http://p:32400", "connect_timeout": 7, "sync_master": True, "reconcile_interval": "daily",
             "reconcile_scope": "24h", "preserve_plex_edits": True, "typo_setting": 1}
    stored, said = carry_over(saved)
    assert stored == {KEYS["plex_url"]: "http://p:32400", KEYS["plex_connect_timeout"]: 7, "sync_master": True,
                      KEYS["reconcile_interval"]: 1440, KEYS["reconcile_scope"]: "24h",
                      KEYS["preserve_plex_edits"]: True, "typo_setting": 1}
    assert said[1] == (
        "Settings kept from the other Stash2Plex plugin: sync_master is not used; "
        "preserve_plex_edits keeps every field someone changed in Plex (there: fills only empty Plex fields); "
        "reconcile_scope 24h and 7days mean recent here (scenes changed since the last reconcile).")
    assert said[0].startswith("Moved 5 saved settings to this version's keys") and "connect_timeout -> 7c_" in said[0]
    settings, notes = load_settings(stored)
    assert (settings.reconcile_scope, settings.preserve_plex_edits) == ("recent", True)
    assert (settings.plex_connect_timeout, settings.reconcile_interval) == (7.0, 86400)
    assert notes == ["Unknown setting 'typo_setting' is ignored."]
    assert carry_over(stored)[0] == stored  # nothing moves twice
    assert load_settings(saved)[0] == settings  # read the same before the move is saved


def test_carry_over_keeps_a_value_already_saved_under_the_new_key() -> None:
    stored, said = carry_over({"sync_tags": False, KEYS["sync_tags"]: True, KEYS["sync_poster"]: False})
    assert stored == {KEYS["sync_tags"]: True, KEYS["sync_poster"]: False} and said == []
    assert carry_over(None) == (None, []) and carry_over({}) == ({}, [])


def test_stash_lists_the_settings_in_setup_order() -> None:
    """Stash sorts the keys (`getPluginSettings`: sort.Strings); sorting them must give the table's setup order,
    and every manifest setting, every Settings attribute, has its place in the table."""
    manifest = yaml.safe_load((ROOT / "Stash2Plex.yml").read_text(encoding="utf-8"))["settings"]
    assert set(manifest) <= set(KEYS.values())
    assert {f.name for f in fields(Settings)} <= set(KEYS)
    assert sorted(manifest) == [key for key in KEYS.values() if key in manifest]
    assert sorted(KEYS.values()) == list(KEYS.values())
    shown = [manifest[key]["displayName"] for key in sorted(manifest)]
    assert shown[:5] == ["Plex URL", "Plex token", "Plex CA file", "Verify Plex's TLS certificate", "Plex libraries"]
    assert shown.index("Tags become") == shown.index("Sync tags") + 1
    groups = [key[0] for key in sorted(manifest)]
    assert groups == sorted(groups) and set(groups) == set("1234567")


def test_the_other_plugins_switches_with_new_names_are_carried_over() -> None:
    stored, _ = carry_over({"trigger_plex_scan": False, "debug_logging": True, "read_timeout": 45})
    assert stored == {KEYS["scan_new_files"]: False, KEYS["log_each_scene"]: True, KEYS["plex_read_timeout"]: 45}
    settings, notes = load_settings(stored)
    assert (settings.scan_new_files, settings.log_each_scene, settings.plex_read_timeout) == (False, True, 45.0)
    assert notes == []


def test_a_plex_url_with_user_and_password_is_refused_without_showing_them() -> None:
    settings, notes = load_settings({KEYS["plex_url"]: "https://admin:hunter2-pw@plex.example.test:32400"})
    assert settings.plex_url is None and len(notes) == 1
    assert notes[0].startswith("Setting plex_url (hidden) holds a user name or password") and "hunter2" not in notes[0]


def test_tls_settings_a_ca_file_that_exists_and_verification_off_said_to_be_unsafe(tmp_path) -> None:
    ca_file = tmp_path / "home-ca.pem"
    ca_file.write_text("-----BEGIN CERTIFICATE-----\n")
    settings, notes = load_settings({KEYS["plex_ca_file"]: f" {ca_file} ", KEYS["plex_verify_tls"]: True})
    assert (settings.plex_ca_file, settings.plex_verify_tls, notes) == (str(ca_file), True, [])
    settings, notes = load_settings({KEYS["plex_ca_file"]: str(tmp_path / "missing.pem"),
                                    KEYS["plex_verify_tls"]: "false"})
    assert settings.plex_ca_file is None and settings.plex_verify_tls is False
    assert notes[0].startswith(f"Setting plex_ca_file '{tmp_path / 'missing.pem'}' is not a file this plugin can see")
    assert "unsafe" in notes[1]
    assert Settings().plex_verify_tls is True and Settings().plex_ca_file is None
