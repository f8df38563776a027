"""What one request of each kind a first sync makes costs the plugin in CPU, on three HTTP stacks (not a part of
`python -m bench`; run it alone: `python -m bench.transport_cost`).

Per synced scene the plugin makes three requests: the cover from Stash, the edit PUT (37% of them with a summary
of 3-7 KB encoded) and the poster POST to Plex. Each is sent N times in one thread against the simulators, and the
thread's CPU (`time.thread_time`) is divided by N, once with Plex answering at once ("hot") and once under the
latency model of part 6 ("model"):
- `plugin.transport.Transport` (requests on urllib3), as the plugin sends them;
- urllib3's pool alone, with the same retries and no redirects;
- `http.client` alone (a measuring stick here, never the plugin's transport).
A request that waits 25-60 ms for Plex costs more CPU than the same request back to back: the process's caches
are cold again after every wait.
"""

from __future__ import annotations

import http.client
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict
from urllib.parse import quote, urlencode, urlsplit

import urllib3

from bench.harness import PLEX_TOKEN, start_plex, start_stash
from bench.latency_model import MODEL
from plugin.transport import RETRY_IDEMPOTENT, RETRY_ONCE, Transport

SENDS = 150
_SCENES = "{ findScenes(filter: {per_page: 1}) { scenes { details paths { screenshot } } } }"


def _cpu_ms(send: Callable[[], object], sends: int = SENDS) -> float:
    for _ in range(5):
        send()
    start = time.thread_time()
    for _ in range(sends):
        send()
    return round((time.thread_time() - start) * 1000 / sends, 3)


class _Stacks:
    """The three ways to send one request to one server."""

    def __init__(self, url: str, headers: Dict[str, str]) -> None:
        parts = urlsplit(url)
        host = parts.hostname or "127.0.0.1"
        self.transport = Transport(url, (10, 60))
        self.pool = urllib3.HTTPConnectionPool(host, parts.port, maxsize=1)
        self.conn = http.client.HTTPConnection(host, parts.port, timeout=60)
        self.headers = {**self.transport.headers, **headers}

    def senders(self, method: str, target: str, body: bytes | None = None) -> Dict[str, Callable[[], object]]:
        retries = RETRY_IDEMPOTENT if method in ("GET", "PUT") else RETRY_ONCE

        def by_client() -> bytes:
            self.conn.request(method, target, body=body, headers=self.headers)
            return self.conn.getresponse().read()

        return {
            "requests (the plugin's)": lambda: self.transport.request(method, target, self.headers, body).content,
            "urllib3 pool": lambda: self.pool.urlopen(method, target, body=body, headers=self.headers,
                                                      retries=retries, redirect=False).data,
            "http.client": by_client,
        }


def run(workdir: Path, model: bool) -> dict:
    plex = start_plex(50, workdir, extra_args=MODEL if model else ())
    stash = start_stash(50, workdir, workdir / "plugins", workdir / "data", long_details=1.0)
    try:
        plex.ready(), stash.ready()
        scene = stash.session.post(f"{stash.url}/graphql", json={"query": _SCENES}, timeout=30).json()
        scene = scene["data"]["findScenes"]["scenes"][0]
        listing = plex.session.get(f"{plex.url}/library/sections/1/all", headers={"X-Plex-Token": PLEX_TOKEN},
                                   timeout=30).text
        found = re.search(r'ratingKey="(\d+)"', listing)
        if found is None:
            raise RuntimeError("the simulated Plex listed no item")
        rating_key = found.group(1)
        cover = urlsplit(scene["paths"]["screenshot"])
        cover_target = cover.path + (f"?{cover.query}" if cover.query else "")
        edit = f"/library/sections/1/all?type=1&id={rating_key}&title.value=A%20title&summary.locked=1&"
        long_edit = edit + urlencode({"summary.value": scene["details"]}, quote_via=quote, safe="")
        short_edit = edit + "summary.value=A%20short%20summary."
        to_plex, to_stash = _Stacks(plex.url, {"X-Plex-Token": PLEX_TOKEN}), _Stacks(stash.url, {})
        image = to_stash.transport.request("GET", cover_target).content
        cases = {
            "cover GET (Stash)": to_stash.senders("GET", cover_target),
            f"edit PUT, {len(long_edit):,} B query": to_plex.senders("PUT", long_edit),
            "edit PUT, short": to_plex.senders("PUT", short_edit),
            f"poster POST, {len(image):,} B": to_plex.senders("POST", f"/library/metadata/{rating_key}/posters",
                                                                image),
        }
        return {case: {stack: _cpu_ms(send) for stack, send in senders.items()} for case, senders in cases.items()}
    finally:
        plex.stop()
        stash.stop()


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        results = {"hot": run(Path(work), False), "model": run(Path(work), True)}
    print(json.dumps({"cpu_ms_per_request": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
