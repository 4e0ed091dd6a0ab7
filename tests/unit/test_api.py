"""The read API with fastapi's TestClient over a temporary SQLite store filled by the sink's apply_decision."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from services.api.app import create_app
from services.api.settings import ApiSettings
from services.api.stream import change_events
from services.sink.apply import apply_decision
from shared.contracts import EntityKind, EventUpdate
from shared.eventstore import EventWriter
from tests.conftest import make_decision, store_without_tables

PUTIN = (("person:vladimir-putin", "Vladimir Putin", EntityKind.PERSON),)
BIDEN = (("person:joe-biden", "Joe Biden", EntityKind.PERSON),)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/events.db"
    store = EventWriter(url)
    apply_decision(store, make_decision("a1", "e-feb", title="Biden and Putin talk by phone", entities=BIDEN + PUTIN))
    apply_decision(store, make_decision("a2", "e-feb", title="Biden, Putin phone call", entities=BIDEN + PUTIN))
    apply_decision(
        store,
        make_decision("a3", "e-dec", title="Leaders to speak on Ukraine", entities=PUTIN, event_date=(2021, 12, 30)),
    )
    apply_decision(store, make_decision("a4", "e-other", title="Storm hits coast", entities=(), event_date=None))
    store.close()
    return url


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    settings = ApiSettings(database_url=SecretStr(db), api_poll_interval_s=0.05)
    with TestClient(create_app(settings)) as c:
        yield c


def ids(response_json: dict[str, object]) -> set[str]:
    items = response_json["items"]
    assert isinstance(items, list)
    return {item["event_id"] for item in items}


def test_list_returns_contract_models(client: TestClient) -> None:
    r = client.get("/events")
    assert r.status_code == 200
    body = r.json()
    assert ids(body) == {"e-feb", "e-dec", "e-other"}
    assert body["next"] is None and body["limit"] == 50 and body["offset"] == 0
    feb = next(EventUpdate.model_validate(i) for i in body["items"] if i["event_id"] == "e-feb")
    assert {s.article_id for s in feb.sources} == {"a1", "a2"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("entity=person:vladimir-putin", {"e-feb", "e-dec"}),
        ("entity=biden", {"e-feb"}),
        ("text=storm", {"e-other"}),
        ("date_from=2022-01-01", {"e-feb"}),
        ("date_to=2022-01-01", {"e-dec"}),
        ("date_from=2021-12-30&date_to=2021-12-30", {"e-dec"}),
        ("min_sources=2", {"e-feb"}),
        ("entity=putin&min_sources=2", {"e-feb"}),
        ("text=%20%20", {"e-feb", "e-dec", "e-other"}),  # blank filters are no filters
        ("entity=nobody", set()),
    ],
)
def test_filters(client: TestClient, query: str, expected: set[str]) -> None:
    r = client.get(f"/events?{query}")
    assert r.status_code == 200, r.text
    assert ids(r.json()) == expected


def test_pagination_walks_every_event_once_with_next_links(client: TestClient) -> None:
    seen: list[str] = []
    url: str | None = "/events?limit=2&entity="
    pages = 0
    while url:
        body = client.get(url).json()
        seen += [i["event_id"] for i in body["items"]]
        url = body["next"]
        pages += 1
    assert pages == 2 and sorted(seen) == ["e-dec", "e-feb", "e-other"]
    first = client.get("/events?limit=2").json()
    assert first["next"].startswith("/events?") and "offset=2" in first["next"] and "limit=2" in first["next"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("offset=-1", "offset"),
        ("min_sources=0", "min_sources"),
        ("date_from=yesterday", "date_from"),
        ("date_to=2022-13-01", "date_to"),
        ("date_from=2022-02-01&date_to=2022-01-01", "date_from"),
        ("limit=abc", "limit"),
        ("text=" + "x" * 201, "text"),
    ],
)
def test_bad_parameters_are_clear_422s(client: TestClient, query: str, field: str) -> None:
    r = client.get(f"/events?{query}")
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_request"
    assert [d["field"] for d in error["details"]] == [field]
    assert error["message"].startswith(f"{field}: ")


def test_detail_and_404(client: TestClient) -> None:
    r = client.get("/events/e-feb")
    assert r.status_code == 200
    event = EventUpdate.model_validate(r.json())
    assert event.event_id == "e-feb" and {a.id for a in event.actors} >= {"person:vladimir-putin"}
    assert event.timeline and event.sources
    missing = client.get("/events/no-such-event")
    assert missing.status_code == 404
    expected = {"code": "not_found", "message": "no event with id 'no-such-event'", "details": []}
    assert missing.json() == {"error": expected}
    assert client.get("/nowhere").json()["error"]["code"] == "not_found"


def test_health(client: TestClient, tmp_path: Path) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "events": 3, "error": None}
    broken = ApiSettings(database_url=SecretStr(f"sqlite:///{tmp_path}/missing-dir/x/../../"))
    with TestClient(create_app(broken)) as c:
        r = c.get("/healthz")
    assert r.status_code == 503 and r.json()["status"] == "unavailable"


def test_openapi_documents_tags_and_contract_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {t["name"] for t in spec["tags"]} == {"events", "live", "ops"}
    get_events = spec["paths"]["/events"]["get"]
    assert get_events["tags"] == ["events"] and "422" in get_events["responses"]
    detail = spec["paths"]["/events/{event_id}"]["get"]["responses"]
    assert detail["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/EventUpdate")
    assert "404" in detail
    params = {p["name"]: p for p in get_events["parameters"]}
    assert set(params) == {"entity", "text", "date_from", "date_to", "min_sources", "limit", "offset"}
    assert all(p.get("description") for p in params.values())


def test_page_is_served(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "/events/stream" in r.text and "innerHTML" not in r.text


def test_stream_announces_the_current_version(client: TestClient) -> None:
    r = client.get("/events/stream?duration_s=0.2")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in r.text.split("\n\n") if f.strip()]
    assert frames[0] == "retry: 2000"
    assert frames[1].startswith("id: 3:") and "event: changed" in frames[1]
    assert sum("event: changed" in f for f in frames) == 1  # nothing changed afterwards
    assert client.get("/events/stream?duration_s=0").status_code == 422


async def test_change_events_fire_on_change_heartbeat_and_stop_on_disconnect() -> None:
    versions = iter(["v1", "v1", "v2", "v2", "v2", "v2"])
    left = iter([False] * 5 + [True])

    async def version() -> str:
        return next(versions)

    async def disconnected() -> bool:
        return next(left)

    frames = [f async for f in change_events(version, disconnected, interval_s=0.001, duration_s=60, heartbeat_s=0.0)]
    changed = [f for f in frames if "event: changed" in f]
    assert [f.split("\n")[0] for f in changed] == ["id: v1", "id: v2"]
    assert ": keepalive\n\n" in frames and len(frames) == 6  # retry + 5 polls, then the client left


def test_version_token_moves_with_every_change_and_is_shared_briefly(db: str) -> None:
    from services.api.access import StoreAccess  # noqa: PLC0415

    fresh, cached = StoreAccess(db), StoreAccess(db, version_ttl_s=60)
    before = fresh.version()
    assert cached.version() == before
    store = EventWriter(db)
    apply_decision(store, make_decision("a5", "e-other", title="Storm hits coast again", entities=(), event_date=None))
    store.close()
    assert fresh.version() != before  # a revision moved
    assert cached.version() == before  # within its time to live, every page shares one answer
    fresh.close()
    cached.close()


def test_the_api_reads_a_store_it_cannot_write(db: str, tmp_path: Path) -> None:
    """The API's connection is read only and runs no DDL: a missing database is unhealthy, not created."""
    from services.api.access import StoreAccess  # noqa: PLC0415

    access = StoreAccess(db)
    with access.use() as store, pytest.raises(sqlite3.OperationalError, match="readonly"):
        store.execute("DELETE FROM events")
    access.close()
    missing = tmp_path / "not-yet.db"
    with TestClient(create_app(ApiSettings(database_url=SecretStr(f"sqlite:///{missing}")))) as c:
        assert c.get("/healthz").status_code == 503
    assert not missing.exists()


