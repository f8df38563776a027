"""Stash's failures, sorted by what the caller can do about them; every one is a `PluginError`."""

from __future__ import annotations

from typing import Sequence

from plugin import log
from plugin.errors import PluginError


class StashError(PluginError):
    """Stash answered, but not with usable data (GraphQL errors, HTTP errors, HTML instead of JSON)."""

    def __init__(self, message: str, messages: Sequence[str] = ()) -> None:
        super().__init__(log.redact(message))
        self.messages = tuple(log.redact(m) for m in messages)


class StashAuthError(StashError):
    """Stash refused our credentials (HTTP 401): retrying with the same ones will not help."""


class StashUnavailable(StashError):
    """Stash could not answer now (connection refused, timeout, database locked): worth retrying later."""


class StashAnswerLost(StashUnavailable):
    """The request was sent and its answer lost (timed out, or the connection broke): Stash may have applied it.
    A mutation is never sent again blindly (`plugin.transport` resends only reads)."""
