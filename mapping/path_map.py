"""Stash path -> Plex path: prefix rules from the setting, or inferred from both libraries' file lists.

Stash and Plex often see the same files under different mounts (Docker), and Windows adds `\\\\?\\` long
path prefixes and backslashes. Everything is compared in one normal form: forward slashes, no long-path
prefix, no trailing or doubled slashes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

from plex.parse import normalise_path
from plugin.settings import parse_pairs
from sync_queue.index import basename


def under(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or lies in it, on whole path components (`/data/a` does not hold `/data/ab/x`);
    every path lies under "" and "/"."""
    folder = folder.rstrip("/")
    return not folder or path == folder or path.startswith(folder + "/")


@dataclass(frozen=True)
class PathMap:
    """Ordered prefix rules; the longest matching Stash prefix wins. No rules = same paths on both sides."""

    rules: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> PathMap:
        """Parses `stash_prefix=plex_prefix;...`; raises ValueError naming the bad entry."""
        pairs, bad = parse_pairs(text)
        if bad:
            raise ValueError(f"path map entry {bad[0]!r} is not of the form stash_prefix=plex_prefix")
        return cls.from_pairs(pairs)

    @classmethod
    def from_pairs(cls, pairs) -> PathMap:
        """From (stash_prefix, plex_prefix) pairs already split, e.g. the validated path_map setting."""
        return cls(tuple((normalise_path(stash), plex) for stash, plex in pairs))

    def __str__(self) -> str:
        return ";".join(f"{s}={p}" for s, p in self.rules)

    def __bool__(self) -> bool:
        """False for the identity map (no rules)."""
        return bool(self.rules)

    def to_plex(self, stash_path: str) -> str:
        """The normalised Plex path of a Stash file (unchanged when no rule applies)."""
        path = normalise_path(stash_path)
        rule = self._rule_for(path)
        if rule is None:
            return path
        stash_prefix, plex_prefix = rule
        rest = path[len(stash_prefix):] if stash_prefix not in ("", "/") else path
        target = normalise_path(plex_prefix)
        if not rest:
            return target
        return normalise_path(target.rstrip("/") + "/" + rest.lstrip("/"))

    def applies_to(self, stash_path: str) -> bool:
        """Whether one of the rules' Stash prefixes holds the path (an identity map applies to none)."""
        return self._rule_for(normalise_path(stash_path)) is not None

    def _rule_for(self, path: str) -> Optional[tuple[str, str]]:
        matching = [r for r in self.rules if under(path, r[0])]
        return max(matching, key=lambda r: len(r[0])) if matching else None


@dataclass(frozen=True)
class InferEvidence:
    """What the inferred mapping rests on, to log for the user to confirm."""

    sampled: int
    with_candidates: int
    votes: dict[tuple[str, str], int]
    examples: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        ranked = sorted(self.votes.items(), key=lambda kv: -kv[1])[:3]
        tally = ", ".join(f"{s or '(root)'} -> {p or '(root)'}: {n}" for (s, p), n in ranked)
        shown = "; ".join(f"{s} -> {p}" for s, p in self.examples[:3])
        return f"{self.sampled} Stash paths sampled, {self.with_candidates} with a Plex file of the same name; " \
               f"votes: {tally}; e.g. {shown}"


def _split_common_suffix(a: str, b: str) -> tuple[str, str, int]:
    """Prefixes of a and b before their longest common run of trailing path components, and its length."""
    pa, pb = a.split("/"), b.split("/")
    n = 0
    while n < min(len(pa), len(pb)) and pa[-1 - n] == pb[-1 - n]:
        n += 1
    return "/".join(pa[: len(pa) - n]), "/".join(pb[: len(pb) - n]), n


def nearest(stash_path: str, plex_paths: Iterable[str]) -> Optional[tuple[str, str, str]]:
    """The Plex path sharing the longest run of trailing components with the Stash path (at least the file
    name), with the Stash and Plex prefixes before that run: (plex_path, stash_prefix, plex_prefix)."""
    stash_path = normalise_path(stash_path)
    scored = [(_split_common_suffix(stash_path, normalise_path(p)), normalise_path(p)) for p in plex_paths]
    scored = [(split, path) for split, path in scored if split[2] > 0]
    if not scored:
        return None
    (stash_prefix, plex_prefix, _), path = max(scored, key=lambda s: s[0][2])
    return path, stash_prefix or "/", plex_prefix or "/"


def _sample(paths: Sequence[str], size: int) -> list[str]:
    """Evenly spread, deterministic: the same libraries always infer the same mapping."""
    if len(paths) <= size:
        return list(paths)
    step = len(paths) / size
    return [paths[int(i * step)] for i in range(size)]


def infer(
    stash_paths: Iterable[str],
    plex_paths: Iterable[str],
    sample_size: int = 200,
    min_votes: int = 3,
) -> tuple[Optional[PathMap], InferEvidence]:
    """Finds the prefix pair that maps most sampled Stash paths onto existing Plex paths.

    Each sampled Stash file is paired with the Plex files of the same basename; the pair sharing the longest
    run of trailing components gives a (stash prefix, plex prefix) vote. A file whose best candidates disagree
    (duplicate names) does not vote. The winner needs `min_votes`, more than half of the files that had a
    candidate, and twice the runner-up; otherwise the answer is None (ask the user to set the path map).
    """
    by_name: dict[str, list[str]] = defaultdict(list)
    for plex_path in plex_paths:
        norm = normalise_path(plex_path)
        by_name[basename(norm)].append(norm)
    sample = _sample(sorted(normalise_path(p) for p in stash_paths), sample_size)
    votes: Counter = Counter()
    examples: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    with_candidates = 0
    for stash_path in sample:
        candidates = by_name.get(basename(stash_path), [])
        if not candidates:
            continue
        with_candidates += 1
        scored = [(_split_common_suffix(stash_path, c), c) for c in candidates]
        best = max(s[2] for s, _ in scored)
        pairs = {(s[0], s[1]) for s, _ in scored if s[2] == best}
        if len(pairs) != 1:
            continue
        pair = pairs.pop()
        votes[pair] += 1
        examples[pair].append((stash_path, next(c for s, c in scored if s[2] == best)))
    ranked = votes.most_common(2)
    winner = ranked[0] if ranked else None
    evidence = InferEvidence(len(sample), with_candidates, dict(votes), examples[winner[0]] if winner else [])
    if winner is None:
        return None, evidence
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    count = winner[1]
    if count < min_votes or count * 2 <= with_candidates or count < 2 * runner_up:
        return None, evidence
    stash_prefix, plex_prefix = winner[0]
    if stash_prefix == plex_prefix:
        return PathMap(), evidence
    return PathMap(((stash_prefix or "/", plex_prefix or "/"),)), evidence
