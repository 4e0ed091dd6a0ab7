"""Prometheus metrics shared by the services (served on each worker's web port at /metrics).

Every service runs in its own process with its own registry, so the series
need no ``service`` label to be told apart once scraped (Prometheus adds
``job``/``instance``); the label is kept where one process could in principle
host several stages' counters (in, dead letters, latency).
"""

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
    logic_cpu: Counter = field(
        default_factory=lambda: Counter(
            "wirewatch_logic_cpu_seconds_total",
            "CPU seconds spent inside the stage's handler (the rest of the process's CPU is plumbing)",
            ["service"],
        )
    )
    consumer_lag: Gauge = field(
        default_factory=lambda: Gauge(
            "wirewatch_consumer_lag",
            "Messages between the log end and the group's committed offset, per assigned partition",
            ["topic", "partition"],
        )
    )
    assigned_partitions: Gauge = field(
        default_factory=lambda: Gauge("wirewatch_assigned_partitions", "Partitions assigned to this worker")
    )
    ready: Gauge = field(
        default_factory=lambda: Gauge("wirewatch_ready", "1 when the worker is started and owns partitions")
    )


METRICS = _Metrics()
