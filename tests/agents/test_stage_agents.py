"""Cleaner, extractor and deduplicator agents under test_context(): no broker, sends patched."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from prometheus_client import REGISTRY

from services.cleaner import app as cleaner_app
from services.deduplicator import app as dedup_app
from services.extractor import app as extractor_app
from shared.codec import encode
from shared.contracts import CleanArticle, DeadLetter, DedupDecision, EnrichedArticle, Message, RawArticle
from shared.streaming import Outputs, Pending
from tests.conftest import flush_agent

SAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "samples"


@pytest.fixture
def sent() -> Iterator[list[Message]]:
    out: list[Message] = []

    async def capture(messages: Sequence[Message]) -> Pending:
        out.extend(messages)
        return Pending()

    with (
        patch.object(cleaner_app.outputs, "start", AsyncMock(side_effect=capture)),
        patch.object(extractor_app.outputs, "start", AsyncMock(side_effect=capture)),
        patch.object(dedup_app.assign_outputs, "start", AsyncMock(side_effect=capture)),
        patch.object(dedup_app.route_outputs, "start", AsyncMock(side_effect=capture)),
    ):
        yield out


def _raw(name: str) -> RawArticle:
    path = next(SAMPLES.glob(f"{name}_*.txt"))
    return RawArticle(article_id=path.stem, body=path.read_text(), source_id="test")


async def _put_all(agent: Any, payloads: list[bytes], sent: list[Message]) -> None:
    """Put each payload, then a poison one, and wait for its dead letter: every value before it is handled.

    (The agent takes batches: a put returns once its value is in the batch, before it is handled.)
    """
    for payload in payloads:
        await agent.put(payload, key=b"k")
    await flush_agent(agent, sent)


async def test_cleaner_agent_cleans_and_dead_letters(sent: list[Message]) -> None:
    async with cleaner_app.clean_articles.test_context() as agent:
        empty = RawArticle(article_id="empty", body="   \n ")
        await _put_all(agent, [encode(_raw("001")), encode(empty), b"\x00\x01garbage"], sent)
    clean = [m for m in sent if isinstance(m, CleanArticle)]
    letters = [m for m in sent if isinstance(m, DeadLetter)]
    assert [c.article_id for c in clean] == ["001_49524e8554e2d548"]
    assert "sb.scorecardresearch" not in clean[0].text
    assert [d.reason for d in letters][:2] == ["empty", "invalid_json"]
    assert letters[0].article_id == "empty"


async def test_extractor_agent_enriches(sent: list[Message]) -> None:
    from services.cleaner.logic import clean  # noqa: PLC0415

    article = clean(_raw("003"))
    async with extractor_app.extract_articles.test_context() as agent:
        await _put_all(agent, [encode(article)], sent)
    enriched = [m for m in sent if isinstance(m, EnrichedArticle)]
    assert len(enriched) == 1
    assert "place:kyiv" in {e.id for e in enriched[0].entities}


async def test_extractor_agent_batches_and_dead_letters_per_article(sent: list[Message]) -> None:
    """A batch with a good article, an empty one and undecodable bytes: one output each, in order."""
    from services.cleaner.logic import clean  # noqa: PLC0415

    good = [clean(_raw(n)) for n in ("000", "002")]
    empty = good[0].model_copy(update={"article_id": "empty", "text": "12 34 -- !!"})
    payloads = [encode(good[0]), encode(empty), b"\x00garbage", encode(good[1])]
    latency = ("wirewatch_processing_seconds_sum", {"service": "extractor"})
    latency_before = REGISTRY.get_sample_value(*latency) or 0.0
    async with extractor_app.extract_articles.test_context() as agent:
        for payload in payloads:
            await agent.put(payload, key=b"k")
        for _ in range(400):  # the batch is flushed after extractor_batch_wait_s
            if len(sent) >= len(payloads):
                break
            await asyncio.sleep(0.05)
    assert [type(m).__name__ for m in sent] == ["EnrichedArticle", "DeadLetter", "DeadLetter", "EnrichedArticle"]
    assert [m.article_id for m in sent if isinstance(m, EnrichedArticle)] == [g.article_id for g in good]
    letters = [m for m in sent if isinstance(m, DeadLetter)]
    assert [d.reason for d in letters] == ["empty_text", "invalid_json"]
    assert letters[0].article_id == "empty"
    # the model pass is shared out over the batch in the latency metric (the sends here take no time)
    assert (REGISTRY.get_sample_value(*latency) or 0.0) - latency_before > 0.005


def test_extract_each_pins_a_model_failure_on_its_article(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the model fails mid-batch, the rest are retried alone: only the culprit fails."""
    from services.cleaner.logic import clean  # noqa: PLC0415
    from services.extractor.logic import load_extractor  # noqa: PLC0415

    extractor = load_extractor()
    articles = [clean(_raw(n)) for n in ("000", "001", "002")]
    real_pipe = extractor.nlp.pipe

    def failing_pipe(texts: Any, **kwargs: Any) -> Any:
        texts = list(texts)
        if len(texts) > 1:  # the batch pass dies after its first document
            yield next(iter(real_pipe(texts[:1], **kwargs)))
            raise RuntimeError("model crashed")
        if "Peskow" in texts[0]:  # and, alone, 002 is the culprit
            raise RuntimeError("model crashed on 002")
        yield from real_pipe(texts, **kwargs)

    monkeypatch.setattr(extractor.nlp, "pipe", failing_pipe)
    results = extractor.extract_each(articles)
    assert isinstance(results[0], EnrichedArticle) and isinstance(results[1], EnrichedArticle)
    assert isinstance(results[2], RuntimeError)


async def test_deduplicator_agents_route_then_assign_idempotently(sent: list[Message]) -> None:
    from services.cleaner.logic import clean  # noqa: PLC0415
    from services.extractor.logic import load_extractor  # noqa: PLC0415

    extractor = load_extractor()
    articles = [extractor.extract(clean(_raw(n))) for n in ("000", "001")]
    acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    acked.set_result(None)
    real_start = Outputs.start.__get__(dedup_app.route_outputs)

    async def start(messages: Sequence[Message]) -> Pending:
        """Articles through the real route outputs (onto the patched topic), dead letters captured."""
        sent.extend(m for m in messages if isinstance(m, DeadLetter))
        return await real_start([m for m in messages if not isinstance(m, DeadLetter)])

    with (
        patch.object(dedup_app.assign_topic, "send", AsyncMock(return_value=acked)) as forwarded,
        patch.object(dedup_app.route_outputs, "start", start),
    ):
        async with dedup_app.route.test_context() as agent:
            await _put_all(agent, [encode(a) for a in articles], sent)
    assert [c.kwargs["key"] for c in forwarded.call_args_list] == ["all", "all"]
    async with dedup_app.assign_articles.test_context() as agent:
        await _put_all(agent, [encode(a) for a in [*articles, articles[0]]], sent)
    decisions = [m for m in sent if isinstance(m, DedupDecision)]
    assert [d.article_id for d in decisions] == [
        "000_7f11475e37a074b1",
        "001_49524e8554e2d548",
        "000_7f11475e37a074b1",
    ]
    assert decisions[2].event_id == decisions[0].event_id  # redelivery: same decision
    assert decisions[0].event_id == decisions[1].event_id  # same call, same event
    from services.deduplicator.state import ARTICLE_PREFIX, EVENT_PREFIX  # noqa: PLC0415

    assert ARTICLE_PREFIX + "000_7f11475e37a074b1" in dedup_app.state  # persisted to the changelog table
    assert EVENT_PREFIX + decisions[0].event_id in dedup_app.state
