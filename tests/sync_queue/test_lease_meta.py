"""Drainer lease and metadata."""

from __future__ import annotations

import os

from sync_queue.lease import LeaseInfo


def test_lease_is_exclusive_until_it_expires(store) -> None:
    lease = store.lease
    assert lease.holder(0.0) is None and not lease.is_held(0.0)
    assert lease.acquire("a", ttl=30, now=100.0)
    assert lease.acquire("a", ttl=30, now=110.0)  # already mine: extends
    assert lease.holder(110.0) == LeaseInfo("a", os.getpid(), 110.0, 140.0)
    assert not lease.acquire("b", ttl=30, now=139.9)
    assert lease.is_held(139.9) and not lease.is_held(140.0)
    assert lease.acquire("b", ttl=30, now=140.0)
    assert lease.holder(140.0).owner == "b"


def test_renew_fails_for_a_non_holder(store) -> None:
    lease = store.lease
    assert lease.acquire("a", ttl=10, now=0.0)
    assert lease.renew("a", ttl=10, now=5.0)
    assert lease.holder(5.0).expires_at == 15.0
    assert not lease.renew("b", ttl=10, now=6.0)
    assert lease.acquire("b", ttl=10, now=16.0)
    assert not lease.renew("a", ttl=10, now=17.0)  # fenced: a lost the lease
    lease.release("a")  # not a's to release
    assert lease.holder(17.0).owner == "b"
    lease.release("b")
    assert lease.holder(17.0) is None


def test_meta_get_set_and_stamps(store) -> None:
    meta = store.meta
    assert meta.get("enabled") is None
    assert meta.get("enabled", "1") == "1"
    meta.set("enabled", "0")
    meta.set("enabled", "1")
    assert meta.get("enabled") == "1"
    meta.set("k", "recent")
    assert meta.stamped("s") is None
    meta.stamp("s", "moved 2 plays", 1000.5)
    assert meta.stamped("s") == (1000.5, "moved 2 plays")
    meta.stamp("s", None, 2000.0)
    assert meta.stamped("s") is None


def test_claim_if_due_once_per_interval(store) -> None:
    meta = store.meta
    assert meta.claim_if_due("k", 60, now=1000.0)
    assert not meta.claim_if_due("k", 60, now=1059.0)
    assert meta.claim_if_due("k", 60, now=1060.0)
    assert meta.claim_if_due("other", 60, now=1060.0)
    assert meta.claim_if_due("k", 60, now=500.0)  # clock went back: not blocked for good
    meta.set("k", "garbage")
    assert meta.claim_if_due("k", 60, now=600.0)


def test_settings_cache_for_hooks(store) -> None:
    assert store.meta.cached_enabled()  # before the first drain: enabled
    store.meta.cache_settings(False, None, "all")
    assert not store.meta.cached_enabled()
    assert (store.meta.get("reconcile_interval_s"), store.meta.get("reconcile_scope")) == ("0", "all")
