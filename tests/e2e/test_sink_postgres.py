"""The event store on a real PostgreSQL: same behaviour as SQLite, and the API serves from a SELECT-only role."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from services.api.app import create_app
from services.api.settings import ApiSettings
from services.sink.apply import apply_batch, apply_decision
from shared.contracts import DedupDecision
from shared.errors import WirewatchError
from shared.eventstore import EventQuery, EventReader, EventWriter
from tests.conftest import make_decision
from tests.e2e.pg import postgres_server

pytestmark = [pytest.mark.postgres]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


def test_postgres_store_upserts_merges_and_queries(pg_url: str) -> None:
    store = EventWriter(pg_url)
    try:
        first = apply_decision(store, make_decision("a1", "e1", title="Call on Ukraine"))
        assert len(first) == 1
        # redelivered: no row changes, the current record (same revision) is sent again
        assert apply_decision(store, make_decision("a1", "e1", title="Call on Ukraine")) == first
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


def test_postgres_batch_is_one_transaction_with_a_savepoint_per_decision(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EventWriter(pg_url)
    put_article = store.put_article

    def failing(decision: DedupDecision) -> None:
        put_article(decision)  # written, then rolled back to its savepoint
        if decision.article_id == "p-bad":
            raise WirewatchError("bad decision")

    try:
        monkeypatch.setattr(store, "put_article", failing)
        batch = [make_decision("p-a1", "p-e1"), make_decision("p-bad", "p-e2"), make_decision("p-a2", "p-e1")]
        results = apply_batch(store, batch)
        assert isinstance(results[1], WirewatchError)
        assert results[0] == []
        assert [(u.event_id, len(u.sources)) for u in results[2]] == [("p-e1", 2)]  # type: ignore[union-attr]
        assert store.article("p-bad") is None and store.event("p-e2") is None
        monkeypatch.undo()
        last = store.event("p-e1")
        # redelivered: no row changes, p-e1's current record is sent again with the last decision
        assert apply_batch(store, batch[::2]) == [[], [last]]
    finally:
        store.close()


def test_api_serves_from_a_select_only_role(pg_url: str) -> None:
    writer = EventWriter(pg_url)
    apply_decision(writer, make_decision("r1", "read-1", title="Read-only check"))
    writer.close()
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS api_reader")
        admin.execute("CREATE ROLE api_reader LOGIN")
        admin.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")  # no CREATE anywhere for the reader
        admin.execute("GRANT USAGE ON SCHEMA public TO api_reader")
        admin.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO api_reader")
    reader_url = pg_url.replace("//wirewatch@", "//api_reader@")

    settings = ApiSettings(database_url=SecretStr(reader_url), api_poll_interval_s=0.05)
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        listed = client.get("/events?text=read-only")
        assert listed.status_code == 200 and [e["event_id"] for e in listed.json()["items"]] == ["read-1"]
        assert client.get("/events/read-1").json()["title"] == "Read-only check"
        with client.stream("GET", "/events/stream?duration_s=0.1") as stream:
            assert any(line.startswith("data:") for line in stream.iter_lines())

    reader = EventReader(reader_url)
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reader.execute("DELETE FROM events")
    finally:
        reader.close()
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # and the role itself could not write either
        EventWriter(reader_url)
