"""Create the pipeline's topics up front, with the configured partition count.

Auto-creation would also work, but explicit creation gives every topic the
same partition count (the unit of parallelism) and the right cleanup policy:
``events`` carries each event's full current state keyed by event id, so it is
compacted; the article topics keep 7 days.
"""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.contracts import INTERNAL_TOPICS, TOPICS, EventUpdate
from shared.settings import BaseServiceSettings

RETENTION_MS = str(7 * 24 * 3600 * 1000)


def topic_configs(name: str) -> dict[str, str]:
    if name.endswith(EventUpdate.TOPIC):
        return {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}
    return {"cleanup.policy": "delete", "retention.ms": RETENTION_MS}


async def ensure_topics(settings: BaseServiceSettings, names: list[str] | None = None) -> list[str]:
    """Create missing topics (the contract's and the internal ones); return the names created."""
    partitions = {n: settings.topic_partitions for n in TOPICS} | {n: p for n, (_, p) in INTERNAL_TOPICS.items()}
    counts = {settings.topic_prefix + n: partitions.get(n, settings.topic_partitions) for n in (names or partitions)}
    wanted = list(counts)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in wanted if n not in existing]
        if missing:
            new = [NewTopic(n, counts[n], settings.topic_replication, topic_configs=topic_configs(n)) for n in missing]
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile by another worker
                await admin.create_topics(new)
        return missing
    finally:
        await admin.close()
