"""Watching a running pipeline from outside: the events and dead-letter topics, /metrics, process CPU/RSS.

Shared by the pipeline benchmark and the fault suite. Everything here reads;
nothing changes the pipeline.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import psutil
from prometheus_client.parser import text_string_to_metric_families


@dataclass
class Observed:
    """What the tracker has read so far (guarded by ``lock``)."""

    first_in_event: dict[str, float] = field(default_factory=dict)  # article id → monotonic time
    event_sources: dict[str, tuple[int, frozenset[str]]] = field(default_factory=dict)  # event → (rev, ids)
    dead: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))  # key → letters
    event_messages: int = 0
    # records and distinct article ids per watched intermediate topic: more records than ids = replays
    records: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    distinct: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    lock: threading.Lock = field(default_factory=threading.Lock)


class TopicTracker:
    """Consumes ``<prefix>events`` and ``<prefix>deadletter`` from the beginning in a background thread."""

    def __init__(self, bootstrap: str, prefix: str, also: tuple[str, ...] = ()) -> None:
        """``also``: intermediate topics (``articles.clean``...) whose records per article id are counted."""
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.also = also
        self.seen = Observed()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> TopicTracker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)

    async def _run(self) -> None:
        from aiokafka import AIOKafkaConsumer  # noqa: PLC0415

        events, dead = f"{self.prefix}events", f"{self.prefix}deadletter"
        consumer = AIOKafkaConsumer(
            events,
            dead,
            *(self.prefix + t for t in self.also),
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
            max_partition_fetch_bytes=16_000_000,
            fetch_max_bytes=64_000_000,
        )
        await consumer.start()
        try:
            while not self._stop.is_set():
                batches = await consumer.getmany(timeout_ms=200)
                now = time.monotonic()
                for tp, records in batches.items():
                    for record in records:
                        if tp.topic in (events, dead):
                            self._record(tp.topic == events, record.value, record.key, now)
                        else:
                            self._count(tp.topic.removeprefix(self.prefix), record.value)
        finally:
            await consumer.stop()

    def _count(self, topic: str, value: bytes | None) -> None:
        """Count one record of an intermediate topic under the article id it carries."""
        try:
            doc = json.loads(value or b"")
        except ValueError:
            return
        while isinstance(doc, dict) and "article_id" not in doc and isinstance(doc.get("article"), dict):
            doc = doc["article"]  # enriched → clean article; dedup decision → enriched → clean
        if not isinstance(doc, dict) or not isinstance(doc.get("article_id"), str):
            return
        with self.seen.lock:
            self.seen.records[topic] += 1
            self.seen.distinct[topic].add(doc["article_id"])

    def replays(self) -> dict[str, int]:
        """Per watched topic: records beyond one per article id (outputs sent again after a replay)."""
        with self.seen.lock:
            return {t: n - len(self.seen.distinct[t]) for t, n in self.seen.records.items()}

    def _record(self, is_event: bool, value: bytes | None, key: bytes | None, now: float) -> None:
        try:
            doc = json.loads(value or b"")
        except ValueError:
            return
        if not isinstance(doc, dict):
            return
        with self.seen.lock:
            if is_event:
                self.seen.event_messages += 1
                ids = frozenset(s.get("article_id") for s in doc.get("sources", []) if isinstance(s, dict))
                for article_id in ids:
                    self.seen.first_in_event.setdefault(str(article_id), now)
                event_id, revision = str(doc.get("event_id")), int(doc.get("revision", 0))
                if doc.get("merged_into"):
                    self.seen.event_sources.pop(event_id, None)
                elif revision >= self.seen.event_sources.get(event_id, (-1, frozenset()))[0]:
                    self.seen.event_sources[event_id] = (revision, frozenset(str(i) for i in ids))
            else:
                letter = {k: doc.get(k) for k in ("service", "reason", "source_topic", "article_id", "source_key")}
                letter["error"] = str(doc.get("error") or "")[:300]
                record_key = key.decode("utf-8", "replace") if key else None
                for k in {doc.get("article_id"), doc.get("source_key"), record_key}:
                    if k:
                        self.seen.dead[str(k)].append(letter)

    def snapshot(self) -> tuple[dict[str, float], dict[str, list[dict[str, Any]]], int]:
        with self.seen.lock:
            return dict(self.seen.first_in_event), dict(self.seen.dead), self.seen.event_messages


def scrape(port: int, host: str = "127.0.0.1", timeout: float = 3.0) -> dict[str, float]:
    """``/metrics`` of one worker as ``{"name{label=value,...}": value}`` (empty when it does not answer)."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=timeout) as response:
            text = response.read().decode()
    except OSError:
        return {}
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}"] = float(sample.value)
    return out


def metric_sum(samples: dict[str, float], name: str, **labels: str) -> float:
    """Sum of one metric's samples whose labels include ``labels``."""
    total = 0.0
    for key, value in samples.items():
        metric, _, rest = key.partition("{")
        if metric != name:
            continue
        have = dict(p.split("=", 1) for p in rest.rstrip("}").split(",") if "=" in p)
        if all(have.get(k) == v for k, v in labels.items()):
            total += value
    return total


def ready(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a worker's ``/readyz`` answers 200."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


class ProcSampler:
    """Samples CPU seconds and RSS of named processes (and their children) every ``interval`` seconds."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.pids: dict[str, int] = {}
        self.cpu: dict[str, float] = defaultdict(float)  # last seen cumulative CPU seconds per name
        self.peak_rss: dict[str, int] = defaultdict(int)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def watch(self, name: str, pid: int) -> None:
        self.pids[name] = pid

    def start(self) -> ProcSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def sample(self) -> None:
        for name, pid in list(self.pids.items()):
            try:
                proc = psutil.Process(pid)
                procs = [proc, *proc.children(recursive=True)]
                cpu = sum(p.cpu_times().user + p.cpu_times().system for p in procs)
                rss = sum(p.memory_info().rss for p in procs)
            except psutil.Error:
                continue
            self.cpu[name] = cpu
            self.peak_rss[name] = max(self.peak_rss[name], rss)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (0..1) by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]
