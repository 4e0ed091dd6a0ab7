"""The stall watch (shared/stall.py): a partition with records waiting and nothing committed is
reported, the worker rejoins its group, and exits for a restart if that did not help."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import structlog
from faust.types import TP

from shared.stall import EXIT_STALLED, StallWatch, snapshot

TP0 = TP("t.articles.enriched", 0)
TP1 = TP("t.articles.enriched", 1)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class _Harness:
    def __init__(self, after_s: float = 30, **consumer: Any) -> None:
        defaults: dict[str, Any] = {"_read_offset": {}, "_committed_offset": {}, "flow_active": True}
        self.app: Any = SimpleNamespace(consumer=SimpleNamespace(**(defaults | consumer)), rebalancing=False, agents={})
        self.clock = _Clock()
        self.rejoins = 0
        self.exits: list[int] = []
        self.watch = StallWatch(
            self.app, after_s=after_s, rejoin=self._rejoin, exit=self.exits.append, clock=self.clock
        )

    def _rejoin(self) -> None:
        self.rejoins += 1

    def tick(self, lag: dict[TP, int], seconds: float = 0) -> set[TP]:
        self.clock.now += seconds
        return self.watch.check(lag)

    def commit(self, tp: TP, offset: int) -> None:
        self.app.consumer._committed_offset[tp] = offset


def test_waiting_records_with_nothing_committed_are_a_stall_after_the_delay() -> None:
    h = _Harness(_committed_offset={TP0: 5})
    with structlog.testing.capture_logs() as logs:
        assert h.tick({TP0: 2}) == set()
        assert h.tick({TP0: 2}, 29) == set()
        assert h.rejoins == 0
        assert h.tick({TP0: 2}, 2) == {TP0}
        assert h.tick({TP0: 2}, 10) == {TP0}
    assert h.rejoins == 1  # acted on once, not on every tick
    assert h.exits == []
    stalled = [e for e in logs if e["event"] == "consumer_stalled"]
    assert len(stalled) == 1 and stalled[0]["tp"] == str(TP0) and stalled[0]["lag"] == 2
    requested = [e for e in logs if e["event"] == "consumer_rejoin_requested"]
    assert requested[0]["state"][str(TP0)]["committed"] == 5


def test_commits_or_no_lag_or_a_rebalance_restart_the_clock() -> None:
    h = _Harness(_committed_offset={TP0: 4, TP1: 9})
    h.tick({TP0: 2, TP1: 0})
    h.commit(TP0, 5)
    h.tick({TP0: 1, TP1: 0}, 20)
    assert h.tick({TP0: 1, TP1: 0}, 20) == set()  # 20 s since the commit
    h.app.rebalancing = True
    assert h.tick({TP0: 1, TP1: 0}, 20) == set()
    h.app.rebalancing = False
    assert h.tick({TP0: 1, TP1: 0}, 20) == set()  # the rebalance restarted the clock
    assert h.tick({TP0: 1, TP1: 0}, 20) == {TP0}
    assert TP1 not in h.tick({TP0: 1, TP1: 0}, 100)  # nothing waiting there: never a stall


def test_still_stalled_after_the_rejoin_exits_for_a_restart() -> None:
    h = _Harness(_committed_offset={TP0: 5})
    h.tick({TP0: 3})
    h.tick({TP0: 3}, 31)
    assert h.rejoins == 1
    h.app.rebalancing = True  # the rejoin's rebalance: faust forgets the committed offset meanwhile
    h.app.consumer._committed_offset.pop(TP0)
    h.tick({TP0: 3}, 5)
    h.app.rebalancing = False
    h.commit(TP0, 5)  # sought back to the same committed offset, and still nothing moves
    h.tick({TP0: 3}, 5)
    assert h.exits == []
    with structlog.testing.capture_logs() as logs:
        h.tick({TP0: 3}, 31)
    assert h.exits == [EXIT_STALLED]
    assert h.rejoins == 1
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["consumer_stalled_exit"]


def test_a_commit_after_the_rejoin_ends_the_episode() -> None:
    h = _Harness(_committed_offset={TP0: 5})
    h.tick({TP0: 3})
    h.tick({TP0: 3}, 31)
    with structlog.testing.capture_logs() as logs:
        h.commit(TP0, 6)
        h.tick({TP0: 2}, 5)
    assert [e["event"] for e in logs] == ["consumer_stall_cleared"]
    h.tick({TP0: 2}, 31)  # a later, unrelated stall: a rejoin again, not an exit
    assert (h.rejoins, h.exits) == (2, [])


def test_a_revoked_partition_is_forgotten() -> None:
    h = _Harness(_committed_offset={TP0: 5})
    h.tick({TP0: 3})
    h.tick({TP0: 3}, 31)
    h.tick({}, 5)  # revoked (another worker owns it now)
    assert h.watch._since == {} and h.watch._rejoined == {}
    h.tick({TP0: 3}, 5)  # assigned back later: a fresh start
    h.tick({TP0: 3}, 31)
    assert (h.rejoins, h.exits) == (2, [])


def test_the_snapshot_reports_what_it_cannot_read_instead_of_raising() -> None:
    h = _Harness(_read_offset={TP0: 1}, _paused_partitions={TP0})
    state = snapshot(h.app, [TP0])  # the app has no flow control and the consumer no client
    assert state[str(TP0)]["read"] == 1
    assert state[str(TP0)]["faust_paused"] is True
    assert state["app_flow_active"] == "<AttributeError>"
    assert "client_paused" not in state[str(TP0)]


def test_a_rejoin_that_changes_nothing_still_ends_in_an_exit() -> None:
    h = _Harness(_committed_offset={TP0: 5})
    h.tick({TP0: 3})
    h.tick({TP0: 3}, 31)
    assert h.rejoins == 1
    h.tick({TP0: 3}, 20)  # no rebalance came: the partition never stopped being stalled
    assert h.exits == []
    h.tick({TP0: 3}, 11)
    assert h.exits == [EXIT_STALLED]


def test_a_failed_rejoin_request_is_logged_and_the_exit_still_follows() -> None:
    h = _Harness(_committed_offset={TP0: 5})

    def broken() -> None:
        raise RuntimeError("no consumer thread")

    h.watch.rejoin = broken
    h.tick({TP0: 3})
    with structlog.testing.capture_logs() as logs:
        h.tick({TP0: 3}, 31)
    assert "consumer_rejoin_failed" in [e["event"] for e in logs]
    h.tick({TP0: 3}, 31)
    assert h.exits == [EXIT_STALLED]
