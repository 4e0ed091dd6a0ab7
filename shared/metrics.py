"""Prometheus metrics shared by the services (served on each worker's web port at /metrics)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import Counter, Gauge, Histogram


@dataclass(frozen=True)
class _Metrics:
    messages_in: Counter = field(
        default_factory=lambda: Counter("wirewatch_messages_in_total", "Messages consumed", ["service", "topic"])
    )
    messages_out: Counter = field(
        default_factory=lambda: Counter("wirewatch_messages_out_total", "Messages produced", ["topic"])
    )
    dead_letters: Counter = field(
        default_factory=lambda: Counter("wirewatch_dead_letters_total", "Messages dead-lettered", ["service", "reason"])
    )
    latency: Histogram = field(
        default_factory=lambda: Histogram(
            "wirewatch_processing_seconds",
            "Time to process one message",
            ["service"],
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
    )
    consumer_lag: Gauge = field(
        default_factory=lambda: Gauge("wirewatch_consumer_lag", "Messages behind the log end", ["topic", "partition"])
    )


METRICS = _Metrics()
