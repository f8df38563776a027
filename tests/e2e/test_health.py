"""Health Check through Stash against the simulated PMS (issue 22): a healthy set-up passes; a shared user's
token and a mistyped path map are each named with what to do."""

from __future__ import annotations

import pytest

from simulators import dataset

pytestmark = pytest.mark.e2e


def test_a_healthy_setup_passes(make_env) -> None:
    env = make_env(scenes=20)
    run = env.task("Health Check")
    assert run.error is None and run.output.startswith("Health check passed"), run.logs


def test_a_shared_users_token_and_a_mistyped_path_map_are_named(make_env) -> None:
    env = make_env(scenes=20, configure=False, plex_kwargs={"shared_token": "friend-token-0123"})
    env.stash.configure_plugin("Stash2Plex", {"plex_url": env.plex.url, "plex_token": "friend-token-0123",
                                              "path_map": f"{dataset.STASH_ROOT}x={dataset.PLEX_ROOT}"})
    run = env.task("Health Check")
    assert run.error is not None and run.error.startswith("Health check found 2 problems")
    assert "The Plex token is not the server owner's" in run.error
    assert f"set path_map to {dataset.STASH_ROOT}={dataset.PLEX_ROOT}" in run.error
