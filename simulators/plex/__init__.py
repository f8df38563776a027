"""Simulated Plex Media Server (the PMS XML API as plexapi 4.18 uses it) for tests, demo and benchmarks."""

from __future__ import annotations

from simulators.plex.model import ItemState
from simulators.plex.simulator import DEFAULT_TOKEN, PlexSimulator

__all__ = ["DEFAULT_TOKEN", "ItemState", "PlexSimulator"]