def test_event_url_is_the_page_for_a_browser_and_json_for_programs(client: TestClient) -> None:
    from services.api.app import wants_html  # noqa: PLC0415

    page = client.get("/events/e-feb", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "sha256-" in page.headers["content-security-policy"] and page.headers["vary"] == "Accept"
    for accept in ("application/json", "*/*", ""):
        r = client.get("/events/e-feb", headers={"accept": accept})
        assert r.json()["event_id"] == "e-feb" and r.headers["vary"] == "Accept"
    assert not wants_html("application/json, text/html") and wants_html("text/html")


def test_pipeline_health_reads_the_store_and_the_workers(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx  # noqa: PLC0415

    from services.api import pipeline  # noqa: PLC0415

    totals = iter([3.0, 7.0])
    metrics = (
        'wirewatch_consumer_lag{topic="t",partition="0"} 4.0\nwirewatch_consumer_lag{topic="t",partition="1"} 6.0\n'
    )

    def fake_get(url: str, timeout: float) -> httpx.Response:
        request = httpx.Request("GET", url)
        if "down" in url:
            raise httpx.ConnectError("refused", request=request)
        if url.endswith("/fetcher/health"):
            rows = [{"source_id": "a", "status": "ok"}, {"source_id": "b", "status": "failing", "last_error": "503"}]
            return httpx.Response(200, json={"sources": rows}, request=request)
        body = metrics + f'wirewatch_dead_letters_total{{service="cleaner",reason="x"}} {next(totals)}\n'
        return httpx.Response(200, text=body, request=request)

    monkeypatch.setattr(pipeline.httpx, "get", fake_get)
    settings = ApiSettings(
        database_url=SecretStr(db),
        api_stage_metrics={"cleaner": "http://w/metrics", "sink": "http://down/metrics"},
        api_fetcher_health_url="http://f/fetcher/health",
    )
    with TestClient(create_app(settings)) as c:
        first = c.get("/health/pipeline").json()
        second = c.get("/health/pipeline").json()
    assert first["ingestion"]["articles_last_hour"] == 4 and sum(first["ingestion"]["per_hour"]) == 4
    cleaner, sink = second["stages"]
    assert cleaner["lag"] == 10 and cleaner["dead_letters_last_hour"] == 4  # 7 now, 3 at the first reading
    assert sink["reachable"] is False and "refused" in sink["error"]
    assert [s["status"] for s in second["sources"]] == ["ok", "failing"]
    settings = ApiSettings(database_url=SecretStr(db))
    with TestClient(create_app(settings)) as c:
        bare = c.get("/health/pipeline").json()
    assert bare["stages"] == [] and bare["sources"] is None and "not configured" in bare["sources_error"]


def test_a_store_whose_tables_the_sink_has_not_made_yet_is_a_clear_503(tmp_path: Path) -> None:
    """The sink creates the database file, then its tables: a reader in between (or before the
    sink ever ran against the file) gets "not ready", not a driver error."""
    url = store_without_tables(tmp_path / "starting.db")
    with TestClient(create_app(ApiSettings(database_url=SecretStr(url)))) as c:
        r = c.get("/events")
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "store_not_ready"
        assert "sink creates them" in r.json()["error"]["message"]
        assert c.get("/healthz").status_code == 503
        EventWriter(url).close()  # the sink starts: the same app now reads an empty store
        r = c.get("/events")
        assert r.status_code == 200 and r.json()["items"] == []
