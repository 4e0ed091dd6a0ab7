"""Liveness, readiness and consumer lag of one faust worker, served on its web port.

``/healthz`` answers as long as the worker's event loop runs (an orchestrator
restarts the process when it stops answering). ``/readyz`` answers 200 only
once the app has started and, for a service with stream agents, once the
consumer owns partitions and is not in the middle of a rebalance: a worker
that is still joining its group, or an idle extra worker with nothing
assigned, is alive but does no work. ``/metrics`` is the Prometheus text
exposition of the process registry.

Lag is refreshed by a timer rather than on every message: it needs the log
end offsets, a broker round trip, and a few seconds of staleness is fine for
a gauge scraped every 15 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import faust
import structlog
from faust.types import TP
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.metrics import METRICS
from shared.seekfence import ASSIGNOR_SUFFIX
from shared.stall import StallWatch

log = structlog.get_logger(__name__)

LAG_INTERVAL_S = 5.0
#: a lag refresh that takes longer is abandoned (logged once per streak as consumer_lag_timeout)
LAG_TIMEOUT_S = 30.0


class WorkerHealth:
    """What the health views and the lag timer know about one worker."""

    def __init__(self, app: faust.App, service: str) -> None:
        self.app = app
        self.service = service
        self.created = time.monotonic()
        self.started_at: float | None = None
        self.lag: dict[TP, int] = {}
        self.lag_refreshed_at: float | None = None
        self._lag_labels: set[tuple[str, str]] = set()

    def assignment(self) -> set[TP]:
        """The partitions this worker's consumer owns now (empty before the consumer starts)."""
        if self.started_at is None:
            return set()
        try:
            owned = self.app.consumer.assignment()
        except Exception:  # noqa: BLE001 - consumer not started yet, or stopping: nothing is owned
            return set()
        changelogs = self.app.tables.changelog_topics  # replayed into tables, never committed: no lag
        return {tp for tp in owned if not tp.topic.endswith(ASSIGNOR_SUFFIX) and tp.topic not in changelogs}

    def needs_partitions(self) -> bool:
        """A service with stream agents does nothing until it owns partitions; a timer-only one (fetcher) does."""
        return bool(self.app.agents)

    def liveness(self) -> dict[str, Any]:
        return {
            "status": "alive",
            "service": self.service,
            "uptime_s": round(time.monotonic() - self.created, 1),
            "started": self.started_at is not None,
        }

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        assigned = self.assignment()
        rebalancing = bool(getattr(self.app, "rebalancing", False))
        reasons = []
        if self.started_at is None:
            reasons.append("starting")
        if rebalancing:
            reasons.append("rebalancing")
        if self.needs_partitions() and not assigned:
            reasons.append("no_partitions_assigned")
        ready = not reasons
        METRICS.ready.set(1 if ready else 0)
        METRICS.assigned_partitions.set(len(assigned))
        return ready, {
            "ready": ready,
            "service": self.service,
            "reasons": reasons,
            "assigned_partitions": sorted(f"{tp.topic}:{tp.partition}" for tp in assigned),
            "consumer_lag": {f"{tp.topic}:{tp.partition}": n for tp, n in sorted(self.lag.items())},
        }

    def committed(self, tp: TP) -> int | None:
        """The next offset the group will resume from: faust's committed offset, else its last read + 1."""
        consumer = self.app.consumer
        committed = getattr(consumer, "_committed_offset", {}).get(tp)
        if isinstance(committed, int):
            return committed
        read = getattr(consumer, "_read_offset", {}).get(tp)
        return read + 1 if isinstance(read, int) else None

    async def refresh_lag(self) -> dict[TP, int]:
        """Read the log end of every assigned partition and publish ``end - committed`` per partition."""
        assigned = self.assignment()
        if not assigned:
            self._set_lag({})
            return {}
        ends = await self.app.consumer.highwaters(*assigned)
        lag: dict[TP, int] = {}
        for tp in assigned:
            end = ends.get(tp)
            if end is None:
                continue
            committed = self.committed(tp)
            # Nothing committed nor read yet: the group starts from the beginning (auto_offset_reset=earliest).
            lag[tp] = max(0, int(end) - (committed if committed is not None else 0))
        self._set_lag(lag)
        return lag

    def _set_lag(self, lag: dict[TP, int]) -> None:
        labels = {(tp.topic, str(tp.partition)): n for tp, n in lag.items()}
        for stale in self._lag_labels - set(labels):
            with contextlib.suppress(KeyError):
                METRICS.consumer_lag.remove(*stale)
        for (topic, partition), n in labels.items():
            METRICS.consumer_lag.labels(topic=topic, partition=partition).set(n)
        self._lag_labels = set(labels)
        self.lag = lag
        self.lag_refreshed_at = time.monotonic()


class LagTimer:
    """The lag timer's body: refresh the lag, bounded in time, then hand it to the stall watch."""

    def __init__(self, health: WorkerHealth, stalls: StallWatch, timeout_s: float = LAG_TIMEOUT_S) -> None:
        self.health = health
        self.stalls = stalls
        self.timeout_s = timeout_s
        self.timeouts = 0  # in a row

    async def __call__(self) -> None:
        try:
            # a broker round trip through faust's consumer thread must not hold the timer forever
            lag = await asyncio.wait_for(self.health.refresh_lag(), timeout=self.timeout_s)
        except TimeoutError:
            self.timeouts += 1
            if self.timeouts == 1:
                log.warning("consumer_lag_timeout", timeout_s=self.timeout_s)
            return
        except Exception as exc:  # noqa: BLE001 - a lag gauge must never take the worker down
            log.debug("consumer_lag_failed", error=f"{type(exc).__name__}: {exc}")
            return
        if self.timeouts:
            log.info("consumer_lag_answered", after_timeouts=self.timeouts)
            self.timeouts = 0
        self.stalls.check(lag)


def install_health(
    app: faust.App, service: str, *, stall_after_s: float, lag_interval_s: float = LAG_INTERVAL_S
) -> WorkerHealth:
    """Add ``/metrics``, ``/healthz``, ``/readyz``, the consumer-lag timer and its stall watch to a service's app."""
    health = WorkerHealth(app, service)
    stalls = StallWatch(app, stall_after_s)

    async def _mark_started() -> None:
        health.started_at = time.monotonic()

    timer = LagTimer(health, stalls)

    async def _refresh_consumer_lag() -> None:
        await timer()

    app.task(_mark_started)
    app.timer(interval=lag_interval_s)(_refresh_consumer_lag)

    @app.page("/metrics")
    async def _metrics(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/healthz")
    async def _healthz(web: Any, request: Any) -> Any:
        return web.json(health.liveness())

    @app.page("/readyz")
    async def _readyz(web: Any, request: Any) -> Any:
        ready, body = health.readiness()
        return web.json(body, status=200 if ready else 503)

    return health
