"""Health Check's sentence for each usual set-up mistake (issue 22): what is wrong and what to do."""

from __future__ import annotations

import pytest

from mapping.path_map import PathMap
from plex.errors import PlexDown, PlexTransient, PlexUnauthorized
from plugin.errors import PluginError
from tasks import admin
from tasks.health import OWNER_TOKEN, connect_advice, container_evidence, localhost_advice, path_map_advice
from tests.fakes import FakePlex, FakeStash, in_plex, make_context, scene


def _plex_under(root: str, count: int) -> tuple[FakeStash, FakePlex]:
    stash = FakeStash([scene(i) for i in range(1, count + 1)])  # Stash sees /data/scene-<i>.mp4
    plex = FakePlex(root=root)
    for i in range(1, count + 1):
        plex.add(100 + i, f"{root}/scene-{i}.mp4")
    return stash, plex


def health_failure(ctx) -> str:
    """The sentence Health Check fails with (it must fail), the context closed."""
    try:
        with pytest.raises(PluginError) as failed:
            admin.health_check(ctx)
    finally:
        ctx.close()
    return str(failed.value)


def test_a_path_map_that_matches_no_sampled_path_names_one_and_the_nearest_plex_path(tmp_path) -> None:
    stash, plex = _plex_under("/media/plex", 3)
    assert health_failure(make_context(tmp_path, stash, plex, path_map="/data/stsh=/media/plex")) == (
        "Health check found 1 problem (sample of scenes: 3 matched): Setting path_map /data/stsh=/media/plex "
        "matches none of the 3 sampled Stash paths: Stash has '/data/scene-1.mp4', Plex's nearest path is "
        "'/media/plex/scene-1.mp4'; set path_map to /data=/media/plex, or clear it to let the plugin infer the map.")
    good = make_context(tmp_path / "good", stash, plex, path_map="/data=/media/plex")
    assert admin.health_check(good).startswith("Health check passed")
    good.close()


def test_path_map_advice_without_a_plex_file_of_the_name() -> None:
    advice = path_map_advice(PathMap.from_pairs([("/x", "/y")]), ["/data/a.mp4"], [])
    assert advice == ("Setting path_map /x=/y matches none of the 1 sampled Stash paths (e.g. '/data/a.mp4'), and "
                      "Plex has no file of those names: check that Plex's libraries hold your Stash files, then set "
                      "path_map to Stash's folder=Plex's folder.")
    assert path_map_advice(PathMap(), ["/data/a.mp4"], []) is None  # no map set: inferred, nothing to judge
    assert path_map_advice(PathMap.from_pairs([("/data", "/y")]), ["/data/a.mp4", "/z/b.mp4"], []) is None


def test_a_token_that_is_not_the_owners_is_named(tmp_path) -> None:
    stash, plex = in_plex(2)
    plex.owner_token = False
    assert health_failure(make_context(tmp_path, stash, plex)).endswith(OWNER_TOKEN)


def test_a_library_name_that_does_not_exist_lists_the_ones_that_do(tmp_path) -> None:
    stash, plex = in_plex(2)
    assert health_failure(make_context(tmp_path, stash, plex, plex_library="Scenez")) == (
        "No Plex movie library to sync. Plex library 'Scenez' (setting plex_library) does not exist or is not a "
        "movie library; Plex's movie libraries are: 'Scenes'. Use these names, or leave the setting empty for all "
        "of them.")


def test_container_evidence_says_which_sign(tmp_path) -> None:
    assert container_evidence(str(tmp_path)) is None
    (tmp_path / "proc" / "1").mkdir(parents=True)
    (tmp_path / "proc" / "1" / "cgroup").write_text("0::/\n")  # cgroup v2: says nothing
    assert container_evidence(str(tmp_path)) is None
    (tmp_path / "proc" / "1" / "cgroup").write_text("12:pids:/docker/3f2a\n")
    assert container_evidence(str(tmp_path)) == "/proc/1/cgroup names docker"
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / ".containerenv").write_text("")
    assert container_evidence(str(tmp_path)) == "/run/.containerenv exists (Podman)"
    (tmp_path / ".dockerenv").write_text("")
    assert container_evidence(str(tmp_path)) == "/.dockerenv exists (Docker)"


def test_localhost_while_stash_runs_in_a_container() -> None:
    down = PlexDown("Plex is not reachable: [Errno 111] Connection refused")
    said = connect_advice(down, "http://localhost:32400", "/.dockerenv exists (Docker)")
    assert said == (
        "Plex is not reachable: [Errno 111] Connection refused. The Plex URL names localhost, but Stash runs in a "
        "container (/.dockerenv exists (Docker)), where localhost is the Stash container itself: use the address of "
        "the machine Plex runs on (e.g. http://192.168.1.10:32400), or Plex's container name when both containers "
        "share a Docker network (e.g. http://plex:32400), or http://host.docker.internal:32400 with Docker Desktop.")
    assert localhost_advice("http://127.0.0.1:32400", "/proc/1/cgroup names docker") is not None
    assert localhost_advice("http://localhost:32400", None) is None  # not in a container: localhost is the host
    assert localhost_advice("http://192.168.1.10:32400", "/.dockerenv exists (Docker)") is None
    assert connect_advice(down, "http://plex.lan:32400", None).endswith(
        "Check the Plex URL (address and port, usually 32400) and that Plex is running.")


def test_tls_failures_point_to_the_ca_and_verify_settings() -> None:
    failure = PlexDown("Plex is not reachable (SSLError): [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
                       "failed: self-signed certificate")
    said = connect_advice(failure, "https://plex.lan:32400", None)
    assert "set plex_ca_file to the file of the certificate authority" in said
    assert "turn plex_verify_tls off (unsafe" in said
    rejected = connect_advice(PlexUnauthorized("Plex rejected the token (HTTP 401); check the plex_token setting",
                                               401), "http://plex.lan:32400", None)
    assert rejected.startswith("Plex rejected the token") and "as the server's owner" in rejected
    assert connect_advice(PlexTransient("Plex was too slow to answer"), None, None) == "Plex was too slow to answer."


def test_an_unreachable_plex_fails_health_check_with_the_advice(tmp_path) -> None:
    stash, plex = in_plex(1)
    plex.down = True
    ctx = make_context(tmp_path, stash, plex)
    with pytest.raises(PluginError, match=r"^Health check failed: Plex is not reachable.*Check the Plex URL"):
        admin.health_check(ctx)
    ctx.close()
