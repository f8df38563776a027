"""``python -m bench.readme``: rewrites the README's benchmark table from bench/results/latest.json, so the table
is always the output of a run (never typed by hand)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench table: python -m bench.readme -->", "<!-- end of bench table -->"


def render(latest: dict) -> str:
    rows = [("section", "figure", "value", "target", "")]
    for key, figure in latest.items():
        section, _, name = key.partition(" | ")
        value = figure["value"]
        shown = "not measured" if value is None else f"{value:,}" if isinstance(value, int) else str(value)
        rows.append((section, name, shown, figure["target"], figure["verdict"]))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(["```", *lines, "```"])


def main() -> int:
    latest = json.loads((ROOT / "bench" / "results" / "latest.json").read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    before, _, rest = readme.partition(START)
    _, _, after = rest.partition(END)
    if not rest:
        print(f"README.md has no {START} marker", file=sys.stderr)
        return 1
    (ROOT / "README.md").write_text(f"{before}{START}\n{render(latest)}\n{END}{after}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
