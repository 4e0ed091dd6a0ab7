"""Create the pipeline's topics up front, with the configured partition count; check their replication.

Auto-creation would also work, but explicit creation gives every topic the
same partition count (the unit of parallelism) and the right cleanup policy:
``events`` carries each event's full current state keyed by event id, so it is
compacted; the article topics keep 7 days.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from shared.contracts import INTERNAL_TOPICS, TOPICS, EventUpdate
from shared.settings import BaseServiceSettings

RETENTION_MS = str(7 * 24 * 3600 * 1000)


def topic_configs(name: str) -> dict[str, str]:
    if name.endswith(EventUpdate.TOPIC):
        return {"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"}
    return {"cleanup.policy": "delete", "retention.ms": RETENTION_MS}


def replication_configs(replication: int) -> dict[str, str]:
    """With 3 or more replicas, an acks=all write needs 2 of them: one broker may be down, and
    no acknowledged write lives on a single disk. Fewer replicas keep the broker's default
    (a 2-replica topic with 2 required would stop taking writes whenever one broker restarts)."""
    return {"min.insync.replicas": "2"} if replication >= 3 else {}


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
            extra = replication_configs(settings.topic_replication)
            new = [
                NewTopic(n, counts[n], settings.topic_replication, topic_configs=topic_configs(n) | extra)
                for n in missing
            ]
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile by another worker
                await admin.create_topics(new)
        return missing
    finally:
        await admin.close()


async def pipeline_topics(admin: AIOKafkaAdminClient, prefix: str) -> list[str]:
    """The pipeline's topics on the broker: the contract's, the internal ones, and those faust made
    for its apps (table changelogs, assignor topics: named after ``<prefix>wirewatch-<service>``)."""
    ours = {prefix + n for n in (*TOPICS, *INTERNAL_TOPICS)}
    return sorted(t for t in await admin.list_topics() if t in ours or t.startswith(f"{prefix}wirewatch-"))


async def replication_report(settings: BaseServiceSettings, attempts: int = 20) -> dict[str, dict[str, int]]:
    """Per pipeline topic, as the brokers describe it: partitions, the fewest replicas and in-sync
    replicas of any partition, and the effective ``min.insync.replicas``.

    A topic just created may not be in every broker's metadata yet: describing retries a while.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        names = await pipeline_topics(admin, settings.topic_prefix)
        described: dict[str, Any] = {}
        for _ in range(attempts):
            missing = [n for n in names if n not in described]
            if not missing:
                break
            for t in await admin.describe_topics(missing):
                if t["error_code"] == 0 and t["partitions"]:
                    described[t["topic"]] = t
            await asyncio.sleep(0.5)
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, n, {"min.insync.replicas": None}) for n in described]
        )
        min_isr = {
            r["resource_name"]: int(e["config_value"])
            for response in configs
            for r in response.to_object()["resources"]
            for e in r["config_entries"]
            if e["config_names"] == "min.insync.replicas"
        }
        return {
            name: {
                "partitions": len(t["partitions"]),
                "replicas": min(len(p["replicas"]) for p in t["partitions"]),
                "isr": min(len(p["isr"]) for p in t["partitions"]),
                "min_insync": min_isr.get(name, 0),
            }
            for name, t in sorted(described.items())
        } | {n: {"partitions": 0, "replicas": 0, "isr": 0, "min_insync": 0} for n in names if n not in described}
    finally:
        await admin.close()


def replication_problems(report: dict[str, dict[str, int]], replication: int) -> list[str]:
    """What falls short of ``replication`` copies, all in sync, and min.insync 2 when there are 3+ copies."""
    want_isr = int(replication_configs(replication).get("min.insync.replicas", "1"))
    out = []
    for name, r in report.items():
        if r["replicas"] < replication:
            out.append(f"{name}: {r['replicas']} replicas, want {replication}")
        if r["isr"] < r["replicas"] or r["isr"] == 0:
            out.append(f"{name}: {r['isr']} in sync of {r['replicas']}")
        if r["min_insync"] < want_isr:
            out.append(f"{name}: min.insync.replicas {r['min_insync']}, want {want_isr}")
    return out


async def ensure_changelogs(
    settings: BaseServiceSettings, changelogs: dict[str, int], wait_s: float = 30.0
) -> list[str]:
    """Create faust table changelog topics (name → partitions) before the worker starts, and wait
    until the brokers describe every partition with a leader.

    Left to faust, the first worker creates its changelog while another worker may already fetch
    metadata: on a 3-broker cluster that worker saw the new topic with 0 partitions for a moment,
    and faust's partition check (``PartitionsMismatch``) failed the first decisions, which became
    dead letters. Created and settled before any worker joins, the topic is complete in the first
    metadata every worker fetches.
    """
    extra = {"cleanup.policy": "compact"} | replication_configs(settings.topic_replication)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        missing = [n for n in changelogs if n not in set(await admin.list_topics())]
        if missing:
            new = [NewTopic(n, changelogs[n], settings.topic_replication, topic_configs=extra) for n in missing]
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile by another worker
                await admin.create_topics(new)
        deadline = asyncio.get_running_loop().time() + wait_s
        waiting = set(changelogs)
        while waiting and asyncio.get_running_loop().time() < deadline:
            for t in await admin.describe_topics(sorted(waiting)):
                parts = t["partitions"]
                complete = len(parts) == changelogs[t["topic"]] and all(p["leader"] >= 0 for p in parts)
                if t["error_code"] == 0 and complete:
                    waiting.discard(t["topic"])
            if waiting:
                await asyncio.sleep(0.5)
        if waiting:
            raise TimeoutError(f"changelog topics without leaders after {wait_s:.0f} s: {sorted(waiting)}")
        return missing
    finally:
        await admin.close()
