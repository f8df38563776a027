"""``python -m bench.readme``: rewrites the README's benchmark table, and the sentences under it, from
bench/results/latest.json, so both are always the output of one run (never typed by hand) and cannot disagree.
`python -m bench` calls it after a full run."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
START, END = "<!-- bench table: python -m bench.readme -->", "<!-- end of bench table -->"


def _shown(value: object) -> str:
    return "not measured" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def render(latest: dict) -> str:
    rows = [("section", "figure", "value", "target", "")]
    for key, figure in latest.items():
        section, _, name = key.partition(" | ")
        rows.append((section, name, _shown(figure["value"]), figure["target"], figure["verdict"]))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(["```", *lines, "```", "", prose(latest)])


def prose(latest: dict) -> str:
    """What the table says, in words, from the same figures (a clause whose figures were not measured is left
    out rather than guessed)."""
    value = lambda key: (latest.get(key) or {}).get("value")  # noqa: E731
    judged = {key: figure for key, figure in latest.items() if figure["verdict"]}
    missed = [f"{key.partition(' | ')[2]} ({_shown(f['value'])} against {f['target']})"
              for key, f in judged.items() if f["verdict"] != "met"]
    sentences = [f"Every one of the {len(judged)} figures with a target is met." if not missed else
                 f"{len(judged) - len(missed)} of the {len(judged)} figures with a target are met; not met: "
                 + "; ".join(missed) + "."]
    model = [value(f"6 model | {k}") for k in ("first sync wall s", "wall / write limit",
                                               "Plex write limit s (needed writes)", "PUTs/changed item")]
    if None not in model:
        sentences.append(f"Against a Plex that answers like a real one (part 6), a first sync took "
                         f"{_shown(model[0])} s, {_shown(model[1])} times the {_shown(model[2])} s Plex's one "
                         f"writer needs for the writes a perfect plugin must make, with {_shown(model[3])} edit "
                         "PUTs per changed item.")
    crash = [value(f"7 crash | {k}") for k in ("SIGKILLs during a first sync", "extra edit PUTs per kill",
                                               "extra poster uploads per kill")]
    if None not in crash:
        sentences.append(f"{_shown(crash[0])} SIGKILLs during a first sync cost {_shown(crash[1])} extra edit PUTs "
                         f"and {_shown(crash[2])} extra poster uploads per kill.")
    return textwrap.fill(" ".join(sentences), width=116)


def update(latest_path: Optional[Path] = None) -> bool:
    """Rewrites the README's table and sentences from `latest_path`; False when the README has no markers."""
    latest = json.loads((latest_path or RESULTS / "latest.json").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    before, _, rest = readme.partition(START)
    _, _, after = rest.partition(END)
    if not rest:
        print(f"README.md has no {START} marker", file=sys.stderr)
        return False
    (ROOT / "README.md").write_text(f"{before}{START}\n{render(latest)}\n{END}{after}", encoding="utf-8")
    return True


def main() -> int:
    return 0 if update() else 1


if __name__ == "__main__":
    sys.exit(main())
