"""The health strip's figures: ingestion rate from the store, lag and dead letters from the workers.

The API process holds no Kafka consumer, so what it cannot read from the event
store it reads from the services' own endpoints, when they are configured:

* ingestion: articles the sink stored per hour over the last day (``articles.stored_at``);
* consumer lag per stage: the sum of ``wirewatch_consumer_lag`` on each stage's ``/metrics``
  (``WIREWATCH_API_STAGE_METRICS``, a JSON object ``{"cleaner": "http://…/metrics", …}``);
* dead letters in the last hour: ``wirewatch_dead_letters_total`` is a counter since the worker
  started, so the API keeps its readings and reports the increase over the last hour (over the
  time it has watched, when that is shorter: ``window_s`` says which);
* source health: the fetcher's ``/fetcher/health`` rows (``WIREWATCH_API_FETCHER_HEALTH_URL``).

An endpoint that does not answer is reported as unreachable with its error, never hidden.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta

import httpx

from services.api.models import Ingestion, PipelineHealth, SourceStatus, StageHealth
from shared.contracts import utcnow
from shared.eventstore import EventReader

HOUR_S = 3600.0
_SAMPLE = re.compile(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+([-+0-9.eEinfaN]+)", re.MULTILINE)


def metric_sums(text: str) -> dict[str, float]:
    """Each metric's value summed over its label sets, from the Prometheus text exposition."""
    sums: dict[str, float] = {}
    for name, _, value in _SAMPLE.findall(text):
        try:
            sums[name] = sums.get(name, 0.0) + float(value)
        except ValueError:
            continue
    return sums


def ingestion(store: EventReader, now: datetime | None = None, hours: int = 24) -> Ingestion:
    now = now or utcnow()
    counts = store.stored_per_hour(now - timedelta(hours=hours))
    per_hour = [counts.get((now - timedelta(hours=h)).strftime("%Y-%m-%dT%H"), 0) for h in range(hours - 1, -1, -1)]
    since = (now - timedelta(hours=1)).isoformat()
    return Ingestion(articles_last_hour=store.stored_since(since), per_hour=per_hour)


class PipelineProbe:
    """Reads the workers' metrics and the fetcher's health; remembers dead-letter counters for an hour."""

    def __init__(self, stage_metrics: Mapping[str, str], fetcher_health_url: str | None, timeout_s: float = 1.5):
        self.stage_metrics = dict(stage_metrics)
        self.fetcher_health_url = fetcher_health_url
        self.timeout_s = timeout_s
        self._readings: dict[str, deque[tuple[float, float]]] = {}
        self._lock = threading.Lock()

    def _dead_letters_last_hour(self, stage: str, total: float, now: float) -> tuple[int, float]:
        with self._lock:
            readings = self._readings.setdefault(stage, deque())
            readings.append((now, total))
            while len(readings) > 1 and now - readings[1][0] >= HOUR_S:
                readings.popleft()  # keep one reading at least an hour old, if there is one
            first_at, first = readings[0]
        increase = total - first if total >= first else total  # a restarted worker starts again at 0
        return int(increase), min(now - first_at, HOUR_S)

    def stage(self, name: str, url: str) -> StageHealth:
        try:
            response = httpx.get(url, timeout=self.timeout_s)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            return StageHealth(name=name, reachable=False, error=str(exc)[:200] or type(exc).__name__)
        sums = metric_sums(response.text)
        dead, window = self._dead_letters_last_hour(name, sums.get("wirewatch_dead_letters_total", 0.0), time.time())
        return StageHealth(
            name=name,
            reachable=True,
            lag=int(sums.get("wirewatch_consumer_lag", 0.0)),
            dead_letters_last_hour=dead,
            window_s=round(window, 1),
        )

    def sources(self) -> tuple[list[SourceStatus] | None, str | None]:
        if not self.fetcher_health_url:
            return None, "not configured (WIREWATCH_API_FETCHER_HEALTH_URL)"
        try:
            response = httpx.get(self.fetcher_health_url, timeout=self.timeout_s)
            response.raise_for_status()
            rows = response.json().get("sources", [])
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            return None, f"unreachable: {str(exc)[:200] or type(exc).__name__}"
        return [SourceStatus.model_validate(r) for r in rows if isinstance(r, dict)], None

    def health(self, current: Ingestion) -> PipelineHealth:
        """The strip, with ingestion read from the store by the caller (which holds the store's lock)."""
        stages = [self.stage(name, url) for name, url in self.stage_metrics.items()]
        sources, sources_error = self.sources()
        return PipelineHealth(ingestion=current, stages=stages, sources=sources, sources_error=sources_error)
