"""The extractor's batches on the real broker: a worker stopped mid-batch loses nothing.

The extractor takes up to 16 articles per model pass and acknowledges each one only after
its output is on the broker. Here a backlog of clean articles waits on ``articles.clean``;
the extractor is stopped (SIGTERM: faust's graceful stop cancels the agent wherever it is)
as soon as its first outputs appear, and again (kill -9) on its restart; after a second
restart every article must be on ``articles.enriched`` (a few twice is allowed: that is
at-least-once), and the group must have committed to the end of the input.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.codec import encode
from shared.contracts import CleanArticle, EnrichedArticle
from tests.e2e.harness import SEEDS, Pipeline, fresh_pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ARTICLES = 64


@pytest.fixture
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    with fresh_pipeline(tmp_path_factory, "batches") as p:
        yield p


def _backlog() -> list[CleanArticle]:
    from services.cleaner.logic import clean  # noqa: PLC0415
    from shared.contracts import RawArticle  # noqa: PLC0415

    seeds = [
        clean(RawArticle(article_id=p.stem, body=p.read_text(), source_id="t")) for p in sorted(SEEDS.glob("*.txt"))
    ]
    return [seeds[i % len(seeds)].model_copy(update={"article_id": f"batch-{i:03d}"}) for i in range(ARTICLES)]


async def _produce(p: Pipeline, articles: list[CleanArticle]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=p.bootstrap)
    await producer.start()
    try:
        for a in articles:
            await producer.send_and_wait(p.prefix + CleanArticle.TOPIC, encode(a), key=a.key().encode())
    finally:
        await producer.stop()


async def _enriched_ids(p: Pipeline, want: int, timeout: float) -> list[str]:
    """Article ids on ``articles.enriched`` (with repeats), read until ``want`` distinct or timeout."""
    topic = p.prefix + EnrichedArticle.TOPIC
    consumer = AIOKafkaConsumer(bootstrap_servers=p.bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    ids: list[str] = []
    try:
        await consumer._client.set_topics([topic])
        consumer.assign([TopicPartition(topic, n) for n in sorted(consumer.partitions_for_topic(topic) or ())])
        await consumer.seek_to_beginning()
        deadline = asyncio.get_running_loop().time() + timeout
        while len(set(ids)) < want and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                ids += [EnrichedArticle.model_validate_json(r.value).article.article_id for r in records]
    finally:
        await consumer.stop()
    return ids


async def _lag(p: Pipeline) -> int:
    """Records of ``articles.clean`` not yet committed by the extractor's group."""
    topic = p.prefix + CleanArticle.TOPIC
    consumer = AIOKafkaConsumer(bootstrap_servers=p.bootstrap, group_id=f"{p.prefix}wirewatch-extractor")
    await consumer.start()
    try:
        await consumer._client.set_topics([topic])
        tps = [TopicPartition(topic, n) for n in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = await consumer.end_offsets(tps)
        committed = {tp: await consumer.committed(tp) or 0 for tp in tps}
        return sum(ends[tp] - committed[tp] for tp in tps)
    finally:
        await consumer.stop()


def test_a_worker_stopped_mid_batch_loses_no_article(pipeline: Pipeline) -> None:
    articles = _backlog()
    asyncio.run(_produce(pipeline, articles))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pipeline.start("extractor")
        first = asyncio.run(_enriched_ids(pipeline, want=1, timeout=120))
        assert first, pipeline.tail()
        pipeline.stop("extractor", sig)  # mid-batch: a batch of 16 takes about half a second
    partial = asyncio.run(_enriched_ids(pipeline, want=ARTICLES, timeout=5))
    assert len(set(partial)) < ARTICLES, "the stops came too late to interrupt anything"
    pipeline.start("extractor")
    ids = asyncio.run(_enriched_ids(pipeline, want=ARTICLES, timeout=180))
    assert set(ids) == {a.article_id for a in articles}, pipeline.tail()

    def committed_to_the_end() -> bool:
        return asyncio.run(_lag(pipeline)) == 0

    pipeline.wait_for("the extractor's commit to reach the end", committed_to_the_end, timeout=60)
