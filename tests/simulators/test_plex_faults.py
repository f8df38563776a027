"""Auth and fault injection: what plexapi/requests raise in each failure mode, and that each one recovers.

No timed assertions: latency is checked as configured-and-echoed, slow bodies through a client timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from plexapi.exceptions import BadRequest, Unauthorized
from plexapi.server import PlexServer

from simulators.plex.writer import OneWriter

pytestmark = pytest.mark.e2e  # the Plex simulator runs as a server

REPO = Path(__file__).resolve().parents[2]


def test_wrong_or_missing_token_is_unauthorized(plex_sim):
    with pytest.raises(Unauthorized):
        PlexServer(plex_sim.url, "wrong-token", timeout=5)
    resp = requests.get(f"{plex_sim.url}/library/sections", timeout=5)
    assert resp.status_code == 401 and resp.headers["Content-Type"].startswith("text/html")
    assert len(resp.content) < 200
    assert requests.get(f"{plex_sim.url}/?X-Plex-Token={plex_sim.token}", timeout=5).status_code == 200
    assert requests.get(f"{plex_sim.url}/identity", timeout=5).status_code == 200
    assert [e.status for e in plex_sim.log] == [401, 401, 200, 200]


def test_custom_token(make_plex_sim):
    sim = make_plex_sim(token="other-secret")
    assert PlexServer(sim.url, "other-secret", timeout=5).machineIdentifier
    with pytest.raises(Unauthorized):
        PlexServer(sim.url, "sim-plex-token", timeout=5)


def test_revoked_token_mode(plex_sim):
    plex = PlexServer(plex_sim.url, plex_sim.token, timeout=5)
    plex_sim.faults.unauthorized = True
    with pytest.raises(Unauthorized):
        plex.fetchItem(10001)
    plex_sim.faults.unauthorized = False
    assert plex.fetchItem(10001).ratingKey == 10001


@pytest.mark.parametrize("status", [500, 503])
def test_error_window_by_count_then_recovery(plex_sim, status):
    plex = PlexServer(plex_sim.url, plex_sim.token, timeout=5)
    plex_sim.faults.set_error_window(count=2, status=status)
    for _ in range(2):
        with pytest.raises(BadRequest, match=rf"\({status}\)"):
            plex.fetchItem(10001).editTitle("never")
    assert plex.fetchItem(10001).title != "never"
    assert [e.status for e in plex_sim.log[-3:]] == [status, status, 200]


def test_error_window_by_time_is_reported_then_cleared(plex_sim):
    plex_sim.faults.set_error_window(seconds=60, status=503)
    assert requests.get(f"{plex_sim.url}/identity", timeout=5).status_code == 503
    assert requests.get(f"{plex_sim.url}/identity", timeout=5).status_code == 503
    stats = requests.get(f"{plex_sim.url}/_sim/stats", timeout=5).json()
    assert stats["faults"]["error_window"]["status"] == 503
    requests.post(f"{plex_sim.url}/_sim/faults", json={}, timeout=5)
    assert requests.get(f"{plex_sim.url}/identity", timeout=5).status_code == 200


def test_latency_is_applied_and_echoed(plex_sim):
    requests.post(f"{plex_sim.url}/_sim/faults", json={"latency_ms": 30}, timeout=5)
    assert plex_sim.faults.latency_ms == 30
    assert requests.get(f"{plex_sim.url}/_sim/stats", timeout=5).json()["faults"]["latency_ms"] == 30
    assert PlexServer(plex_sim.url, plex_sim.token, timeout=5).fetchItem(10001).ratingKey == 10001
    requests.post(f"{plex_sim.url}/_sim/faults", json={}, timeout=5)
    assert plex_sim.faults.latency_ms == 0


def test_refused_connections_then_same_port_again(plex_sim):
    session = requests.Session()
    plex = PlexServer(plex_sim.url, plex_sim.token, session=session, timeout=5)
    port = plex_sim.port
    plex_sim.faults.refuse_connections()
    with pytest.raises(requests.exceptions.ConnectionError):
        plex.fetchItem(10001)  # the pooled keep-alive connection was shut too
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{plex_sim.url}/identity", timeout=5)
    plex_sim.faults.accept_connections()
    assert plex_sim.port == port
    assert plex.fetchItem(10001).ratingKey == 10001


def test_refusal_requested_over_control_endpoint_reopens(plex_sim):
    resp = requests.post(f"{plex_sim.url}/_sim/faults", json={"refuse_connections_s": 0.3}, timeout=5)
    assert resp.json()["refusing_connections"] is True
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{plex_sim.url}/identity", timeout=5)
    for _ in range(100):  # bounded wait for the reopen timer; no assertion on how long it took
        try:
            requests.get(f"{plex_sim.url}/identity", timeout=5)
            break
        except requests.exceptions.ConnectionError:
            time.sleep(0.05)
    assert requests.get(f"{plex_sim.url}/identity", timeout=5).status_code == 200


def test_slow_body_with_short_client_timeout(plex_sim):
    plex_sim.faults.slow_body_s = 2.0
    with pytest.raises(requests.exceptions.ReadTimeout):
        PlexServer(plex_sim.url, plex_sim.token, timeout=0.2)
    plex_sim.faults.slow_body_s = 0.0
    assert PlexServer(plex_sim.url, plex_sim.token, timeout=5).machineIdentifier


def test_control_calls_bypass_faults_and_counters(plex_sim):
    plex_sim.faults.unauthorized = True
    plex_sim.faults.set_error_window(count=5)
    stats = requests.get(f"{plex_sim.url}/_sim/stats", timeout=5)
    assert stats.status_code == 200
    assert stats.json()["counts"]["total"] == 0


def test_command_line_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEXAPI_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulators.plex", "--port", "0", "--scenes", "30", "--seed", "1", "--token", "T",
         "--latency-ms", "1"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("PLEX_URL=http://127.0.0.1:")
        url = line.split("=", 1)[1]
        plex = PlexServer(url, "T", timeout=5)
        assert len(plex.library.sectionByID(1).all()) == 29
        stats = requests.get(f"{url}/_sim/stats", timeout=5).json()
        assert stats["faults"]["latency_ms"] == 1
        assert stats["counts"]["listing"] == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the simulator never got there"
        time.sleep(0.005)


def test_the_latency_models_writer_takes_writes_in_order_and_reads_wait_only_for_earlier_writes():
    writer = OneWriter()
    first = threading.Thread(target=writer.write, args=(0.3,))
    first.start()
    _until(lambda: writer.to_json()["queued"] == 1)
    second = threading.Thread(target=writer.write, args=(0.3,))
    second.start()
    _until(lambda: writer.to_json()["queued"] == 2)
    reader = threading.Thread(target=writer.read, args=(0.0, "other-client"))
    reader.start()
    _until(lambda: writer.to_json()["waiting_reads"] == 1)
    later = threading.Thread(target=writer.write, args=(0.3,))
    later.start()
    _until(lambda: not reader.is_alive())
    assert writer.writes == 2  # the read waited for both writes ahead of it, and a later write does not delay it
    assert [ahead for ahead, _ in writer.to_json()["read_waits"]["other-client"]] == [2]
    for thread in (first, second, later):
        thread.join()
    writer.read(0.0, "other-client")
    assert [ahead for ahead, _ in writer.to_json()["read_waits"]["other-client"]] == [2, 0]
    assert writer.to_json()["busy_s"] == pytest.approx(0.9)


def test_reads_under_the_latency_model_are_recorded_per_client(make_plex_sim):
    sim = make_plex_sim(write_ms=20, poster_ms=40)
    requests.get(f"{sim.url}/library/metadata/1", timeout=5,
                 headers={"X-Plex-Token": sim.token, "X-Plex-Client-Identifier": "another-app"})
    requests.put(f"{sim.url}/library/sections/1/all?type=1&id=1&title.value=T&title.locked=1", timeout=5,
                 headers={"X-Plex-Token": sim.token})
    writer = requests.get(f"{sim.url}/_sim/stats", timeout=5).json()["writer"]
    assert writer["read_waits"] == {"another-app": [[0, writer["read_waits"]["another-app"][0][1]]]}
    assert writer["writes"] == 1 and writer["busy_s"] == pytest.approx(0.02)
    requests.post(f"{sim.url}/_sim/reset-stats", timeout=5)
    assert requests.get(f"{sim.url}/_sim/stats", timeout=5).json()["writer"] == {
        "busy_s": 0.0, "writes": 0, "queued": 0, "waiting_reads": 0, "read_waits": {}}
