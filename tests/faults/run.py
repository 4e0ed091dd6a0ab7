"""The fault suites' pipeline under test: its workers, a steady load, and a supervisor that restarts crashes.

Shared by the single-broker suite (``test_faults.py``) and the cluster suite (``test_cluster.py``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bench.loadgen import load_seeds, stream
from bench.pipeline_observe import TopicTracker, ready
from tests.e2e.harness import Pipeline
from tests.faults.load import LoadThread

INTERMEDIATE = ("articles.clean", "articles.enriched", "articles.dedup")


def require_corpus() -> None:
    """Skip the suite when ``../shared/corpus`` is not beside the repo: its load replays those articles."""
    try:
        load_seeds(html_pages=1)
    except FileNotFoundError as exc:
        pytest.skip(f"the fault suite replays ../shared/corpus articles: {exc}")


def progress(message: str) -> None:
    """One line on stderr per step (``pytest -s`` shows them): the suite runs for minutes."""
    print(f"[faults] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


class Run:
    """The pipeline under test, its load, and an orchestrator-like supervisor that restarts crashed workers.

    ``env`` is added to every worker's environment (e.g. the sink's database, the replication factor).
    """

    def __init__(
        self, workdir: Path, bootstrap: str, rate: float, partitions: int = 2, env: dict[str, str] | None = None
    ) -> None:
        (workdir / "inbox").mkdir(parents=True, exist_ok=True)
        self.pipeline = Pipeline(workdir, workdir / "inbox", partitions=partitions, bootstrap=bootstrap)
        self.pipeline.env.update(env or {})
        self.pipeline.db_url = self.pipeline.env["WIREWATCH_DATABASE_URL"]
        self.tracker = TopicTracker(bootstrap, self.pipeline.prefix, also=INTERMEDIATE)
        seeds = load_seeds(html_pages=60)
        articles = stream(seeds, self.pipeline.prefix.rstrip("."))
        self.load = LoadThread(bootstrap, f"{self.pipeline.prefix}articles.raw", articles, rate)
        self.crashes: list[dict[str, Any]] = []
        #: worker name → its service (several workers of one service are ``<service>-<n>``)
        self.services: dict[str, str] = {}

    def start(self, service: str, name: str | None = None) -> None:
        name = name or service
        self.services[name] = service
        self.pipeline.start(service, name)

    def supervise(self, phase: str) -> None:
        """Restart any worker that exited on its own (the suite records it: a service bug or a fault's effect)."""
        for name, rc in list(self.pipeline.alive().items()):
            if rc is not None:
                self.crashes.append({"phase": phase, "service": name, "returncode": rc})
                self.pipeline.procs.pop(name)
                self.pipeline.start(self.services.get(name, name), name)

    def recovered_after(self, t0: float, workers: list[str], phase: str, limit: float) -> float | None:
        """Seconds from ``t0`` until ``workers`` are ready and an article sent after ``t0`` came out."""
        deadline = t0 + limit
        while time.monotonic() < deadline:
            self.supervise(phase)
            if all(ready(self.pipeline.ports[w]) for w in workers):
                first, dead, _ = self.tracker.snapshot()
                if any(a in first or a in dead for a in self.load.sent_since(t0)):
                    return time.monotonic() - t0
            time.sleep(0.5)
        return None

    def drained(self) -> bool:
        first, dead, _ = self.tracker.snapshot()
        return all(a in first or a in dead for a in self.load.sent)


def publish_report(path: Path, report: dict[str, Any]) -> None:
    """Write the run's report where CI keeps it, and print it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


def assert_delivered_once(report: dict[str, Any], lost: list[str], tail: str) -> None:
    """The delivery guarantees every fault run checks: nothing lost, nothing in two events, no event made twice."""
    assert not lost, f"{len(lost)} articles neither stored nor dead-lettered, e.g. {lost[:5]}\n{tail}"
    assert report["totals"]["duplicated"] == 0, "articles in more than one live event"
    assert report["identical_event_source_sets"] == 0, "events created twice by a replay"
