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

from tests.e2e.harness import SEEDS, SERVICES, Pipeline, copy_samples, fresh_pipeline, two_seed_events

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    with fresh_pipeline(tmp_path_factory, "stall", WIREWATCH_STALL_AFTER_S="10") as p:
        yield p


@pytest.mark.parametrize("stuck", ["cleaner", "deduplicator"])
def test_a_worker_that_stops_fetching_rejoins_and_catches_up(pipeline: Pipeline, stuck: str) -> None:
    for service in SERVICES:
        pipeline.start(service, module="tests.e2e.stalling_worker" if service == stuck else None)
    pipeline.wait_for("the stuck worker", lambda: bool(pipeline.log_events(stuck, "test_fetching_stopped")), 120)
    copy_samples(SEEDS, pipeline.watch_dir)

    pipeline.wait_for("the two seed events", lambda: two_seed_events(pipeline), timeout=240)
    assert pipeline.log_events(stuck, "consumer_stalled")
    assert pipeline.log_events(stuck, "consumer_rejoin_requested")
    assert not pipeline.log_events(stuck, "consumer_stalled_exit")
    assert pipeline.alive()[stuck] is None
