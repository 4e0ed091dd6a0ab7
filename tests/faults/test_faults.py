"""Fault injection on a live pipeline: kill -9 every service, restart the broker, poison every topic.

A private broker (``OwnBroker``, ports 19092/19093) and a random topic prefix
isolate the run. Real articles trickle in (``bench/loadgen.py`` seeds, 2/s)
for the whole run while faults are injected one after another:

* poison: invalid JSON, an unknown schema version, an oversize payload and
  wrong field types on every consumed topic;
* kill -9 of each service in turn, restarted at once;
* a freeze (SIGSTOP, then SIGCONT after longer than the group session timeout)
  of the deduplicator, of the extractor, then of every service and the broker
  at once: a long GC or VM pause, after which every group member has been
  expelled and must rejoin without skipping what it had in hand;
* a broker restart (clean stop, start), then a broker kill -9 and start.

For each fault the recovery time is measured: from the restart until the
restarted worker answers ``/readyz`` *and* an article sent after the restart
has come out of the pipeline (in an event update or a dead letter). At the
end, with the load stopped and the pipeline drained, every acknowledged
article must be in the sink exactly once (one article row, one live event)
or dead-lettered with its reason; no two live events may have the same
sources. The report (also ``var/faults-report.json``) lists every fault with
the articles sent during it and their fate.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.pipeline_observe import ready
from tests.e2e.harness import REPO, SERVICES
from tests.faults.broker import OwnBroker
from tests.faults.checks import Phase, SinkState, account
from tests.faults.poison import send_poison_sync
from tests.faults.run import Run, assert_delivered_once, progress, publish_report, require_corpus
from tests.faults.trace import trace

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.slow]

MAX_RECOVERY_S = float(os.environ.get("WIREWATCH_FAULTS_MAX_RECOVERY_S", "30"))
RATE = float(os.environ.get("WIREWATCH_FAULTS_RATE", "4"))
MAX_MESSAGE_BYTES = 8_000_000  # the services' default limit; the oversize poison goes just above it
REPORT = REPO / "var" / "faults-report.json"
KILL_ORDER = ("cleaner", "extractor", "deduplicator", "sink", "fetcher")
FREEZE_S = 15.0  # longer than the services' group session timeout (10 s)


class BrokerRun(Run):
    """The run on the suite's private single broker (restarted, killed and frozen by the test)."""

    def __init__(self, workdir: Path, broker: OwnBroker) -> None:
        super().__init__(
            workdir, broker.bootstrap, RATE, env={"WIREWATCH_DATABASE_URL": f"sqlite:///{workdir}/events.db"}
        )
        self.broker = broker


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerRun]:
    require_corpus()
    work = tmp_path_factory.mktemp("faults")
    broker = OwnBroker(work / "kafka")
    if broker.port_taken():
        pytest.fail(f"port {broker.port} is taken: another fault suite running? (set no other broker there)")
    broker.up()
    r = BrokerRun(work, broker)
    with contextlib.ExitStack() as teardown:  # every step runs even if one before it fails
        teardown.callback(broker.wipe)
        teardown.callback(r.pipeline.stop_all)
        teardown.callback(r.tracker.stop)
        teardown.callback(r.load.stop)
        r.pipeline.create_topics()
        r.pipeline.start_all()
        r.tracker.start()
        yield r


