"""Drainer lease and metadata."""

from __future__ import annotations

from store import lease
from store.meta import claim_if_due, get_meta, set_meta


def test_lease_is_exclusive_until_it_expires(conn) -> None:
    assert lease.holder(conn) is None and not lease.is_held(conn, 0.0)
    assert lease.acquire(conn, "a", 101, ttl=30, now=100.0)
    assert lease.acquire(conn, "a", 101, ttl=30, now=110.0)  # already mine: extends
    assert lease.holder(conn) == lease.LeaseInfo("a", 101, 110.0, 140.0)
    assert not lease.acquire(conn, "b", 202, ttl=30, now=139.9)
    assert lease.is_held(conn, 139.9) and not lease.is_held(conn, 140.0)
    assert lease.acquire(conn, "b", 202, ttl=30, now=140.0)
    assert lease.holder(conn).owner == "b"


def test_renew_fails_for_a_non_holder(conn) -> None:
    assert lease.acquire(conn, "a", 1, ttl=10, now=0.0)
    assert lease.renew(conn, "a", 1, ttl=10, now=5.0)
    assert lease.holder(conn).expires_at == 15.0
    assert not lease.renew(conn, "b", 2, ttl=10, now=6.0)
    assert lease.acquire(conn, "b", 2, ttl=10, now=16.0)
    assert not lease.renew(conn, "a", 1, ttl=10, now=17.0)  # fenced: a lost the lease
    lease.release(conn, "a")  # not a's to release
    assert lease.holder(conn).owner == "b"
    lease.release(conn, "b")
    assert lease.holder(conn) is None


def test_meta_get_set(conn) -> None:
    assert get_meta(conn, "enabled") is None
    assert get_meta(conn, "enabled", "1") == "1"
    set_meta(conn, "enabled", "0")
    set_meta(conn, "enabled", "1")
    assert get_meta(conn, "enabled") == "1"


def test_claim_if_due_once_per_interval(conn) -> None:
    assert claim_if_due(conn, "k", 60, now=1000.0)
    assert not claim_if_due(conn, "k", 60, now=1059.0)
    assert claim_if_due(conn, "k", 60, now=1060.0)
    assert claim_if_due(conn, "other", 60, now=1060.0)
    assert claim_if_due(conn, "k", 60, now=500.0)  # clock went back: not blocked for good
    set_meta(conn, "k", "garbage")
    assert claim_if_due(conn, "k", 60, now=600.0)
