"""End-to-end pipeline benchmark on the real broker: throughput, latency, per-stage rates, CPU and memory.

Starts cleaner, extractor, deduplicator and sink as separate processes under a
random topic prefix (``tests/e2e/harness.Pipeline``), replays real articles
with ``bench/loadgen.py`` onto ``articles.raw`` and watches the ``events``
topic. Two setups, each on a fresh prefix: one worker per service, then two
workers for the extractor and the deduplicator. Phases (bounded):

* warm-up: a few articles through every stage (models loaded, groups joined);
* throughput: articles offered faster than the pipeline can take them for
  ``--flood-s`` seconds; the sustained rate is the number of articles that
  reach an event update per second over the window's second half (the
  backlog never runs dry then, so this is the pipeline's capacity);
* latency (one-worker setup only, before the flood): articles at a fixed
  rate (``--low-rate``, one the pipeline sustains, then 50/s, the target); the
  time from the send (``fetched_at``) to the first ``events`` message that
  lists the article: p50/p95/p99 over the articles that arrived, plus how
  many did not within the drain time.

Per-stage throughput is read from each worker's ``/metrics``
(``wirewatch_messages_in_total``), lag from ``wirewatch_consumer_lag``, CPU
seconds and peak RSS from psutil. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import SendLog, load_seeds, send, stream
from bench.pipeline_observe import ProcSampler, TopicTracker, metric_sum, percentile, scrape
from tests.e2e.harness import BOOTSTRAP, Pipeline, broker_available

STAGES = ("cleaner", "extractor", "deduplicator", "sink")
STAGE_TOPIC = {
    "cleaner": "articles.raw",
    "extractor": "articles.clean",
    "deduplicator": "articles.enriched",
    "sink": "articles.dedup",
}


class Setup:
    """One pipeline (fresh prefix) with its tracker and process sampler."""

    def __init__(self, workdir: Path, workers: dict[str, int], module: str | None = None) -> None:
        self.pipeline = Pipeline(workdir, workdir / "inbox", partitions=4)
        self.workers = workers
        self.module = module  # another entry point per stage (bench.identity_stages: the ceiling)
        self.tracker = TopicTracker(BOOTSTRAP, self.pipeline.prefix)
        self.sampler = ProcSampler()
        self.names: dict[str, list[str]] = {}

    def start(self) -> None:
        p = self.pipeline
        p.watch_dir.mkdir(parents=True, exist_ok=True)
        p.create_topics()
        for stage in STAGES:
            self.names[stage] = []
            for i in range(self.workers.get(stage, 1)):
                name = stage if i == 0 else f"{stage}{i + 1}"
                p.start(stage, name, module=self.module)
                self.sampler.watch(name, p.procs[name].pid)
                self.names[stage].append(name)
        self.tracker.start()
        self.sampler.start()

    def stop(self) -> None:
        self.tracker.stop()
        self.sampler.stop()
        self.pipeline.stop_all()
        self.pipeline.delete_topics()

    def stage_metrics(self) -> dict[str, dict[str, float]]:
        out = {}
        for stage, names in self.names.items():
            samples = [_scrape(self.pipeline.ports[n]) for n in names]
            out[stage] = {
                "in": sum(
                    metric_sum(s, "wirewatch_messages_in_total", topic=self.pipeline.prefix + STAGE_TOPIC[stage])
                    for s in samples
                ),
                "lag": sum(metric_sum(s, "wirewatch_consumer_lag") for s in samples),
                "dead": sum(metric_sum(s, "wirewatch_dead_letters_total") for s in samples),
                "logic_cpu": sum(metric_sum(s, "wirewatch_logic_cpu_seconds_total") for s in samples),
            }
        return out

    def arrived(self, ids: set[str]) -> int:
        first, dead, _ = self.tracker.snapshot()
        return sum(1 for i in ids if i in first or i in dead)


def _scrape(port: int) -> dict[str, float]:
    """A worker's metrics; on a loaded host a scrape can time out, and an empty answer would read as zeros."""
    for _ in range(5):
        got = scrape(port, timeout=10.0)
        if got:
            return got
    raise RuntimeError(f"the worker on port {port} did not answer /metrics")