def test_faults_lose_nothing_duplicate_nothing_and_recover(run: BrokerRun) -> None:
    p = run.pipeline
    started = time.monotonic()
    p.wait_for("every worker ready", lambda: all(ready(p.ports[n]) for n in SERVICES), timeout=180)
    run.load.start()
    progress(f"pipeline ready on {run.broker.bootstrap} (prefix {p.prefix}); load at {RATE}/s")
    phases = [Phase("baseline", time.monotonic())]
    phases[0].recovery_s = run.recovered_after(phases[0].started, list(SERVICES), "baseline", 120)
    assert phases[0].recovery_s is not None, "the pipeline never produced an event\n" + p.tail()

    # Poison on every consumed topic, while articles flow.
    phase = Phase("poison", time.monotonic())
    expected = send_poison_sync(run.broker.bootstrap, p.prefix, MAX_MESSAGE_BYTES)
    phase.recovery_s = run.recovered_after(phase.started, list(SERVICES), "poison", MAX_RECOVERY_S * 3)
    phases.append(phase)
    progress(f"poison sent ({len(expected)} messages); flow resumed after {phase.recovery_s}s")

    # kill -9 each service in turn; restart it at once.
    for service in KILL_ORDER:
        phase = Phase(f"kill -9 {service}", time.monotonic())
        p.stop(service, signal.SIGKILL)
        p.start(service)
        phase.recovery_s = run.recovered_after(phase.started, [service], phase.fault, MAX_RECOVERY_S * 3)
        phases.append(phase)
        progress(f"{phase.fault}: recovered after {phase.recovery_s}s")
        time.sleep(3)

    # Freezes: one worker, then another, then the whole machine (every service and the broker).
    for fault, names in (
        ("freeze deduplicator", ["deduplicator"]),
        ("freeze extractor", ["extractor"]),
        ("freeze everything", list(SERVICES)),
    ):
        phase = Phase(fault, time.monotonic())
        pids = [p.procs[n].pid for n in names] + ([run.broker.pid] if fault == "freeze everything" else [])
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(FREEZE_S)
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
        phase.recovery_s = run.recovered_after(time.monotonic(), names, fault, MAX_RECOVERY_S * 3)
        phases.append(phase)
        progress(f"{fault}: {FREEZE_S:.0f}s stopped, recovered {phase.recovery_s}s after the SIGCONT")
        time.sleep(3)

    # Broker restarts on the private broker: a clean stop, then a kill -9; each started again at once.
    for fault, stop in (("broker restart", run.broker.down), ("broker kill -9", run.broker.kill)):
        phase = Phase(fault, time.monotonic())
        stop()
        down_s = time.monotonic() - phase.started
        run.broker.up()
        back_s = time.monotonic() - phase.started
        phase.detail = {"broker_stop_s": round(down_s, 1), "broker_back_after_s": round(back_s, 1)}
        phase.recovery_s = run.recovered_after(phase.started, list(SERVICES), phase.fault, MAX_RECOVERY_S * 4)
        phases.append(phase)
        progress(f"{phase.fault}: broker back after {back_s:.1f}s, pipeline recovered after {phase.recovery_s}s")
        time.sleep(5)

    run.load.stop()
    progress(f"load stopped after {len(run.load.sent)} articles; draining")
    drain_started = time.monotonic()
    deadline = drain_started + 150
    while time.monotonic() < deadline and not run.drained():
        run.supervise("drain")
        time.sleep(1)
    time.sleep(3)  # the sink commits the last decisions it published

    _, dead, event_messages = run.tracker.snapshot()
    sink = SinkState.read(p.db_url)
    per_phase = account(phases, run.load.sent, sink, dead)
    poison: list[dict[str, Any]] = [
        {
            "key": key,
            "expected": reason,
            "got": sorted({d["reason"] for d in dead.get(key, [])}),
            "letters": len(dead.get(key, [])),
        }
        for key, reason in expected
    ]
    unconfirmed_stored = sum(1 for a in run.load.unconfirmed if a in sink.rows)
    report: dict[str, Any] = {
        "prefix": p.prefix,
        "rate_per_s": RATE,
        "phases": per_phase,
        "totals": {k: sum(x[k] for x in per_phase) for k in ("sent", "stored", "dead_lettered", "lost", "duplicated")},
        "identical_event_source_sets": sink.identical_source_sets(),
        "live_events": len(sink.live_sources),
        "event_messages": event_messages,
        "unconfirmed_sends": len(run.load.unconfirmed),
        "unconfirmed_stored": unconfirmed_stored,
        "poison": poison,
        "crashes": run.crashes,
        # outputs sent again for an article already forwarded: proof that the kills caused replays
        "replayed_records": run.tracker.replays(),
        "drain_s": round(time.monotonic() - drain_started, 1),
        "suite_s": round(time.monotonic() - started, 1),
        "max_recovery_s": MAX_RECOVERY_S,
    }
    lost = [a for a in run.load.sent if a not in sink.rows and a not in dead]
    if lost:  # say where they stopped: the topics they reached, and any group partition left behind
        report["lost_trace"] = trace(run.broker.bootstrap, p.prefix, lost[:10])
    publish_report(REPORT, report)

    assert_delivered_once(report, lost, p.tail())
    wrong = [x for x in poison if x["expected"] not in x["got"]]
    assert not wrong, f"poison not dead-lettered with its reason: {wrong}"
    slow = [x for x in per_phase[1:] if x["recovery_s"] is None or x["recovery_s"] > MAX_RECOVERY_S]
    assert not slow, f"recovery over {MAX_RECOVERY_S}s: {slow}"
