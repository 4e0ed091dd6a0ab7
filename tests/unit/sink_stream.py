"""A random stream of dedup decisions for the sink's replay tests, and how to replay and compare it.

Mostly new articles joining a few dozen events, plus every kind of replay the sink must survive:
redeliveries, newer and stale versions, re-assignments, merges, and ``-bad`` articles whose write
fails in its savepoint (:func:`with_failures`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

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


def decision(rng: random.Random, article_id: str, event_id: str, version: int, merged: list[str]) -> DedupDecision:
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
        out.append(decision(rng, article_id, event_id, version, merged))
    return out


def with_failures(store: EventWriter) -> EventWriter:
    """A store on which every ``-bad`` article fails after its row is written (rolled back to its savepoint)."""
    put_article = store.put_article

    def failing(decision: DedupDecision) -> None:
        put_article(decision)
        if decision.article_id.endswith("-bad"):
            raise WirewatchError(f"bad decision {decision.article_id}")

    store.put_article = failing  # type: ignore[method-assign]
    return store


def outputs(results: list[Any]) -> list[str]:
    return [
        f"{type(r).__name__}: {r}" if isinstance(r, Exception) else json.dumps([u.model_dump_json() for u in r])
        for r in results
    ]


def tables(store: EventWriter) -> list[tuple[Any, ...]]:
    """Every stored row but the wall-clock columns (``stored_at``, ``merged_at``)."""
    return store.snapshot()


def replay(
    store: EventWriter, decisions: list[DedupDecision], rng: random.Random, apply: Callable[..., Any]
) -> list[str]:
    out: list[str] = []
    start = 0
    while start < len(decisions):
        size = rng.choice([1, 1, 2, 3, 5, 8, 16])
        out += outputs(apply(store, decisions[start : start + size]))
        start += size
    return out
