"""Issue 18, everything but the fetcher: replay, the contracts, the terminal, the store and the API."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from services.api.app import create_app
from services.api.settings import ApiSettings
from services.cli import EXIT_FAILED, EXIT_PARTIAL, _format_event, main
from services.replay import Replay
from services.sink.apply import apply_decision
from shared.contracts import Alert, CleanArticle, EventUpdate, FeedMetadata, RawArticle, SourceRef
from shared.eventstore.store import EventQuery, EventWriter
from tests.conftest import SAMPLES, make_decision
from tests.fixtures.hostile import MB, gzip_bomb

GOOD = (SAMPLES / "001_49524e8554e2d548.txt").read_text(encoding="utf-8")
STORY = "The minister said on Tuesday that the talks would resume next week in Geneva. " * 3
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x00Evil \x9b31m title"


def _replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], list[str]]:
    code = main(["replay", str(tmp_path), "--until", "clean"])
    out, err = capsys.readouterr()
    ids = sorted(json.loads(line)["article_id"] for line in out.splitlines())
    reasons = sorted(json.loads(line)["reason"] for line in err.splitlines() if line.startswith("{"))
    return code, ids, reasons


# 5. replay: one bad file never loses the run -------------------------------------------------


def test_replay_turns_corrupt_bombed_and_deep_inputs_into_dead_letters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "corrupt.html.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"not really gzip" * 10)
    (tmp_path / "bomb.html.gz").write_bytes(gzip_bomb(64))
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "records.jsonl").write_text(f'{deep}\n{{"doc_id": "r1", "text": "{STORY}"}}\n', encoding="utf-8")
    code, ids, reasons = _replay(tmp_path, capsys)
    assert ids == ["good", "r1"]
    assert reasons == ["invalid_gzip", "too_deep", "too_large"]
    assert code == EXIT_PARTIAL


def test_replay_decompresses_within_its_budget(tmp_path: Path) -> None:
    """A 64 MB bomb is refused having decoded at most the 10 MB budget, not the whole of it."""
    (tmp_path / "bomb.html.gz").write_bytes(gzip_bomb(64))
    tracemalloc.start()
    try:
        replay = Replay(until="clean")
        assert replay.run([tmp_path]) == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [d.reason for d in replay.dead_letters] == ["too_large"]
    assert peak < 30 * MB, f"peak {peak / MB:.0f} MB"


def test_replay_summary_and_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "only.html.gz").write_bytes(b"\x1f\x8b broken")
    assert main(["replay", str(tmp_path), "--until", "clean"]) == EXIT_FAILED  # nothing came out
    assert "0 clean message(s) from 1 input(s), 1 dead letter(s) (invalid_gzip: 1)" in capsys.readouterr().err


# 6. records without an id --------------------------------------------------------------------


def test_replay_records_without_an_id_are_dead_letters_not_article_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"text": "First story. " + STORY},
        {"text": "Second story. " + STORY, "id": ""},
        {"doc_id": "kept", "text": STORY},
        {"id": 7, "text": STORY},
    ]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    code, ids, reasons = _replay(tmp_path, capsys)
    assert ids == ["7", "kept"]
    assert reasons == ["missing_id", "missing_id"]
    assert code == EXIT_PARTIAL


# 7. free text is bounded and cleaned in the contracts ----------------------------------------


def test_contracts_bound_every_free_text_field() -> None:
    huge = "T" * 5_000_000
    feed = FeedMetadata(title=huge, author=huge, summary=huge)
    assert (len(feed.title or ""), len(feed.author or ""), len(feed.summary or "")) == (2_000, 500, 20_000)
    clean = CleanArticle(article_id="a", text="x", title=huge, outlet=huge, authors=[huge], site_name=huge)
    assert len(clean.title or "") == 2_000 and len(clean.outlet or "") == 500
    assert len(clean.authors[0]) == 500 and len(clean.site_name or "") == 500
    assert len(RawArticle(article_id="a", body="b", outlet=huge).outlet or "") == 500
    event = EventUpdate(
        event_id="e", title=huge, summary=huge, sources=[SourceRef(article_id="a", title=huge, outlet=huge)]
    )
    assert (len(event.title or ""), len(event.summary or "")) == (2_000, 20_000)
    assert (len(event.sources[0].title or ""), len(event.sources[0].outlet or "")) == (2_000, 500)
    alert = Alert(alert_id="x", rule="r", event_id="e", event_revision=1, threshold=1, outlets=1, title=huge)
    assert len(alert.title or "") == 2_000


def test_contracts_strip_control_characters_but_newline_and_tab() -> None:
    meta = FeedMetadata(title=HOSTILE, summary="line one\r\nline\ttwo\x00")
    assert meta.title == "]0;pwned[2JEvil 31m title"
    assert meta.summary == "line one\nline\ttwo"
    old = json.dumps({"event_id": "e", "title": "x" * 10_000 + "\x07"})  # an old message still validates
    assert EventUpdate.model_validate_json(old).title == "x" * 2_000


def test_a_huge_title_cannot_bloat_the_store(tmp_path: Path) -> None:
    store = EventWriter(f"sqlite:///{tmp_path}/e.db")
    apply_decision(store, make_decision("a1", "e1", title="Phone\x00 call " + "T" * 5_000_000))
    title, doc = store.execute("SELECT title, doc FROM events").fetchone()
    assert "\x00" not in title and len(title) == 2_000
    assert len(doc) < 20_000  # one event stays small in /events
    assert len(store.events(EventQuery(text="phone call"))) == 1


# 8. the terminal ------------------------------------------------------------------------------


def test_events_listing_escapes_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/e.db"
    store = EventWriter(url)
    apply_decision(store, make_decision("a1", "e1", title="Phone call"))
    doc = json.loads(store.execute("SELECT doc FROM events").fetchone()[0])
    doc["title"] = doc["summary"] = HOSTILE  # as stored by an older release, before the contracts cleaned it
    store.execute("UPDATE events SET doc = ? WHERE event_id = 'e1'", (json.dumps(doc),))
    store.close()
    assert main(["events", "--database", url]) == 0
    assert main(["events", "--database", url, "--show", "e1"]) == 0
    out = capsys.readouterr().out
    assert "Evil" in out and not any(c in out for c in "\x1b\x07\x00\x9b")


def test_format_event_escapes_what_validation_never_saw() -> None:
    event = EventUpdate.model_construct(event_id="e\x1b[1m", title=HOSTILE, summary="two\nlines")
    text = _format_event(event, detail=True)
    assert "\\x1b]0;pwned\\x07" in text and "two\\x0alines" in text
    assert not any(c in text for c in "\x1b\x07\x00\x9b")


# smaller findings ----------------------------------------------------------------------------


def test_text_search_takes_percent_and_underscore_literally(tmp_path: Path) -> None:
    store = EventWriter(f"sqlite:///{tmp_path}/e.db")
    apply_decision(store, make_decision("a1", "e1", title="Turnout reached 100% in the capital"))
    apply_decision(store, make_decision("a2", "e2", title="Turnout reached 100 in the capital"))
    apply_decision(store, make_decision("a3", "e3", title="The snake_case debate"))
    apply_decision(store, make_decision("a4", "e4", title="The snakescase debate"))
    assert [e.event_id for e in store.events(EventQuery(text="100%"))] == ["e1"]
    assert [e.event_id for e in store.events(EventQuery(text="snake_case"))] == ["e3"]
    assert len(store.events(EventQuery(text="turnout"))) == 2


def test_live_page_sends_a_content_security_policy_and_nosniff(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/e.db"
    EventWriter(url).close()
    with TestClient(create_app(ApiSettings(database_url=SecretStr(url)))) as client:
        page = client.get("/")
        events = client.get("/events")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert events.headers["x-content-type-options"] == "nosniff"
