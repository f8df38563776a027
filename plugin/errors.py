"""The root of every expected failure: `PluginError`, whose `message` is written for the user and free of secrets.

Plex failures (`plex.errors.PlexError`), Stash failures (`stash.errors.StashError`) and bad settings all derive
from it, so one `except PluginError` catches every failure a user can act on, and `user_message` is the one way
any exception becomes text for Stash's log and the task's error.
"""

from __future__ import annotations


class PluginError(Exception):
    """An expected failure (Stash or Plex unreachable, bad credentials, bad input) with a user-fit message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def user_message(exc: BaseException) -> str:
    """The text a user sees for any exception: a PluginError's own message, else the type and text of an
    unexpected failure (a bug); secrets redacted either way."""
    from plugin.log import redact

    if isinstance(exc, PluginError):
        return redact(exc.message)
    return redact(f"{type(exc).__name__}: {exc}")
