"""Per-source health: last success, consecutive failures, HTTP statuses, items published.

Kept in a plain mapping (a changelog-backed faust table in the service, a dict
in tests and the CLI) and mirrored to Prometheus. A failing source is backed
off exponentially from its poll interval, so it costs little and never delays
the others (each source polls in its own task).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, MutableMapping
from dataclasses import asdict, dataclass, field
from typing import Any

from prometheus_client import Counter, Gauge

from shared.logging import get_logger

log = get_logger(__name__)

ITEMS_PUBLISHED = Counter("wirewatch_fetcher_items_published_total", "Articles published", ["source"])
POLLS = Counter("wirewatch_fetcher_polls_total", "Source polls", ["source", "outcome"])
HTTP_STATUS = Counter("wirewatch_fetcher_http_responses_total", "HTTP responses by status", ["source", "status"])
INVALID_ITEMS = Counter("wirewatch_fetcher_invalid_items_total", "Items skipped as invalid", ["source", "reason"])
CONSECUTIVE_FAILURES = Gauge(
    "wirewatch_fetcher_source_consecutive_failures", "Consecutive failed polls of a source", ["source"]
)
LAST_SUCCESS = Gauge("wirewatch_fetcher_source_last_success_timestamp", "Last successful poll (epoch s)", ["source"])


@dataclass
class SourceHealth:
    source_id: str
    last_success: float | None = None
    last_failure: float | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    polls: int = 0
    items_published: int = 0
    invalid_items: int = 0
    item_errors: int = 0
    http_status: dict[str, int] = field(default_factory=dict)
    next_poll: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, source_id: str, value: Any) -> SourceHealth:
        if not isinstance(value, dict):
            return cls(source_id)
        known = {k: v for k, v in value.items() if k in cls.__dataclass_fields__}
        known["source_id"] = source_id
        try:
            health = cls(**known)
        except TypeError:
            return cls(source_id)
        if not isinstance(health.http_status, dict):
            health.http_status = {}
        return health

    @property
    def status(self) -> str:
        if self.consecutive_failures:
            return "failing"
        return "ok" if self.last_success is not None else "pending"


def backoff_delay(interval: float, failures: int, ceiling: float) -> float:
    """Delay before the next poll: the interval, doubled per consecutive failure, capped."""
    if failures <= 0:
        return interval
    return float(min(interval * (2 ** min(failures, 20)), max(ceiling, interval)))


class HealthBook:
    """Reads and updates source health in a mapping; every update is a full write (changelog-friendly)."""

    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self.table = table
        self._pending_status: dict[str, dict[str, int]] = {}

    def get(self, source_id: str) -> SourceHealth:
        return SourceHealth.from_json(source_id, self.table.get(source_id))

    def all(self) -> dict[str, SourceHealth]:
        return {str(k): SourceHealth.from_json(str(k), v) for k, v in list(self.table.items())}

    def record_http(self, source_id: str, status: int) -> None:
        """Count a response; written with the poll's outcome to keep changelog traffic low."""
        bucket = self._pending_status.setdefault(source_id, {})
        bucket[str(status)] = bucket.get(str(status), 0) + 1
        HTTP_STATUS.labels(source=source_id, status=str(status)).inc()

    def record_invalid(self, source_id: str, reason: str, count: int = 1) -> None:
        INVALID_ITEMS.labels(source=source_id, reason=reason).inc(count)

    def _merge(self, health: SourceHealth) -> None:
        for status, n in self._pending_status.pop(health.source_id, {}).items():
            health.http_status[status] = health.http_status.get(status, 0) + n

    def success(
        self,
        source_id: str,
        *,
        published: int,
        invalid: int = 0,
        item_errors: int = 0,
        next_poll: float | None = None,
        now: float | None = None,
    ) -> SourceHealth:
        health = self.get(source_id)
        self._merge(health)
        health.last_success = time.time() if now is None else now
        if health.consecutive_failures:
            log.info("source_recovered", source=source_id, after_failures=health.consecutive_failures)
        health.consecutive_failures = 0
        health.polls += 1
        health.items_published += published
        health.invalid_items += invalid
        health.item_errors += item_errors
        health.next_poll = next_poll
        self.table[source_id] = health.to_json()
        ITEMS_PUBLISHED.labels(source=source_id).inc(published)
        POLLS.labels(source=source_id, outcome="ok").inc()
        CONSECUTIVE_FAILURES.labels(source=source_id).set(0)
        LAST_SUCCESS.labels(source=source_id).set(health.last_success)
        return health

    def failure(
        self,
        source_id: str,
        error: str,
        *,
        published: int = 0,
        next_poll: float | None = None,
        now: float | None = None,
    ) -> SourceHealth:
        health = self.get(source_id)
        self._merge(health)
        health.last_failure = time.time() if now is None else now
        health.last_error = error[:500]
        health.consecutive_failures += 1
        health.polls += 1
        health.items_published += published
        health.next_poll = next_poll
        self.table[source_id] = health.to_json()
        ITEMS_PUBLISHED.labels(source=source_id).inc(published)
        POLLS.labels(source=source_id, outcome="failed").inc()
        CONSECUTIVE_FAILURES.labels(source=source_id).set(health.consecutive_failures)
        log.warning(
            "source_failing",
            source=source_id,
            consecutive_failures=health.consecutive_failures,
            error=health.last_error,
            next_poll=next_poll,
        )
        return health


def render_health(sources: Mapping[str, SourceHealth]) -> list[dict[str, Any]]:
    """Health rows for display: one dict per source, with a computed ``status``."""
    return [{**h.to_json(), "status": h.status} for h in sources.values()]
