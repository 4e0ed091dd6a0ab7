"""services.fetcher.seen: publish once, versions, re-checks, pruning."""

from __future__ import annotations

import json
from typing import Any

from services.fetcher.seen import SeenState, content_hash


def test_seen_publish_once_then_version_on_change() -> None:
    table: dict[str, Any] = {}
    seen = SeenState(table)
    first = seen.decide(["u:a"], "h1", "id-a")
    assert (first.publish, first.version, first.reason) == (True, 1, "new")
    seen.commit(["u:a", "u:alias"], first, "h1", etag='"e"')
    repeat = seen.decide(["u:a"], "h1", "other-id")
    assert not repeat.publish and repeat.reason == "unchanged"
    changed = SeenState(table).decide(["u:alias"], "h2", "other-id")  # a new instance over the same table
    assert (changed.publish, changed.version, changed.article_id) == (True, 2, "id-a")
    seen.commit(["u:a"], changed, "h2")
    assert seen.decide("u:a", "h1", "x").version == 3  # reverting is a change too
    assert json.loads(json.dumps(table))  # JSON-serialisable (faust changelog)


def test_seen_needs_check_and_malformed_values() -> None:
    table: dict[str, Any] = {"u:bad": "garbage", "u:worse": {"id": "x"}}
    seen = SeenState(table)
    assert seen.get("u:bad") is None and seen.get("u:worse") is None
    assert seen.decide("u:bad", "h", "id").publish
    seen.commit(["u:k"], seen.decide("u:k", "h", "id"), "h", marker="m1", now=1000.0)
    assert not seen.needs_check("u:k", marker="m1", recheck_seconds=60, now=1030.0)
    assert seen.needs_check("u:k", marker="m2", recheck_seconds=60, now=1030.0)
    assert seen.needs_check("u:k", marker="m1", recheck_seconds=60, now=1061.0)
    seen.touch("u:k", now=2000.0)
    assert not seen.needs_check("u:k", marker=None, recheck_seconds=60, now=2030.0)
    assert content_hash("a") == content_hash(b"a") != content_hash("b")


def test_seen_prune_forgets_old_pages_only() -> None:
    table: dict[str, Any] = {}
    seen = SeenState(table)
    for key, when in (("u:old", 100.0), ("u:new", 900.0), ("f:/data/old.txt", 100.0)):
        seen.commit([key], seen.decide(key, "h", "id"), "h", now=when)
    table["u:junk"] = 42
    assert seen.prune(older_than=500.0) == 2
    assert sorted(table) == ["f:/data/old.txt", "u:new"]
