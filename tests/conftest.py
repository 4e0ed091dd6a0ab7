"""Shared fixtures: paths to the team corpus (optional) and small message factories."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

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
    Tense,
)

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SAMPLES = REPO / "deploy" / "samples"


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"team corpus not found at {CORPUS}")
    return CORPUS


def store_without_tables(path: Path) -> str:
    """A SQLite event store as the sink leaves it between creating the file and its tables
    (WAL set, no schema); its URL."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    return f"sqlite:///{path}"


def make_decision(
    article_id: str,
    event_id: str,
    *,
    title: str = "Leaders talk by phone",
    text: str = "The two presidents spoke by phone on Saturday about the crisis.",
    entities: tuple[tuple[str, str, EntityKind], ...] = (("person:joe-biden", "Joe Biden", EntityKind.PERSON),),
    event_date: tuple[int, int, int] | None = (2022, 2, 12),
    tense: Tense = Tense.REPORTED,
    role: ArticleRole = ArticleRole.ORIGINAL,
    version: int = 1,
    merged: tuple[str, ...] = (),
    fetched: datetime | None = None,
) -> DedupDecision:
    clean = CleanArticle(
        article_id=article_id,
        version=version,
        title=title,
        text=text,
        paragraphs=[text],
        outlet="example.org",
        url=f"https://example.org/{article_id}",
        fetched_at=fetched or datetime(2022, 2, 12, 18, tzinfo=UTC),
    )
    enriched = EnrichedArticle(
        article=clean,
        entities=[Entity(id=i, name=n, kind=k, count=2) for i, n, k in entities],
        event_date=EventDate(date=datetime(*event_date).date(), precision=Precision.DAY, confidence=0.8)
        if event_date
        else None,
        tense=tense,
        event_type="phone_call",
    )
    return DedupDecision(
        article=enriched,
        role=role,
        event_id=event_id,
        event_decision=EventDecision.JOINED,
        merged_event_ids=list(merged),
        decided_at=datetime(2022, 2, 12, 18, tzinfo=UTC),
    )


FLUSH_KEY = "flush"


def is_flush_letter(message: object) -> bool:
    """The dead letter of the poison value :func:`flush_agent` puts (``{}`` under the key ``flush``)."""
    from shared.contracts import DeadLetter  # noqa: PLC0415 - kept beside its only use

    return isinstance(message, DeadLetter) and message.source_key == FLUSH_KEY


async def flush_agent(agent: Any, sent: Sequence[object], tries: int = 400) -> None:
    """Put a poison value and wait (``tries`` × 50 ms) for its dead letter: every value put before it is handled.

    Stage agents take batches, so a put returns once its value is in a batch, before it is handled; the
    poison value's dead letter is sent after every output of the values before it.
    """
    await agent.put(b"{}", key=FLUSH_KEY.encode())
    for _ in range(tries):
        if any(is_flush_letter(m) for m in sent):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the agent did not get through its input in time")
