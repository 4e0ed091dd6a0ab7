"""The fault suite on a replicated cluster: 3 KRaft brokers, PostgreSQL as the sink's store, 2 workers a stage.

A private cluster (``OwnCluster``: brokers on 29092-29094, controllers on
29192-29194 unless ``WIREWATCH_TEST_CLUSTER_PORTS`` / ``..._CONTROLLER_PORTS``
say otherwise), a throwaway PostgreSQL (``tests/e2e/pg.py``) and a random topic
prefix isolate the run. Every topic has 3 replicas and ``min.insync.replicas``
2; the workers' producers are idempotent with ``acks=all``. Two workers run
for each of cleaner, extractor and sink, and two deduplicators (one holds the
single assignment partition, the other waits). Articles trickle in at
``WIREWATCH_CLUSTER_RATE`` per second (default 10, which this topology carries with room to spare
on a 2-core machine; at 20/s it passes there too, but the backlog grows through the run and the
recovery margin is thin) while, one after another:

* the broker leading ``articles.raw`` partition 0 is killed (-9), then started again;
* the active controller (the quorum leader) is killed (-9), then started again;
* each broker in turn is stopped cleanly and started (a rolling restart);
* a broker is killed (-9) together with one worker of each stage (the active
  deduplicator among them); the workers are restarted at once, the broker later;
* a broker is stopped, misses 30 s of writes, and rejoins (it must catch up
  from the others before it is in sync again).

Recovery is measured as in the single-broker suite (``Run.recovered_after``):
from the fault until the workers answer ``/readyz`` and an article sent after
it came out. Before the next step every replica must be back in sync. At the
end every acknowledged article must be in the sink exactly once or
dead-lettered for a reason that is the input's (``unexpected_error`` is a bug); the
report (also ``var/cluster-faults-report.json``) gives per
step: sent, stored, dead-lettered, lost, duplicated, recovery, consumer lag.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.pipeline_observe import ready
from tests.e2e.harness import REPO
from tests.e2e.pg import postgres_server
from tests.faults.checks import Phase, SinkState, account
from tests.faults.cluster import OwnCluster
from tests.faults.run import Run, assert_delivered_once, progress, publish_report, require_corpus
from tests.faults.trace import group_lag, trace

pytestmark = [pytest.mark.cluster, pytest.mark.faults, pytest.mark.e2e, pytest.mark.slow]

MAX_RECOVERY_S = float(os.environ.get("WIREWATCH_CLUSTER_MAX_RECOVERY_S", "60"))
RATE = float(os.environ.get("WIREWATCH_CLUSTER_RATE", "10"))
PARTITIONS = 4
PORTS = [int(p) for p in os.environ.get("WIREWATCH_TEST_CLUSTER_PORTS", "29092 29093 29094").split()]
CONTROLLER_PORTS = [
    int(p) for p in os.environ.get("WIREWATCH_TEST_CLUSTER_CONTROLLER_PORTS", "29192 29193 29194").split()
]
REPORT = REPO / "var" / "cluster-faults-report.json"
#: two workers of each of these; the load thread stands in for the fetchers
STAGES = ("sink", "deduplicator", "extractor", "cleaner")
MISSED_WRITES_S = 30.0
DRAIN_MAX_S = float(os.environ.get("WIREWATCH_CLUSTER_DRAIN_S", "900"))
DRAIN_IDLE_S = 90.0  # nothing came out for this long: what is left is stuck, not slow


class ClusterRun(Run):
    def __init__(self, workdir: Path, cluster: OwnCluster, db_url: str) -> None:
        env = {"WIREWATCH_DATABASE_URL": db_url, "WIREWATCH_TOPIC_REPLICATION": "3"}
        super().__init__(workdir, cluster.bootstrap, RATE, partitions=PARTITIONS, env=env)
        self.cluster = cluster
        self.workers = [f"{s}-{i}" for s in STAGES for i in (1, 2)]

    def lag(self) -> int:
        return sum(group_lag(self.cluster.bootstrap, self.pipeline.prefix).values())

    def active_deduplicator(self) -> str:
        """The deduplicator worker that holds the assignment partition (the other one waits for it)."""
        import urllib.request  # noqa: PLC0415

        for name in ("deduplicator-1", "deduplicator-2"):
            url = f"http://127.0.0.1:{self.pipeline.ports[name]}/readyz"
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=3) as response:
                body = json.loads(response.read())
                if any(".assign:" in tp for tp in body.get("assigned_partitions", [])):
                    return name
        return "deduplicator-1"

    def step(self, fault: str, inject: Callable[[Phase], list[str]], workers: list[str] | None = None) -> Phase:
        """Inject a fault (``inject`` returns the nodes to start again afterwards), measure recovery,
        restart those nodes, wait for every replica to be in sync, note the consumer lag."""
        phase = Phase(fault, time.monotonic())
        to_start = inject(phase)
        t0 = phase.detail.pop("t0", phase.started)  # an inject may say the fault's effect starts later
        phase.recovery_s = self.recovered_after(t0, workers or self.workers, fault, MAX_RECOVERY_S * 3)
        for node in to_start:
            phase.detail.setdefault("broker_start_s", {})[node] = round(self.cluster.start(node), 1)
        phase.detail["in_sync_again_s"] = round(time.monotonic() - phase.started, 1)
        waited = self.cluster.wait_replicated(self.pipeline.prefix)
        phase.detail["in_sync_again_s"] = None if waited is None else round(phase.detail["in_sync_again_s"] + waited, 1)
        time.sleep(3)
        phase.detail["consumer_lag_after"] = self.lag()
        progress(f"{fault}: recovered after {phase.recovery_s}s; {phase.detail}")
        return phase


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterRun]:
    require_corpus()
    work = tmp_path_factory.mktemp("cluster")
    cluster = OwnCluster(work / "kafka", PORTS, CONTROLLER_PORTS)
    if taken := cluster.ports_taken():
        pytest.fail(f"ports {taken} are taken: another cluster suite running? (set WIREWATCH_TEST_CLUSTER_PORTS)")
    with contextlib.ExitStack() as teardown, postgres_server() as db_url:
        teardown.callback(cluster.wipe)
        cluster.up()
        r = ClusterRun(work, cluster, db_url)
        teardown.callback(r.pipeline.stop_all)
        teardown.callback(r.tracker.stop)
        teardown.callback(r.load.stop)
        r.pipeline.create_topics()
        for name in r.workers:
            r.start(name.rsplit("-", 1)[0], name)
        r.tracker.start()
        yield r


def test_cluster_faults_lose_nothing_duplicate_nothing_and_recover(run: ClusterRun) -> None:
    p, cluster = run.pipeline, run.cluster
    raw = f"{p.prefix}articles.raw"
    started = time.monotonic()
    p.wait_for("every worker ready", lambda: all(ready(p.ports[n]) for n in run.workers), timeout=300)
    # an outside client (Kafka's own AdminClient, not aiokafka) must see 3 replicas, all in sync, on
    # every topic of the run, faust's changelog and leader topics included
    status, described = cluster.describe(p.prefix)
    progress("Kafka's AdminClient sees:\n" + described)
    assert status == 0, described
    assert f"{p.prefix}articles.raw:" in described and "changelog" in described, described
    run.load.start()
    progress(f"pipeline ready on {cluster.bootstrap} (prefix {p.prefix}); load at {RATE}/s")
    phases = [Phase("baseline", time.monotonic())]
    phases[0].recovery_s = run.recovered_after(phases[0].started, run.workers, "baseline", 180)
    assert phases[0].recovery_s is not None, "the pipeline never produced an event\n" + p.tail()
    phases[0].detail["consumer_lag_after"] = run.lag()

    def kill_leader(phase: Phase) -> list[int]:
        node = cluster.leader_of(raw, 0)
        phase.detail["broker"] = node
        cluster.kill(node)
        return [node]

    def kill_controller(phase: Phase) -> list[int]:
        node = cluster.active_controller()
        phase.detail["broker"] = node
        cluster.kill(node)
        return [node]

    phases.append(run.step("kill -9 leader of articles.raw p0", kill_leader))
    phases.append(run.step("kill -9 active controller", kill_controller))

    # Rolling restart: each node stopped cleanly and started; the next only once all replicas are in sync.
    phase = Phase("rolling restart", time.monotonic())
    worst: float | None = 0.0
    for node in (1, 2, 3):
        t0 = time.monotonic()
        cluster.stop(node)
        cluster.start(node)
        took = run.recovered_after(t0, run.workers, phase.fault, MAX_RECOVERY_S * 3)
        worst = None if took is None or worst is None else max(worst, took)
        phase.detail[f"node{node}_recovery_s"] = None if took is None else round(took, 1)
        phase.detail[f"node{node}_in_sync_s"] = cluster.wait_replicated(p.prefix)
    phase.recovery_s = worst
    time.sleep(3)
    phase.detail["consumer_lag_after"] = run.lag()
    progress(f"rolling restart: {phase.detail}")
    phases.append(phase)

    def kill_workers_in_failover(phase: Phase) -> list[int]:
        node = cluster.leader_of(raw, 0)
        victims = ["cleaner-1", "extractor-2", run.active_deduplicator(), "sink-1"]
        phase.detail |= {"broker": node, "workers": victims}
        cluster.kill(node)
        for name in victims:
            p.stop(name, signal.SIGKILL)
            run.start(name.rsplit("-", 1)[0], name)
        return [node]

    phases.append(run.step("kill -9 a broker and one worker of each stage", kill_workers_in_failover))

    def stop_for_a_while(phase: Phase) -> list[int]:
        """Recovery is reported from the rejoin (the stop itself is in ``recovery_after_stop_s``)."""
        node = cluster.leader_of(raw, 0)
        phase.detail["broker"] = node
        cluster.stop(node)
        away = run.recovered_after(phase.started, run.workers, phase.fault, MAX_RECOVERY_S * 3)
        phase.detail["recovery_after_stop_s"] = None if away is None else round(away, 1)
        time.sleep(max(0.0, phase.started + MISSED_WRITES_S - time.monotonic()))  # writes go on without it
        phase.detail["sent_while_away"] = len(run.load.sent_since(phase.started))
        rejoin = time.monotonic()
        phase.detail["broker_start_s"] = {node: round(cluster.start(node), 1)}
        phase.detail["t0"] = rejoin
        return []

    phases.append(run.step("broker stopped, misses writes, rejoins", stop_for_a_while))

    run.load.stop()
    progress(f"load stopped after {len(run.load.sent)} articles; draining")
    drain_started = time.monotonic()
    # A slow machine leaves a backlog: drain while articles keep coming out, up to DRAIN_MAX_S.
    progressed_at, seen = drain_started, -1
    while time.monotonic() < drain_started + DRAIN_MAX_S and not run.drained():
        run.supervise("drain")
        first, dead, _ = run.tracker.snapshot()
        if len(first) + len(dead) != seen:
            progressed_at, seen = time.monotonic(), len(first) + len(dead)
        elif time.monotonic() - progressed_at > DRAIN_IDLE_S:
            break
        time.sleep(1)
    time.sleep(5)  # the sinks commit the last decisions they published

    _, dead, event_messages = run.tracker.snapshot()
    sink = SinkState.read(p.db_url)
    per_phase = account(phases, run.load.sent, sink, dead)
    lost = [a for a in run.load.sent if a not in sink.rows and a not in dead]
    report: dict[str, Any] = {
        "prefix": p.prefix,
        "rate_per_s": RATE,
        "partitions": PARTITIONS,
        "phases": per_phase,
        "totals": {k: sum(x[k] for x in per_phase) for k in ("sent", "stored", "dead_lettered", "lost", "duplicated")},
        "identical_event_source_sets": sink.identical_source_sets(),
        "live_events": len(sink.live_sources),
        "event_messages": event_messages,
        "unconfirmed_sends": len(run.load.unconfirmed),
        "unconfirmed_stored": sum(1 for a in run.load.unconfirmed if a in sink.rows),
        "crashes": run.crashes,
        # one error text per dead-letter reason: a reason like unexpected_error needs its cause in the report
        "dead_letter_samples": {
            f"{ls[0].get('service')}:{ls[0].get('reason')}": ls[0].get("error") for ls in reversed(dead.values())
        },
        "replayed_records": run.tracker.replays(),
        "consumer_lag_end": run.lag(),
        "drain_s": round(time.monotonic() - drain_started, 1),
        "suite_s": round(time.monotonic() - started, 1),
        "max_recovery_s": MAX_RECOVERY_S,
    }
    if lost:
        report["lost_trace"] = trace(cluster.bootstrap, p.prefix, lost[:10])
    publish_report(REPORT, report)

    assert_delivered_once(report, lost, p.tail())
    bugs = {k: v for k, v in report["dead_letter_samples"].items() if k.endswith(":unexpected_error")}
    assert not bugs, f"dead letters from failures that are not the input's fault: {bugs}"
    slow = [x for x in per_phase[1:] if x["recovery_s"] is None or x["recovery_s"] > MAX_RECOVERY_S]
    assert not slow, f"recovery over {MAX_RECOVERY_S}s: {slow}"
