"""``python -m simulators.plex --port 0 --scenes 2000 --seed 1``: serve until SIGTERM/SIGINT.

Prints exactly one line, ``PLEX_URL=http://127.0.0.1:PORT``, once the socket is listening, so a parent process
can read the URL and start talking at once.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from simulators.plex.simulator import DEFAULT_TOKEN, PlexSimulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.plex", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--scenes", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--listing-item-ms", type=float, default=0.0, help="time a listing takes per item listed")
    parser.add_argument("--read-ms", type=float, default=0.0, help="latency model: extra time per read")
    parser.add_argument("--write-ms", type=float, default=0.0, help="latency model: time per edit, one at a time")
    parser.add_argument("--poster-ms", type=float, default=0.0, help="latency model: time per poster upload")
    parser.add_argument("--max-request-line", type=int, default=0, help="answer 414 above this many bytes (0: none)")
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sim = PlexSimulator(scenes=args.scenes, seed=args.seed, token=args.token, latency_ms=args.latency_ms,
                        listing_item_ms=args.listing_item_ms, max_request_line=args.max_request_line,
                        read_ms=args.read_ms, write_ms=args.write_ms, poster_ms=args.poster_ms,
                        port=args.port)
    sim.start()
    print(f"PLEX_URL={sim.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
