"""The wirewatch CLI: replay through every stage, events listing, schemas, fetch --once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli import EXIT_PARTIAL, main
from services.sink.apply import apply_decision
from shared.eventstore import EventWriter
from tests.conftest import SAMPLES, make_decision, store_without_tables

FEB = {"000_7f11475e37a074b1", "001_49524e8554e2d548", "003_f28817352efe0b87"}
DEC = {"002_73ca37d0c5ce4629", "004_c370c7b379c2e6df"}


def test_replay_until_events_groups_the_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(SAMPLES), "--until", "events"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    groups = sorted(({s["article_id"] for s in e["sources"]} for e in events), key=len)
    assert groups == [DEC, FEB]
    feb = next(e for e in events if {s["article_id"] for s in e["sources"]} == FEB)
    assert feb["event_date"] == "2022-02-12"


def test_replay_until_clean_and_dead_letters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text((SAMPLES / "001_49524e8554e2d548.txt").read_text())
    (tmp_path / "empty.txt").write_text("")
    text = "The council met on Monday and approved the budget. " * 6  # running text: an article
    (tmp_path / "b.jsonl").write_text('{"doc_id": "j1", "text": "' + text + '"}\nnot json\n')
    assert main(["replay", str(tmp_path), "--until", "clean"]) == EXIT_PARTIAL  # some inputs were dead letters
    out, err = capsys.readouterr()
    assert sorted(json.loads(line)["article_id"] for line in out.splitlines()) == ["a", "j1"]
    letters = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert sorted(d["reason"] for d in letters) == ["empty", "invalid_record"]


def test_events_json_and_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/e.db"
    store = EventWriter(url)
    apply_decision(store, make_decision("a1", "e1", title="Phone call"))
    store.close()
    assert main(["events", "--json", "--database", url]) == 0
    [event] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert event["event_id"] == "e1" and event["sources"][0]["article_id"] == "a1"
    assert main(["events", "--database", url, "--text", "nothing-like-this"]) == 0
    assert capsys.readouterr().out.strip().endswith("0 event(s)")
    assert main(["events", "--database", url, "--show", "e1"]) == 0
    assert "Phone call" in capsys.readouterr().out


def test_schemas_are_written(tmp_path: Path) -> None:
    assert main(["schemas", "--out", str(tmp_path)]) == 0
    schema = json.loads((tmp_path / "articles.raw.v1.json").read_text())
    assert schema["x-topic"] == "articles.raw" and "article_id" in schema["properties"]


def test_fetch_once_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fetch", "--once", str(SAMPLES)]) == 0
    ids = {json.loads(line)["article_id"] for line in capsys.readouterr().out.splitlines()}
    assert ids == FEB | DEC


def test_replay_with_database_backfills_the_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """replay --database writes the events through the sink's writer; a reader then serves them."""
    from shared.eventstore import EventReader  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'archive.db'}"
    assert main(["replay", str(SAMPLES), "--until", "events", "--database", url]) == 0
    printed = {json.loads(line)["event_id"]: json.loads(line) for line in capsys.readouterr().out.splitlines()}
    store = EventReader(url)
    stored = {e.event_id: e for e in store.events()}
    assert set(stored) == set(printed) and len(stored) == 2
    for event_id, event in stored.items():
        assert sorted(s.article_id for s in event.sources) == sorted(
            s["article_id"] for s in printed[event_id]["sources"]
        )
        assert len(store.articles_of(event_id)) == len(event.sources)
    store.close()
    # a second back-fill of the same files changes nothing: the sink's upserts are idempotent
    assert main(["replay", str(SAMPLES), "--until", "events", "--database", url]) == 0
    assert EventReader(url).count_events() == 2


def test_replay_database_needs_until_events() -> None:
    assert main(["replay", str(SAMPLES), "--until", "clean", "--database", "sqlite:///x.db"]) == 2


def test_events_on_a_store_without_tables_yet_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = store_without_tables(tmp_path / "starting.db")
    assert main(["events", "--database", url]) == 1
    err = capsys.readouterr().err
    assert "no tables yet" in err and "Traceback" not in err
    EventWriter(url).close()
    assert main(["events", "--database", url]) == 0