def _cpu(setup: Setup) -> dict[str, float]:
    """Every worker's CPU seconds now (sampled here, not the sampler thread's last reading)."""
    setup.sampler.sample()
    return dict(setup.sampler.cpu)


def offer(setup: Setup, articles: Any, count: int, rate: float | None) -> SendLog:
    topic = f"{setup.pipeline.prefix}articles.raw"
    return asyncio.run(send(BOOTSTRAP, topic, articles, count=count, rate=rate))


def wait_arrived(setup: Setup, ids: set[str], timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout and setup.arrived(ids) < len(ids):
        time.sleep(0.5)
    return time.monotonic() - started


def throughput(setup: Setup, articles: Any, flood_s: float, offered_rate: float) -> dict[str, Any]:
    """Offer articles at ``offered_rate`` for ``flood_s`` seconds; measure output over the second half."""
    import threading  # noqa: PLC0415

    sent: dict[str, float] = {}
    topic = f"{setup.pipeline.prefix}articles.raw"
    count = int(flood_s * offered_rate)
    sender = threading.Thread(
        target=lambda: asyncio.run(send(BOOTSTRAP, topic, articles, count=count, rate=offered_rate, sent=sent))
    )
    sender.start()
    time.sleep(flood_s / 2)
    me = psutil.Process()
    psutil.cpu_percent()  # starts the host-wide measurement interval
    own0 = me.cpu_times().user + me.cpu_times().system
    m0, cpu0, t0 = setup.stage_metrics(), _cpu(setup), time.monotonic()
    first0 = len(setup.tracker.snapshot()[0])
    time.sleep(flood_s / 2)
    m1, cpu1, t1 = setup.stage_metrics(), _cpu(setup), time.monotonic()
    host_busy = psutil.cpu_percent() / 100 * (os.cpu_count() or 1)
    own = me.cpu_times().user + me.cpu_times().system - own0
    first1 = len(setup.tracker.snapshot()[0])
    sender.join()
    window = t1 - t0
    return {
        "offered_per_s": offered_rate,
        "sent": len(sent),
        "window_s": round(window, 1),
        "end_to_end_per_s": round((first1 - first0) / window, 2),
        "stage_per_s": {s: round((m1[s]["in"] - m0[s]["in"]) / window, 2) for s in STAGES},
        "stage_lag_end": {s: int(m1[s]["lag"]) for s in STAGES},
        "cpu_cores": {n: round((cpu1.get(n, 0) - cpu0.get(n, 0)) / window, 2) for n in cpu1},
        "cpu_ms_per_article": cpu_split(setup, m0, m1, cpu0, cpu1),
        # The generator and the topic watcher share the box: their cost, and the whole host's, for context.
        "bench_process_cpu_cores": round(own / window, 2),
        "host_cpu_busy_cores": round(host_busy, 2),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def cpu_split(
    setup: Setup,
    m0: dict[str, dict[str, float]],
    m1: dict[str, dict[str, float]],
    cpu0: dict[str, float],
    cpu1: dict[str, float],
) -> dict[str, dict[str, float]]:
    """Per stage, CPU ms per input article over a window: all of it, the handler's (logic), the rest (plumbing).

    Logic is ``wirewatch_logic_cpu_seconds_total`` (thread CPU inside the handler); the process's CPU
    comes from psutil. Plumbing is everything else: decoding, validation, encoding, sends, acks,
    commits, metrics, logging, faust's own loop.
    """
    out = {}
    for stage, names in setup.names.items():
        n = m1[stage]["in"] - m0[stage]["in"]
        if n <= 0:
            continue
        total = sum(cpu1.get(x, 0) - cpu0.get(x, 0) for x in names) * 1000 / n
        logic = (m1[stage]["logic_cpu"] - m0[stage]["logic_cpu"]) * 1000 / n
        out[stage] = {"total": round(total, 2), "logic": round(logic, 2), "plumbing": round(total - logic, 2)}
    return out


def ceiling(args: argparse.Namespace, seeds: Any) -> dict[str, Any]:
    """The identity pipeline's sustained rate: a backlog written first, then drained by the plumbing alone.

    The articles are on ``articles.raw`` before the stages start, so the load generator does not share
    the CPU with them; the rate is counted over a window while the backlog is still there.
    """
    with tempfile.TemporaryDirectory(prefix="wirewatch-ceiling-") as tmp:
        setup = Setup(Path(tmp), {}, module="bench.identity_stages")
        articles = stream(seeds, setup.pipeline.prefix.rstrip("."))
        setup.pipeline.watch_dir.mkdir(parents=True, exist_ok=True)
        setup.pipeline.create_topics()
        log = offer(setup, articles, args.ceiling_articles, None)
        print(f"[bench] ceiling: {len(log.sent)} articles written at {log.rate:.0f}/s", file=sys.stderr)
        setup.start()
        try:
            arrived = lambda: len(setup.tracker.snapshot()[0])  # noqa: E731
            deadline = time.monotonic() + 180
            while arrived() < args.ceiling_articles * 0.1 and time.monotonic() < deadline:
                time.sleep(0.2)
            m0, cpu0, t0, a0 = setup.stage_metrics(), _cpu(setup), time.monotonic(), arrived()
            while time.monotonic() - t0 < args.ceiling_window_s and arrived() < args.ceiling_articles * 0.85:
                time.sleep(0.2)
            m1, cpu1, t1, a1 = setup.stage_metrics(), _cpu(setup), time.monotonic(), arrived()
            window = t1 - t0
            result = {
                "articles": len(log.sent),
                "window_s": round(window, 1),
                "end_to_end_per_s": round((a1 - a0) / window, 1),
                "stage_per_s": {s: round((m1[s]["in"] - m0[s]["in"]) / window, 1) for s in STAGES},
                "cpu_cores": {n: round((cpu1.get(n, 0) - cpu0.get(n, 0)) / window, 2) for n in cpu1},
                "cpu_ms_per_article": cpu_split(setup, m0, m1, cpu0, cpu1),
                "backlog_left": len(log.sent) - a1,
                "load_avg_1m": round(os.getloadavg()[0], 2),
            }
        finally:
            setup.stop()
    print(f"[bench] ceiling {json.dumps(result)}", file=sys.stderr)
    return result


def latency(setup: Setup, articles: Any, rate: float, seconds: float, drain_s: float) -> dict[str, Any]:
    log = offer(setup, articles, int(rate * seconds), rate)
    ids = set(log.sent)
    wait_arrived(setup, ids, drain_s)
    first, dead, _ = setup.tracker.snapshot()
    lat = [first[i] - log.sent[i] for i in ids if i in first]
    return {
        "rate_per_s": rate,
        "achieved_send_rate": round(log.rate, 1),
        "sent": len(ids),
        "in_events": len(lat),
        "dead_lettered": sum(1 for i in ids if i in dead and i not in first),
        "missing_after_drain": sum(1 for i in ids if i not in first and i not in dead),
        "p50_s": _r(percentile(lat, 0.5)),
        "p95_s": _r(percentile(lat, 0.95)),
        "p99_s": _r(percentile(lat, 0.99)),
        "max_s": _r(max(lat) if lat else None),
    }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def run_setup(workers: dict[str, int], args: argparse.Namespace, seeds: Any, with_latency: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wirewatch-bench-") as tmp:
        setup = Setup(Path(tmp), workers)
        articles = stream(seeds, setup.pipeline.prefix.rstrip("."))
        result: dict[str, Any] = {"workers": workers}
        started = time.monotonic()
        setup.start()
        try:
            warm = offer(setup, articles, 10, None)
            warm_s = wait_arrived(setup, set(warm.sent), 180)
            result["startup_s"] = round(time.monotonic() - started, 1)
            print(f"[bench] {workers}: warm after {warm_s:.0f}s", file=sys.stderr)
            if with_latency:
                # Latency first, while the pipeline is empty: a rate it sustains, then the target rate.
                result["latency"] = []
                for rate in (args.low_rate, args.target_rate):
                    got = latency(setup, articles, rate, args.latency_s, args.drain_s)
                    print(f"[bench] latency {json.dumps(got)}", file=sys.stderr)
                    result["latency"].append(got)
            result["throughput"] = throughput(setup, articles, args.flood_s, args.offered_rate)
            print(f"[bench] throughput {json.dumps(result['throughput'])}", file=sys.stderr)
            _, dead, _ = setup.tracker.snapshot()
            reasons: dict[str, int] = {}
            unique = {id(letter): letter for letters in dead.values() for letter in letters}
            for letter in unique.values():
                key = f"{letter.get('service')}:{letter.get('reason')}"
                reasons[key] = reasons.get(key, 0) + 1
            result["dead_letter_reasons"] = reasons
            setup.sampler.sample()
            result["peak_rss_mb"] = {n: round(v / 2**20) for n, v in setup.sampler.peak_rss.items()}
            result["dead_letters"] = {s: int(m["dead"]) for s, m in setup.stage_metrics().items()}
        finally:
            setup.stop()
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flood-s", type=float, default=60.0)
    parser.add_argument("--offered-rate", type=float, default=150.0)
    parser.add_argument("--target-rate", type=float, default=50.0)
    parser.add_argument("--low-rate", type=float, default=2.0, help="a latency phase at a rate a 2-core box sustains")
    parser.add_argument("--latency-s", type=float, default=20.0)
    parser.add_argument("--drain-s", type=float, default=40.0)
    parser.add_argument("--html-pages", type=int, default=181)
    parser.add_argument("--skip-scaled", action="store_true", help="only the one-worker setup")
    parser.add_argument("--ceiling-articles", type=int, default=20000, help="backlog the identity pipeline drains")
    parser.add_argument("--ceiling-window-s", type=float, default=25.0)
    parser.add_argument("--only-ceiling", action="store_true")
    args = parser.parse_args()
    if not broker_available():
        sys.exit(f"Kafka is not reachable at {BOOTSTRAP}: run `make kafka-up`")
    try:
        seeds = load_seeds(html_pages=args.html_pages)
    except FileNotFoundError as exc:
        sys.exit(f"corpus missing ({exc}); the benchmark replays ../shared/corpus")
    started = time.monotonic()
    ceil = ceiling(args, seeds)
    if args.only_ceiling:
        print(json.dumps({"ceiling": ceil}))
        return
    one = run_setup({}, args, seeds, with_latency=True)
    report: dict[str, Any] = {"seeds": len(seeds), "ceiling": ceil, "one_worker": one}
    if not args.skip_scaled:
        two = run_setup({"extractor": 2, "deduplicator": 2}, args, seeds, with_latency=False)
        report["two_workers"] = two
        base = one["throughput"]
        report["scaling"] = {
            "end_to_end": _ratio(two["throughput"]["end_to_end_per_s"], base["end_to_end_per_s"]),
            "extractor": _ratio(two["throughput"]["stage_per_s"]["extractor"], base["stage_per_s"]["extractor"]),
        }
    lat50 = next((x for x in one.get("latency", []) if x["rate_per_s"] == args.target_rate), None)
    lat_low = next((x for x in one.get("latency", []) if x["rate_per_s"] == args.low_rate), None)
    e2e = one["throughput"]["end_to_end_per_s"]
    report["summary"] = {
        "end_to_end_per_s": e2e,
        "ceiling_per_s": ceil["end_to_end_per_s"],
        "end_to_end_over_ceiling": _ratio(e2e, ceil["end_to_end_per_s"]),
        "p99_s_at_low_rate": lat_low and lat_low["p99_s"],
        "p50_s_at_target": lat50 and lat50["p50_s"],
        "p99_s_at_target": lat50 and lat50["p99_s"],
        # per stage, CPU ms per article in the end-to-end flood: logic (inside the handler) and plumbing
        "cpu_ms_per_article": one["throughput"]["cpu_ms_per_article"],
        "ceiling_cpu_ms_per_article": ceil["cpu_ms_per_article"],
        "target_met": {
            "throughput_100_per_s": e2e >= 100,
            "ceiling_500_per_s": ceil["end_to_end_per_s"] >= 500,
            "p99_2s_at_50_per_s": bool(
                lat50 and lat50["p99_s"] is not None and lat50["p99_s"] <= 2 and lat50["missing_after_drain"] == 0
            ),
            "extractor_2x_ge_1_6": report.get("scaling", {}).get("extractor", 0) >= 1.6,
        },
        "cpu_count": os.cpu_count(),
        "load_avg_1m_end": round(os.getloadavg()[0], 2),
        "bench_s": round(time.monotonic() - started),
    }
    print(json.dumps(report))


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else 0.0


if __name__ == "__main__":
    main()
