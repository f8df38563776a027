"""The root of every error whose message is written for the user and already free of secrets.

The entry point and the drainer print such messages as they are; anything else is treated as a bug.
"""

from __future__ import annotations


class PluginError(Exception):
    """An expected failure (Stash or Plex unreachable, bad credentials, bad input) with a user-fit message."""
