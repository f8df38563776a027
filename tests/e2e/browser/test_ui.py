"""The plugin's UI in a real browser: headless Chromium opens a page with React (npm's UMD builds), a stand-in
`PluginApi` (standin.js) and the plugin's own JavaScript unchanged; every call goes to the Stash simulator, whose
runPluginOperation runs the real plugin process on its real database.

Without Chromium or npm these tests skip with the reason, except in CI (`CI` set), where they fail.
STASH2PLEX_SCREENSHOTS=<folder> saves the README's two pictures there.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from sync_queue import Store, meta
from sync_queue.dedup import EnqueueRequest
from sync_queue.queue import SyncOutcome
from tests.e2e.browser.harness import Missing, PageServer, react_umd, start_browser
from tests.fixtures import ui_states

pytestmark = pytest.mark.e2e

WAIT_S = 60.0  # bounded waits for the page; nothing is asserted about time
WORDS = {"in_plex": "in Plex", "queued": "queued", "syncing": "syncing", "not_in_plex": "not in Plex",
         "ambiguous": "ambiguous", "out_of_scope": "out of scope", "failed": "failed",
         "never_synced": "not synced yet"}


def _needed(get):
    try:
        return get()
    except (Missing, ImportError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI installs it: .ci/run)")
        pytest.skip(f"{exc}; the browser tests run in CI, whose set-up (.ci/run) installs it")


@pytest.fixture(scope="module")
def browser():
    vendor = _needed(react_umd)
    driver = _needed(start_browser)
    page = PageServer(vendor)
    yield driver, page
    driver.quit()
    page.stop()


@pytest.fixture
def ui(browser, make_env):
    """A browser on the test page, talking to a fresh environment's Stash; `open(path)` loads a page."""
    driver, page = browser
    envs = []

    class Ui:
        def __init__(self) -> None:
            self.driver = driver

        def env(self, **kwargs):
            env = make_env(**kwargs)
            page.stash_url = env.stash.url
            page.plugin_dir = env.stash.host.plugins["Stash2Plex"].dir
            envs.append(env)
            return env

        def open(self, path: str) -> None:
            driver.get(page.url + path)

        def wait(self, condition, what: str):
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline:
                found = condition()
                if found:
                    return found
                time.sleep(0.05)
            raise AssertionError(f"the page never showed {what}")

        def css(self, selector: str):
            return driver.find_elements("css selector", selector)

        def badge(self, state: str | None = None):
            def shown():
                found = self.css(".stash2plex-badge")
                return found[0] if found and (state is None or found[0].get_attribute("data-state") == state) else None
            return self.wait(shown, f"the {state or 'scene'} badge")

        def screenshot(self, element, name: str) -> None:
            folder = os.environ.get("STASH2PLEX_SCREENSHOTS")
            if folder:
                Path(folder).mkdir(parents=True, exist_ok=True)
                element.screenshot(str(Path(folder) / name))

    return Ui()


def _db(env) -> Store:
    return Store(env.data_dir / "stash2plex.sqlite3")


def test_the_badge_shows_each_state_with_its_reason_and_last_sync(ui) -> None:
    env = ui.env(scenes=5)
    with _db(env) as store:
        ui_states.seed(store, time.time() - 5 * 60)
    for scene_id, (state, keys) in ui_states.SCENES.items():
        ui.open(f"/scenes/{scene_id}")
        badge = ui.badge()
        assert (badge.get_attribute("data-state"), badge.text) == (state, WORDS[state])
        title = badge.get_attribute("title")
        assert ui_states.MESSAGES.get(scene_id, "") in title
        if state in ("in_plex", "out_of_scope"):
            assert title.endswith("; last synced 5 minutes ago")
        links = ui.css(".stash2plex-open")
        assert [int(a.get_attribute("data-rating-key")) for a in links] == (
            [] if state in ("not_in_plex", "ambiguous") else keys)
        if state == "in_plex":
            assert [a.text for a in links] == ["Open in Plex (1)", "Open in Plex (2)"]
            ui.screenshot(ui.css(".scene-page")[0], "ui-badge.png")


def test_sync_now_follows_the_scene_into_plex_and_links_to_its_item(ui) -> None:
    env = ui.env(scenes=5)
    ui.open("/scenes/3")
    ui.badge("never_synced")
    ui.css(".stash2plex-sync")[0].click()
    ui.badge("in_plex")
    env.assert_in_step(3)
    machine_id = re.search(r'machineIdentifier="([^"]+)"', requests.get(f"{env.plex.url}/identity", timeout=10).text)[1]
    key = env.plex_item_for_scene(3).rating_key
    (link,) = ui.css(".stash2plex-open")
    assert link.get_attribute("href") == (f"https://app.plex.tv/desktop/#!/server/{machine_id}/details?key="
                                          f"{quote('/library/metadata/', safe='')}{key}")
    (server,) = ui.css(".stash2plex-server")
    assert server.get_attribute("href") == (f"{env.plex.url}/web/index.html#!/server/{machine_id}/details?key="
                                            f"%2Flibrary%2Fmetadata%2F{key}")
    assert env.plex.token not in ui.driver.page_source
    with _db(env) as store:
        assert store.meta.get(meta.PLEX_MACHINE_ID) == machine_id


