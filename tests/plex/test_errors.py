from __future__ import annotations

import pytest
from plexapi import exceptions as px

from plex.errors import (
    PlexAnswerLost,
    PlexDown,
    PlexMisconfigured,
    PlexNotFound,
    PlexPermanent,
    PlexTransient,
    PlexUnauthorized,
    classify,
    for_status,
    scrub,
)
from plugin import transport

TOKEN = "SeCrEtToKeN123"


@pytest.mark.parametrize("exc,cls", [
    (transport.Unreachable(f"http://h did not accept a connection within 5 s?X-Plex-Token={TOKEN}", True), PlexDown),
    (transport.Unreachable("http://h could not be reached (refused)"), PlexDown),
    (transport.AnswerLost("http://h did not answer within 30 s", True), PlexAnswerLost),
    (transport.AnswerLost("http://h broke the connection before answering"), PlexAnswerLost),
    (transport.Redirected("http://h answered HTTP 301", 301, "https://h/"), PlexMisconfigured),
    (transport.Untrusted("http://h has a certificate that is not trusted"), PlexMisconfigured),
    (px.Unauthorized("(401) unauthorized; http://h/"), PlexUnauthorized),
    (px.NotFound("(404) not_found; http://h/library/metadata/9"), PlexNotFound),
    (px.BadRequest("(503) service_unavailable; http://h/"), PlexDown),
    (px.BadRequest("(502) bad_gateway; http://h/"), PlexDown),
    (px.BadRequest("(500) internal_server_error; http://h/"), PlexTransient),
    (px.BadRequest("(429) too_many_requests; http://h/"), PlexTransient),
    (px.BadRequest("(400) bad_request; http://h/"), PlexPermanent),
    (px.BadRequest("Invalid filter field: x"), PlexPermanent),
    (__import__("xml.etree.ElementTree").etree.ElementTree.ParseError("junk"), PlexTransient),
    (RuntimeError("odd"), PlexTransient),
])
def test_classes(exc, cls):
    err = classify(exc, TOKEN)
    assert type(err) is cls
    assert classify(err) is err


def test_unauthorized_message():
    assert classify(px.Unauthorized("(401) x")).message.startswith("Plex rejected the token")
    assert for_status(401, "GET /").message.startswith("Plex rejected the token")


@pytest.mark.parametrize("status,cls", [(504, PlexDown), (520, PlexTransient), (409, PlexPermanent),
                                        (404, PlexNotFound)])
def test_status(status, cls):
    assert type(for_status(status, "PUT /library/sections/1/all")) is cls


def test_messages_never_carry_the_token():
    raw = (f"HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: "
           f"/library/sections?X-Plex-Token={TOKEN}&a=b (Caused by X-Plex-Token: {TOKEN})")
    for exc in (transport.AnswerLost(raw), px.BadRequest("(500) e; " + raw), RuntimeError(raw)):
        assert TOKEN not in classify(exc, TOKEN).message
        assert TOKEN not in classify(exc).message  # even when the caller does not pass the token
    assert TOKEN not in for_status(400, f"GET /x?X-Plex-Token={TOKEN}", body=f"token={TOKEN}", token=TOKEN).message
    assert scrub("x" * 1000).endswith("...")
