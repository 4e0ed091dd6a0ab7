"""Where did an article go? Scan every topic of a prefix for it, and compare groups' commits with log ends.

Run by the fault suite when an article is neither stored nor dead-lettered,
so that the report says at which hop it disappeared (or which partition a
consumer group stopped reading) instead of only that it is missing.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def _scan(bootstrap: str, prefix: str, needles: set[str]) -> dict[str, dict[str, list[str]]]:
    from aiokafka import AIOKafkaConsumer, TopicPartition  # noqa: PLC0415

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        fetch_max_bytes=64_000_000,
        max_partition_fetch_bytes=16_000_000,
    )
    await consumer.start()
    found: dict[str, dict[str, list[str]]] = {n: {} for n in needles}
    try:
        topics = [t for t in await consumer.topics() if t.startswith(prefix)]
        await consumer._client.set_topics(topics)  # load their partition metadata
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=2000)
            if not batches:
                break
            for tp, records in batches.items():
                for record in records:
                    blob = (record.key or b"") + b" " + (record.value or b"")[:400_000]
                    for needle in needles:
                        if needle.encode() in blob:
                            where = found[needle].setdefault(tp.topic.removeprefix(prefix), [])
                            where.append(f"p{tp.partition}@{record.offset}")
                    if record.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
    finally:
        await consumer.stop()
    return found


async def _group_offsets(bootstrap: str, prefix: str) -> dict[str, dict[str, Any]]:
    from aiokafka import AIOKafkaConsumer  # noqa: PLC0415
    from aiokafka.admin import AIOKafkaAdminClient  # noqa: PLC0415

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await admin.start()
    await probe.start()
    out: dict[str, dict[str, Any]] = {}
    try:
        groups = [g[0] for g in await admin.list_consumer_groups() if str(g[0]).startswith(prefix)]
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            ends = await probe.end_offsets(list(committed))
            out[group.removeprefix(prefix)] = {
                f"{tp.topic.removeprefix(prefix)}:{tp.partition}": {"committed": meta.offset, "end": ends[tp]}
                for tp, meta in committed.items()
                if meta.offset < ends[tp]
            }
    finally:
        await probe.stop()
        await admin.close()
    return out


def trace(bootstrap: str, prefix: str, article_ids: list[str]) -> dict[str, Any]:
    """Topics (partition@offset) holding each article, and every group partition left behind its log end."""
    return {
        "found_on": asyncio.run(_scan(bootstrap, prefix, set(article_ids))),
        "groups_behind": asyncio.run(_group_offsets(bootstrap, prefix)),
    }


def group_lag(bootstrap: str, prefix: str) -> dict[str, int]:
    """Per consumer group of ``prefix``: records between its committed offsets and the log ends."""
    behind = asyncio.run(_group_offsets(bootstrap, prefix))
    return {group: sum(p["end"] - max(0, p["committed"]) for p in parts.values()) for group, parts in behind.items()}