def test_the_status_page_shows_queue_status_numbers_lists_and_retries_a_dead_letter(ui) -> None:
    env = ui.env(scenes=5)
    with _db(env) as store:
        store.queue.enqueue([EnqueueRequest(s, "edited") for s in range(201, 231)])
        for job in store.queue.claim(30):
            store.queue.complete(job, SyncOutcome("not_found", updated_at=ui_states.UPDATED_AT, message="absent"))
        ui_states.seed(store, time.time() - 120)
        store.meta.stamp(meta.LAST_BULK_SYNC, "Sync All: 1 synced, 0 unchanged", time.time() - 600)
        store.meta.stamp(meta.LAST_RECONCILE, "Reconcile (recent): 12 scenes", time.time() - 300)
        store.meta.record_failure("Plex did not answer", time.time() - 60)
        store.lease.acquire("test:holder", 600.0)  # a drainer "runs", so the retry below spawns none
        counts = store.scenes.status_counts()
    ui.open("/settings")
    (entry,) = ui.wait(lambda: ui.css(".stash2plex-entry a"), "the link on the plugin's entry")
    entry.click()
    ui.wait(lambda: all(ui.css(f"{part} li") for part in (".stash2plex-dead", "[data-list=not_in_plex]",
                                                           "[data-list=ambiguous]")), "the status page")
    text = lambda selector: ui.css(selector)[0].text  # noqa: E731
    assert text("[data-figure=queue]") == "queued 1, in progress 1, next retry none"
    assert text("[data-figure=drainer]").startswith(f"drainer running (pid {os.getpid()})")
    assert text("[data-figure=last-error]") == "The background sync stopped 1 minute ago: Plex did not answer"
    shown = {li.get_attribute("data-count"): li.text for li in ui.css(".stash2plex-counts li")}
    assert shown == {name: f"{name.replace('_', ' ')}: {n}" for name, n in counts.items()}
    assert [dd.text for dd in ui.css(".stash2plex-passes dd")] == [
        "Sync All: 1 synced, 0 unchanged (10 minutes ago)", "Reconcile (recent): 12 scenes (5 minutes ago)", "never"]
    not_in_plex = "[data-list=not_in_plex]"
    assert ui.css(f"{not_in_plex} h3")[0].text == "Not in Plex (31)"
    first_page = [a.get_attribute("href").rsplit("/", 2)[-2:] for a in ui.css(f"{not_in_plex} li a")]
    assert first_page == [["scenes", str(s)] for s in [104, *range(201, 225)]]
    ui.css(f"{not_in_plex} .stash2plex-pager button")[1].click()
    ui.wait(lambda: len(ui.css(f"{not_in_plex} li")) == 6, "the second page")
    assert ui.css(f"{not_in_plex} li")[-1].text == "Scene 230: absent"
    ui.screenshot(ui.css(".stash2plex-page")[0], "ui-status-page.png")
    assert [li.text for li in ui.css("[data-list=ambiguous] li")] == [f"Scene 105: {ui_states.MESSAGES[105]}"]
    (letter,) = ui.css(".stash2plex-dead li")
    assert letter.text.startswith(f"Scene 107: [permanent] {ui_states.MESSAGES[107]}")
    letter.find_element("css selector", ".stash2plex-retry").click()
    ui.wait(lambda: ui.css(".stash2plex-dead h3")[0].text == "Dead letters (0)", "the letter retried")
    with _db(env) as store:
        assert store.dead_letters.count() == 0 and store.scenes.get_many([107])[107].status == "queued"


def test_on_stash_v0_24_the_ui_shows_nothing_and_logs_nothing(ui) -> None:
    from simulators.shared import stash_schema_sdl
    from tests.fixtures.shared import shared_or_skip

    shared_or_skip(lambda: stash_schema_sdl("v0.24.0"))
    env = ui.env(scenes=5, stash_kwargs={"version": "v0.24.0"})
    with _db(env) as store:
        ui_states.seed(store, time.time())
    ui.driver.get_log("browser")  # what earlier tests' pages logged is not this test's
    logged = []
    for path, drawn in (("/scenes/101", ".stash2plex-badge"), ("/plugin/stash2plex", ".stash2plex-page h2")):
        ui.open(path)
        ui.wait(lambda: ui.driver.execute_script("return window.__standin.settled()") >= 1, "the call answered")
        assert ui.css(drawn) == []
        logged += [e for e in ui.driver.get_log("browser") if e.get("source") != "network"]
    assert logged == []
    assert not [r for r in env.stash.runs if r.kind == "operation"]
