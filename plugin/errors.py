"""The one exception type whose message is meant for the person reading the Stash log."""

from __future__ import annotations


class PluginError(Exception):
    """A failure we understand (missing setting, wrong token, Plex down...): shown as is, without a traceback."""
