"""A worker whose consumer stops fetching gets going again by itself (shared/stall.py).

One service runs as ``tests.e2e.stalling_worker``: once it owns partitions its faust
consumer stops fetching them, the state faust sometimes leaves a worker in after a
rebalance. The seed articles are then dropped in; the stall watch must report the stall,
ask for a rejoin, and the rebalance that follows must resume fetching, so the seeds still
become their two events, without the worker exiting. Both of faust's resume paths are
covered: the cleaner has no tables, the deduplicator restores its table first.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import REPO, SERVICES, Pipeline, copy_samples, groups, require_broker

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SEEDS = REPO / "deploy" / "samples"
FEB = {"000_7f11475e37a074b1", "001_49524e8554e2d548", "003_f28817352efe0b87"}
DEC = {"002_73ca37d0c5ce4629", "004_c370c7b379c2e6df"}


@pytest.fixture
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    require_broker()
    work = tmp_path_factory.mktemp("stall")
    (work / "inbox").mkdir()
    p = Pipeline(work, work / "inbox")
    p.env["WIREWATCH_STALL_AFTER_S"] = "10"
    p.create_topics()
    try:
        yield p
    finally:
        p.stop_all()
        p.delete_topics()


@pytest.mark.parametrize("stuck", ["cleaner", "deduplicator"])
def test_a_worker_that_stops_fetching_rejoins_and_catches_up(pipeline: Pipeline, stuck: str) -> None:
    for service in SERVICES:
        pipeline.start(service, module="tests.e2e.stalling_worker" if service == stuck else None)
    pipeline.wait_for("the stuck worker", lambda: bool(pipeline.log_events(stuck, "test_fetching_stopped")), 120)
    copy_samples(SEEDS, pipeline.watch_dir)

    def two_events() -> bool:
        return sorted(groups(pipeline.events()), key=sorted) == sorted([FEB, DEC], key=sorted)

    pipeline.wait_for("the two seed events", two_events, timeout=180)
    assert pipeline.log_events(stuck, "consumer_stalled")
    assert pipeline.log_events(stuck, "consumer_rejoin_requested")
    assert not pipeline.log_events(stuck, "consumer_stalled_exit")
    assert pipeline.alive()[stuck] is None
