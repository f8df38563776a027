"""A self-signed certificate for the Stash simulator's TLS mode, made on the fly (trustme, a dev dependency)."""

from __future__ import annotations

import ssl


def self_signed_context(hostname: str) -> ssl.SSLContext:
    """A server context whose certificate names only `hostname` and is signed by a throwaway CA nobody trusts."""
    import trustme

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert(hostname).configure_cert(context)
    return context
