"""Shared pytest configuration: simulator fixtures live in tests/fixtures/."""

pytest_plugins = ["tests.fixtures.stash_sim", "tests.fixtures.plex_sim"]
