"""End to end through the real broker: the five seed articles become exactly two events.

Then the fault the walking skeleton promises to survive: services are
stopped (SIGTERM and kill -9) and restarted while a new article arrives;
nothing is lost and no event is duplicated. And poison on every topic goes
to the dead-letter topic while the pipeline keeps running.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
from collections.abc import Iterator

import pytest

from tests.e2e.harness import (
    BOOTSTRAP,
    DEC,
    FEB,
    SEEDS,
    Pipeline,
    copy_samples,
    groups,
    require_broker,
    two_seed_events,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    require_broker()
    work = tmp_path_factory.mktemp("e2e")
    p = Pipeline(work, copy_samples(SEEDS, work / "inbox"))
    p.create_topics()
    p.start_all()
    try:
        yield p
    finally:
        p.stop_all()
        p.delete_topics()


def test_seeds_become_two_events(pipeline: Pipeline) -> None:
    pipeline.wait_for("the two seed events", lambda: two_seed_events(pipeline), timeout=240)
    by_group = {frozenset(s.article_id for s in e.sources): e for e in pipeline.events()}
    feb = by_group[frozenset(FEB)]
    assert feb.event_date is not None and feb.event_date.isoformat() == "2022-02-12"
    assert {a.id for a in feb.actors} >= {a.id for a in by_group[frozenset(DEC)].actors[:2]}


def test_restarts_lose_nothing_and_duplicate_nothing(pipeline: Pipeline) -> None:
    pipeline.wait_for("the two seed events", lambda: two_seed_events(pipeline), timeout=240)
    # The deduplicator dies hard and the cleaner stops cleanly; an article arrives meanwhile.
    pipeline.stop("deduplicator", signal.SIGKILL)
    pipeline.stop("cleaner", signal.SIGTERM)
    copy_text = (SEEDS / "003_f28817352efe0b87.txt").read_text()
    (pipeline.watch_dir / "005_syndicated_copy.txt").write_text(copy_text.replace("Just Earth News", "Wire copy"))
    pipeline.start("cleaner")
    pipeline.start("deduplicator")
    # The sink restarts too, mid-stream.
    pipeline.stop("sink", signal.SIGKILL)
    pipeline.start("sink")

    def settled() -> bool:
        return any("005_syndicated_copy" in {s.article_id for s in e.sources} for e in pipeline.events())

    pipeline.wait_for("the copy to be consolidated", settled, timeout=240)
    events = pipeline.events()
    assert len(events) == 2, [sorted(s.article_id for s in e.sources) for e in events]
    assert FEB | {"005_syndicated_copy"} in groups(events)
    rows = pipeline.article_rows()
    assert len(rows) == len({a for a, _ in rows}) == 6


async def _produce(topic: str, values: list[bytes]) -> None:
    from aiokafka import AIOKafkaProducer  # noqa: PLC0415

    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"poison")
    finally:
        await producer.stop()


async def _dead_letters(topic: str, want: int, timeout: float, key: str) -> list[dict[str, object]]:
    """Read dead letters until ``want`` of them carry ``key`` (the fixture's pipeline is shared with
    earlier tests, whose own letters must not count) or the timeout passes."""
    from aiokafka import AIOKafkaConsumer  # noqa: PLC0415

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=BOOTSTRAP, auto_offset_reset="earliest")
    await consumer.start()
    got: list[dict[str, object]] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while sum(1 for d in got if d.get("source_key") == key) < want and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                got += [json.loads(r.value) for r in records]
    finally:
        await consumer.stop()
    return got


def test_poison_on_every_consumed_topic_is_dead_lettered(pipeline: Pipeline) -> None:
    pipeline.wait_for("the seed events", lambda: len(pipeline.events()) >= 2, timeout=240)
    poison = [b"{not json", b'{"schema_version": 42}', b'{"article_id": 5, "body": []}']
    consumed = ["articles.raw", "articles.clean", "articles.enriched", "articles.dedup"]
    for topic in consumed:
        asyncio.run(_produce(pipeline.prefix + topic, poison))
    letters = asyncio.run(_dead_letters(pipeline.prefix + "deadletter", want=12, timeout=120, key="poison"))
    poisoned = [d for d in letters if d.get("source_key") == "poison"]
    seen = {(str(d["source_topic"]).removeprefix(pipeline.prefix), d["reason"]) for d in poisoned}
    for topic in consumed:
        assert (topic, "invalid_json") in seen
        assert (topic, "unknown_schema_version") in seen
        assert (topic, "schema_validation") in seen
    assert all(rc is None for rc in pipeline.alive().values())
    # and the pipeline still works afterwards
    extra = pipeline.watch_dir / "006_after_poison.txt"
    shutil.copy(SEEDS / "004_c370c7b379c2e6df.txt", extra)
    pipeline.wait_for(
        "an article after the poison",
        lambda: any("006_after_poison" in {s.article_id for s in e.sources} for e in pipeline.events()),
        timeout=180,
    )
