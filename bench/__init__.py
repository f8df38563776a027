"""Benchmarks of speed, request economy and memory (`python -m bench`); never part of the test suite."""

from __future__ import annotations
