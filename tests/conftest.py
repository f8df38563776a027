"""Shared pytest configuration: simulator fixtures live in tests/fixtures/."""

pytest_plugins = ["tests.fixtures.stash_sim", "tests.fixtures.plex_sim"]


def pytest_collection_modifyitems(config, items):
    """Tests marked `long` (the issues' full sizes) run only when the -m expression names them (CI's second run),
    so neither `bash scripts/test` nor `-m "not e2e"` pays for them."""
    if "long" in (config.getoption("markexpr") or ""):
        return
    kept = [item for item in items if item.get_closest_marker("long") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("long")])
        items[:] = kept
