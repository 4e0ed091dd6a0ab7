"""Readiness, liveness and the consumer-lag gauge of shared.health, against a stand-in app (no broker)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import structlog
from faust.types import TP
from prometheus_client import REGISTRY

from shared.health import LagTimer, WorkerHealth

RAW0, RAW1 = TP("p.articles.raw", 0), TP("p.articles.raw", 1)
LEADER = TP("p.wirewatch-cleaner-__assignor-__leader", 0)
CHANGELOG = TP("p.wirewatch-cleaner-seen-changelog", 0)


class _Consumer:
    def __init__(self, owned: set[TP], ends: dict[TP, int], committed: dict[TP, int], read: dict[TP, int]) -> None:
        self.owned, self.ends = owned, ends
        self._committed_offset = committed
        self._read_offset = read

    def assignment(self) -> set[TP]:
        return self.owned

    async def highwaters(self, *tps: TP) -> Mapping[TP, int]:
        return {tp: self.ends[tp] for tp in tps if tp in self.ends}


class _App:
    def __init__(self, consumer: _Consumer, agents: bool = True) -> None:
        self.consumer = consumer
        self.agents = {"stage": object()} if agents else {}
        self.rebalancing = False
        self.tables = SimpleNamespace(changelog_topics={CHANGELOG.topic})


def _health(consumer: _Consumer, agents: bool = True) -> tuple[WorkerHealth, _App]:
    app = _App(consumer, agents)
    health = WorkerHealth(app, "cleaner")  # type: ignore[arg-type]
    return health, app


def test_not_ready_until_started_then_needs_real_partitions() -> None:
    health, app = _health(_Consumer({LEADER}, {}, {}, {}))
    ready, body = health.readiness()
    assert not ready and body["reasons"] == ["starting", "no_partitions_assigned"]
    health.started_at = 1.0
    ready, body = health.readiness()
    assert not ready and body["reasons"] == ["no_partitions_assigned"]  # the assignor's topic carries no work
    app.consumer.owned = {LEADER, RAW0}
    assert health.readiness()[0]
    app.rebalancing = True
    assert health.readiness()[1]["reasons"] == ["rebalancing"]
    assert REGISTRY.get_sample_value("wirewatch_ready") == 0


def test_timer_only_service_is_ready_without_partitions() -> None:
    health, _ = _health(_Consumer(set(), {}, {}, {}), agents=False)
    health.started_at = 1.0
    assert health.readiness()[0]
    assert health.liveness()["status"] == "alive"


async def test_lag_is_log_end_minus_committed_and_stale_partitions_vanish() -> None:
    consumer = _Consumer({RAW0, RAW1, CHANGELOG}, {RAW0: 120, RAW1: 40, CHANGELOG: 5000}, {RAW0: 100}, {RAW1: 29})
    health, _ = _health(consumer)
    health.started_at = 1.0
    lag = await health.refresh_lag()
    assert lag == {RAW0: 20, RAW1: 10}  # RAW1: nothing committed yet, read up to 29 → resumes at 30
    # a table's changelog is replayed, never committed: it has no lag (it used to show its whole size)
    assert REGISTRY.get_sample_value("wirewatch_consumer_lag", {"topic": "p.articles.raw", "partition": "0"}) == 20
    consumer.owned = {RAW1}  # partition 0 moved to another worker in a rebalance
    await health.refresh_lag()
    assert REGISTRY.get_sample_value("wirewatch_consumer_lag", {"topic": "p.articles.raw", "partition": "0"}) is None
    ready: Any = health.readiness()[1]
    assert ready["consumer_lag"] == {"p.articles.raw:1": 10}


class _SlowConsumer(_Consumer):
    slow = True

    async def highwaters(self, *tps: TP) -> Mapping[TP, int]:
        if self.slow:
            await asyncio.sleep(5)
        return await super().highwaters(*tps)


class _Stalls:
    def __init__(self) -> None:
        self.seen: list[dict[TP, int]] = []

    def check(self, lag: dict[TP, int]) -> set[TP]:
        self.seen.append(dict(lag))
        return set()


async def test_a_lag_refresh_that_hangs_is_abandoned_and_reported_once() -> None:
    consumer = _SlowConsumer({RAW0}, {RAW0: 12}, {RAW0: 10}, {})
    health, _ = _health(consumer)
    health.started_at = 1.0
    stalls = _Stalls()
    timer = LagTimer(health, stalls, timeout_s=0.05)  # type: ignore[arg-type]
    with structlog.testing.capture_logs() as logs:
        await timer()
        await timer()
        assert stalls.seen == []  # no reading, no stall verdict
        consumer.slow = False
        await timer()
    assert [e["event"] for e in logs] == ["consumer_lag_timeout", "consumer_lag_answered"]
    assert stalls.seen == [{RAW0: 2}]
