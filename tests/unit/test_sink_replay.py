"""The sink's decoded-article cache changes no output: a long random stream, old and new side by side.

The oracle is the consolidation as it was before the cache (``tests/unit/sink_reference.py``: every
stored article decoded again on every rebuild). Both apply the same stream of decisions (new
articles, redeliveries, newer and stale versions, re-assignments, merges, decisions that fail in
their savepoint) in random batches to their own SQLite store; every published update and every
stored row must be byte-identical.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import services.sink.apply as apply_module
import tests.unit.sink_reference as reference
from services.sink.apply import apply_batch
from services.sink.facts import ArticleFacts, FactsCache
from shared.contracts import (
    ArticleRole,
    CleanArticle,
    DedupDecision,
    EnrichedArticle,
    Entity,
    EntityKind,
    EventDate,
    EventDecision,
    Precision,
    Quantity,
    Tense,
)
from shared.errors import WirewatchError
from shared.eventstore import EventWriter

PER, ORG, GRP, PLC = EntityKind.PERSON, EntityKind.ORG, EntityKind.GROUP, EntityKind.PLACE
# what the actor rule keeps, repairs or drops: names, cut spans, demonyms, time zones, credits, common words
ENTITIES = [
    ("person:joe-biden", "Joe Biden", PER),
    ("person:ursula-von", "Ursula Von", PER),
    ("person:leyen", "Leyen", PER),
    ("person:ursula-von-der-leyen", "Ursula von der Leyen", PER),
    ("org:ministry-of", "Ministry of", ORG),
    ("org:nato", "NATO", ORG),
    ("org:jen", "JEN", ORG),
    ("org:defence", "Defence", ORG),
    ("org:transatlantic", "Transatlantic", ORG),
    ("org:gmt", "GMT", ORG),
    ("group:french", "French", GRP),
    ("group:taliban", "Taliban", GRP),
    ("place:kyiv", "Kyiv", PLC),
    ("place:ukraine", "Ukraine", PLC),
    ("place:athens", "Athens", PLC),
]
SENTENCES = [
    "Washington (JEN): Joe Biden spoke to Ursula Von der Leyen on Saturday.",
    "The defence minister met NATO officials in Kyiv.",
    "The Ministry of Foreign Affairs of Ukraine said the talks went well.",
    "Police in Athens fired tear gas at protesters. Shops were closed.",
    "At 16:04 GMT the French delegation left.",
    "More than 40 people were hurt and 3 buildings burned.",
    "A Transatlantic summit is planned for the spring.",
    "Leyen said the Taliban had not replied.",
]
QUANTITIES = [
    ("40 people", 40.0, "people", "more than"),
    ("3 buildings", 3.0, "buildings", None),
    ("2", 2.0, None, None),
]
BASE = datetime(2022, 2, 12, 8, tzinfo=UTC)


def _decision(rng: random.Random, article_id: str, event_id: str, version: int, merged: list[str]) -> DedupDecision:
    sentences = rng.sample(SENTENCES, rng.randint(1, 5))
    paragraphs = [" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)]
    title = rng.choice(["", "Leaders talk by phone", "Storm hits the coast", sentences[0]])
    if title and rng.random() < 0.3:
        paragraphs.insert(0, title)  # a headline repeated as the first paragraph
    fetched = BASE + timedelta(minutes=rng.randint(0, 600))
    published = rng.choice(
        [
            None,
            fetched - timedelta(hours=rng.randint(0, 30)),
            fetched.astimezone(timezone(timedelta(hours=5, minutes=30))),
        ]
    )
    clean = CleanArticle(
        article_id=article_id,
        version=version,
        title=title or None,
        text="\n".join(paragraphs),
        paragraphs=paragraphs if rng.random() < 0.9 else [],
        outlet=rng.choice([None, "Outlet 1", "Outlet 2"]),
        site_name=rng.choice([None, "site.example"]),
        url=f"https://example.org/{article_id}",
        canonical_url=rng.choice([None, f"https://example.org/c/{article_id}"]),
        published_at=published,
        fetched_at=fetched,
    )
    enriched = EnrichedArticle(
        article=clean,
        entities=[
            Entity(id=i, name=n, kind=k, count=rng.randint(1, 4), salience=round(rng.random(), rng.randint(1, 6)))
            for i, n, k in rng.sample(ENTITIES, rng.randint(0, 8))
        ],
        event_date=rng.choice(
            [
                None,
                EventDate(
                    date=(BASE + timedelta(days=rng.randint(-3, 0))).date(),
                    precision=rng.choice(list(Precision)),
                    confidence=rng.choice([0.0, 0.3, 0.8, 0.8]),
                ),
            ]
        ),
        tense=rng.choice(list(Tense)),
        quantities=[
            Quantity(text=t, value=v, unit=u, qualifier=q) for t, v, u, q in rng.sample(QUANTITIES, rng.randint(0, 2))
        ],
        event_type=rng.choice(["other", "phone_call", "protest", "protest"]),
    )
    role = rng.choice(list(ArticleRole))
    return DedupDecision(
        article=enriched,
        role=role,
        duplicate_of=None if role == ArticleRole.ORIGINAL else f"a{rng.randint(0, 9)}",
        event_id=event_id,
        event_decision=rng.choice(list(EventDecision)),
        merged_event_ids=merged,
        decided_at=fetched + timedelta(seconds=rng.randint(1, 90)),
    )


def stream(seed: int, n: int) -> list[DedupDecision]:
    """``n`` decisions: mostly new articles joining a few dozen events, plus every kind of replay."""
    rng = random.Random(seed)
    out: list[DedupDecision] = []
    versions: dict[str, int] = {}
    for i in range(n):
        roll = rng.random()
        if out and roll < 0.08:
            out.append(rng.choice(out))  # redelivered as it was
            continue
        if versions and roll < 0.16:
            article_id = rng.choice(sorted(versions))
            versions[article_id] += rng.choice([1, 1, -1])  # newer, or stale (an older version)
            version = max(1, versions[article_id])
        else:
            article_id = f"a{i}" + ("-bad" if rng.random() < 0.03 else "")
            versions[article_id] = version = 1
        event_id = f"e{rng.randint(0, 24)}"
        merged = [f"e{rng.randint(0, 24)}" for _ in range(rng.randint(1, 2))] if rng.random() < 0.04 else []
        out.append(_decision(rng, article_id, event_id, version, merged))
    return out


def _with_failures(store: EventWriter) -> EventWriter:
    """A store on which every ``-bad`` article fails after its row is written (rolled back to its savepoint)."""
    put_article = store.put_article

    def failing(decision: DedupDecision) -> None:
        put_article(decision)
        if decision.article_id.endswith("-bad"):
            raise WirewatchError(f"bad decision {decision.article_id}")

    store.put_article = failing  # type: ignore[method-assign]
    return store


def _outputs(results: list[Any]) -> list[str]:
    return [
        f"{type(r).__name__}: {r}" if isinstance(r, Exception) else json.dumps([u.model_dump_json() for u in r])
        for r in results
    ]


def _tables(store: EventWriter) -> list[tuple[Any, ...]]:
    """Every stored row but the wall-clock columns (``stored_at``, ``merged_at``)."""
    queries = [
        "SELECT article_id, version, event_id, decision FROM articles ORDER BY article_id",
        "SELECT event_id, revision, title, search_text, event_date, first_seen, last_updated, n_sources,"
        " merged_into, doc FROM events ORDER BY event_id",
        "SELECT event_id, entity_id, name FROM event_entities ORDER BY event_id, entity_id",
        "SELECT from_event, into_event FROM merges ORDER BY from_event",
    ]
    return [tuple(row) for sql in queries for row in store.execute(sql).fetchall()]


def _replay(
    store: EventWriter, decisions: list[DedupDecision], rng: random.Random, apply: Callable[..., Any]
) -> list[str]:
    outputs: list[str] = []
    start = 0
    while start < len(decisions):
        size = rng.choice([1, 1, 2, 3, 5, 8, 16])
        outputs += _outputs(apply(store, decisions[start : start + size]))
        start += size
    return outputs


@pytest.mark.parametrize("max_chars", [0, 40_000, 10_000_000], ids=["no-cache", "evicting", "all-cached"])
def test_a_long_stream_gives_the_same_records_and_updates_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_chars: int
) -> None:
    decisions = stream(seed=16, n=700)
    facts = FactsCache(max_chars)
    new = _with_failures(EventWriter(f"sqlite:///{tmp_path}/new.db"))
    got = _replay(new, decisions, random.Random(1), lambda s, d: apply_batch(s, d, facts))
    old = _with_failures(EventWriter(f"sqlite:///{tmp_path}/old.db"))
    monkeypatch.setattr(apply_module, "_refresh", reference.refresh)
    expected = _replay(old, decisions, random.Random(1), apply_batch)
    assert got == expected
    assert _tables(new) == _tables(old)
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

    monkeypatch.setattr(ArticleFacts, "of", counting)
    store = _with_failures(EventWriter(f"sqlite:///{tmp_path}/events.db"))
    facts = FactsCache()
    _replay(store, stream(seed=3, n=300), random.Random(2), lambda s, d: apply_batch(s, d, facts))
    stored = {row[0] for row in store.execute("SELECT decision FROM articles").fetchall()}
    assert len(decoded) == len(set(decoded))  # no document twice
    assert stored <= set(decoded) and len(facts) == len(decoded)


def test_a_row_another_writer_changed_is_read_again(tmp_path: Path) -> None:
    """Two sink workers on one database, each with its own cache: neither serves the other's old row."""
    url = f"sqlite:///{tmp_path}/shared.db"
    rng = random.Random(5)
    first, second = EventWriter(url), EventWriter(url)
    facts_first, facts_second = FactsCache(), FactsCache()
    apply_batch(first, [_decision(rng, "a1", "e1", 1, []), _decision(rng, "a2", "e1", 1, [])], facts_first)
    newer = _decision(rng, "a1", "e1", 2, [])
    apply_batch(second, [newer], facts_second)
    [[update]] = apply_batch(first, [_decision(rng, "a3", "e1", 1, [])], facts_first)
    assert isinstance(update, type(first.event("e1")))
    assert update == first.event("e1")
    fresh = reference.consolidate("e1", first.articles_of("e1"), revision=update.revision)
    assert update.model_dump_json() == fresh.model_dump_json()
    assert [s.title for s in update.sources if s.article_id == "a1"] == [newer.article.article.title]
