"""The sink's store on a real PostgreSQL: same behaviour as SQLite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.sink.apply import apply_decision
from services.sink.store import EventQuery, EventStore
from tests.conftest import make_decision
from tests.e2e.pg import postgres_server

pytestmark = [pytest.mark.postgres]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def test_postgres_store_upserts_merges_and_queries(pg_url: str) -> None:
    store = EventStore(pg_url)
    try:
        assert len(apply_decision(store, make_decision("a1", "e1", title="Call on Ukraine"))) == 1
        assert apply_decision(store, make_decision("a1", "e1", title="Call on Ukraine")) == []
        apply_decision(store, make_decision("b1", "e2"))
        updates = apply_decision(store, make_decision("c1", "e1", merged=("e2",)))
        assert {u.event_id for u in updates} == {"e1", "e2"}
        events = store.events()
        assert [e.event_id for e in events] == ["e1"]
        assert {s.article_id for s in events[0].sources} == {"a1", "b1", "c1"}
        assert [e.event_id for e in store.events(EventQuery(text="ukraine"))] == ["e1"]
        assert store.events(EventQuery(entity="person:joe-biden"))[0].event_id == "e1"
    finally:
        store.close()
