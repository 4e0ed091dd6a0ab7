"""The sink's decoded-article cache changes no output: a long random stream, old and new side by side.

The oracle is the consolidation as it was before the cache (``tests/unit/sink_reference.py``: every
stored article decoded again on every rebuild). Both apply the same stream of decisions
(``tests/unit/sink_stream.py``: new articles, redeliveries, newer and stale versions,
re-assignments, merges, decisions that fail in their savepoint) in random batches to their own
SQLite store; every published update and every stored row must be byte-identical.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import services.sink.apply as apply_module
import tests.unit.sink_reference as reference
from services.sink.apply import apply_batch
from services.sink.facts import ArticleFacts, FactsCache
from shared.contracts import DedupDecision, EventUpdate
from shared.eventstore import EventWriter
from tests.unit.sink_stream import decision, replay, stream, tables, with_failures


@pytest.mark.parametrize("max_chars", [0, 40_000, 10_000_000], ids=["no-cache", "evicting", "all-cached"])
def test_a_long_stream_gives_the_same_records_and_updates_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_chars: int
) -> None:
    decisions = stream(seed=16, n=700)
    facts = FactsCache(max_chars)
    new = with_failures(EventWriter(f"sqlite:///{tmp_path}/new.db"))
    got = replay(new, decisions, random.Random(1), lambda s, d: apply_batch(s, d, facts))
    old = with_failures(EventWriter(f"sqlite:///{tmp_path}/old.db"))
    monkeypatch.setattr(apply_module, "_refresh", reference.refresh)
    expected = replay(old, decisions, random.Random(1), apply_batch)
    assert got == expected
    assert tables(new) == tables(old)
    events = new.execute("SELECT COUNT(*), MAX(revision) FROM events").fetchone()
    merges = new.execute("SELECT COUNT(*) FROM merges").fetchone()[0]
    failed = sum(1 for line in got if line.startswith("WirewatchError"))
    assert events[0] >= 20 and events[1] >= 10 and merges >= 5 and failed >= 5  # the stream exercised it all
    assert len(facts) == 0 if max_chars == 0 else facts.chars <= max_chars


def test_each_stored_document_is_decoded_once_while_it_stays_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[str] = []
    of = ArticleFacts.of

    def counting(decision: DedupDecision) -> ArticleFacts:
        decoded.append(decision.model_dump_json())  # the stored document it was decoded from
        return of(decision)

    def no_event_decoded(document: str) -> EventUpdate:
        raise AssertionError(f"an event record this sink wrote was decoded again: {document[:80]}")

    monkeypatch.setattr(ArticleFacts, "of", counting)
    monkeypatch.setattr(EventUpdate, "model_validate_json", no_event_decoded)
    store = with_failures(EventWriter(f"sqlite:///{tmp_path}/events.db"))
    facts = FactsCache()
    replay(store, stream(seed=3, n=300), random.Random(2), lambda s, d: apply_batch(s, d, facts))
    stored = {row[0] for row in store.execute("SELECT decision FROM articles").fetchall()}
    assert len(decoded) == len(set(decoded))  # no document twice
    assert stored <= set(decoded)


def test_a_row_another_writer_changed_is_read_again(tmp_path: Path) -> None:
    """Two sink workers on one database, each with its own cache: neither serves the other's old row."""
    url = f"sqlite:///{tmp_path}/shared.db"
    rng = random.Random(5)
    first, second = EventWriter(url), EventWriter(url)
    facts_first, facts_second = FactsCache(), FactsCache()
    apply_batch(first, [decision(rng, "a1", "e1", 1, []), decision(rng, "a2", "e1", 1, [])], facts_first)
    newer = decision(rng, "a1", "e1", 2, [])
    apply_batch(second, [newer], facts_second)
    [[update]] = apply_batch(first, [decision(rng, "a3", "e1", 1, [])], facts_first)
    assert isinstance(update, type(first.event("e1")))
    assert update == first.event("e1")
    fresh = reference.consolidate("e1", first.articles_of("e1"), revision=update.revision)
    assert update.model_dump_json() == fresh.model_dump_json()
    assert [s.title for s in update.sources if s.article_id == "a1"] == [newer.article.article.title]
