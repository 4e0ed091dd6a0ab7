"""The seek fence (shared/seekfence.py) through faust's own fetch loop.

Each scenario runs faust's ``Consumer._drain_messages`` over scripted batches
with a rebalance seek back to the committed offset 64 landing at a chosen
moment. Without the fence faust loses records in both (the loss the fault suite
saw); with it every offset from 64 on is delivered and no gap is declared.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from faust.transport import consumer as fc
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from intervaltree import IntervalTree  # type: ignore[import-untyped]

from shared import seekfence
from shared.seekfence import FencedConsumer, SeekFence, install

TOPIC = "test.articles.enriched"
PART = TP(TOPIC, 1)
COMMITTED = 64


class _Stopped:
    def __init__(self) -> None:
        self.flag = False

    def is_set(self) -> bool:
        return self.flag


class _Loop:
    """What ``_drain_messages`` reads from a faust consumer, with scripted batches and seeks."""

    def __init__(self, batches: list[list[int]], seek_at: int, during_delivery: bool) -> None:
        self._read_offset: Any = defaultdict(lambda: None)
        self._read_offset[PART] = batches[0][0] - 1  # read up to the batch, committed up to 64
        self._committed_offset: defaultdict[TP, int | None] = defaultdict(lambda: COMMITTED)
        self._gap: defaultdict[TP, IntervalTree] = defaultdict(IntervalTree)
        self._stopped = _Stopped()
        self._commit_every = None
        self.diag = SimpleNamespace(set_flag=lambda _f: None, unset_flag=lambda _f: None)
        self.app = SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=lambda _t: True))
        self.suspend_flow = asyncio.Event()
        self.should_stop = False
        self.consumer_stopped_errors = ()
        quiet = lambda *_a, **_k: None  # noqa: E731
        self.log = SimpleNamespace(dev=quiet, info=quiet, exception=quiet)
        self.delivered: list[int] = []
        self._batches = batches
        self._seek_at: int | None = seek_at
        self._during_delivery = during_delivery
        self.log_start = 0
        self.log_end = 75
        self.sought: list[int] = []

    async def _rebalance(self) -> None:
        self._seek_at = None
        await fc.Consumer.perform_seek(self)  # type: ignore[arg-type]

    async def seek_to_committed(self) -> Mapping[TP, int]:
        await asyncio.sleep(0)
        return {PART: COMMITTED}

    async def _seek(self, partition: TP, offset: int) -> None:
        await asyncio.sleep(0)
        self.sought.append(offset)
        self._batches = [list(range(offset, self.log_end))]  # the next fetch starts there

    async def earliest_offsets(self, *partitions: TP) -> Mapping[TP, int]:
        return dict.fromkeys(partitions, self.log_start)

    _add_gap = fc.Consumer._add_gap

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def wait_first(self, first: Any, other: Any) -> None:
        other.close()
        await first

    async def callback(self, message: Any) -> None:
        if self._during_delivery and message.offset == self._seek_at:
            await self._rebalance()  # the seek lands while this record is being delivered
        self.delivered.append(message.offset)

    async def _wait_next_records(self, timeout: float) -> Any:
        await asyncio.sleep(0)
        return (self._batches.pop(0) if self._batches else None), None

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        batch, _ = await self._wait_next_records(timeout)
        if batch is None:
            self._stopped.flag = True
            return
        for offset in batch:
            if not self._during_delivery and offset == self._seek_at:
                await self._rebalance()  # the seek lands while the loop walks an older batch
            yield PART, SimpleNamespace(offset=offset, topic=TOPIC, key=None, value=None)


class _Fenced(SeekFence, _Loop):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._init_fence()


# (batches, the offset the seek lands on, whether it lands during that record's delivery)
SCENARIOS = {
    "seek_mid_batch": ([[71, 72, 73], list(range(64, 75))], 71, False),
    "seek_during_delivery": ([[70, 71, 72], list(range(64, 75))], 71, True),
}


def _run(loop: _Loop) -> _Loop:
    asyncio.run(fc.Consumer._drain_messages(loop, SimpleNamespace(_stopped=_Stopped())))  # type: ignore[arg-type]
    return loop


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_faust_alone_loses_records_after_the_seek(name: str) -> None:
    batches, seek_at, during = SCENARIOS[name]
    loop = _run(_Loop([list(b) for b in batches], seek_at, during))
    missing = set(range(COMMITTED, 75)) - set(loop.delivered)
    assert missing, "faust no longer loses records here: re-check whether the fence is still needed"


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_fence_delivers_every_record_from_the_committed_offset(name: str) -> None:
    batches, seek_at, during = SCENARIOS[name]
    loop = _run(_Fenced([list(b) for b in batches], seek_at, during))
    assert set(range(COMMITTED, 75)) <= set(loop.delivered)
    assert not loop._gap[PART]  # nothing counted as processed without being delivered
    assert loop._read_offset[PART] == 74


def test_fence_keeps_a_batch_without_seeks_unchanged() -> None:
    loop = _run(_Fenced([[64, 65, 66], [67, 68]], -1, False))
    assert loop.delivered == [64, 65, 66, 67, 68]
    assert loop._read_offset[PART] == 68


def _jump(cls: type[_Loop], log_start: int) -> _Loop:
    """The fetch position jumps from 66 to 80 without any seek; records exist from ``log_start``."""
    loop = cls([[64, 65], [80, 81]], -1, False)
    loop.log_start, loop.log_end = log_start, 82
    return _run(loop)


def test_faust_alone_counts_a_jump_over_existing_records_as_processed() -> None:
    loop = _jump(_Loop, log_start=0)
    assert [(iv.begin, iv.end) for iv in loop._gap[PART]] == [(66, 81)]
    assert not set(range(66, 80)) & set(loop.delivered)


def test_fence_fetches_the_skipped_records_again() -> None:
    loop = _jump(_Fenced, log_start=0)
    assert loop.sought == [66]
    assert set(range(64, 82)) <= set(loop.delivered)
    assert not loop._gap[PART]


def test_fence_counts_only_the_records_below_the_log_start_as_a_gap() -> None:
    """Retention removed 66..69: those are a gap, 70..79 are fetched again."""
    loop = _jump(_Fenced, log_start=70)
    assert [(iv.begin, iv.end) for iv in loop._gap[PART]] == [(66, 70)]
    assert loop.sought == [70]
    assert set(range(70, 82)) <= set(loop.delivered)


def test_fence_declares_the_gap_when_retention_removed_every_skipped_record() -> None:
    loop = _jump(_Fenced, log_start=80)
    assert [(iv.begin, iv.end) for iv in loop._gap[PART]] == [(66, 81)]
    assert loop.sought == []


def test_install_makes_the_kafka_transport_build_the_fenced_consumer() -> None:
    install()
    assert faust_aiokafka.Transport.Consumer is FencedConsumer


class _Commits:
    """What faust's ``Consumer._new_offset`` reads: acked offsets, gaps, the committed offset."""

    def __init__(self, acked: list[int], committed: int | None, gaps: Sequence[tuple[int, int]] = ()) -> None:
        self._acked: defaultdict[TP, list[int]] = defaultdict(list, {PART: list(acked)})
        self._acked_index: defaultdict[TP, set[int]] = defaultdict(set, {PART: set(acked)})
        self._committed_offset: defaultdict[TP, int | None] = defaultdict(lambda: committed)
        self._gap: defaultdict[TP, IntervalTree] = defaultdict(IntervalTree)
        for begin, end in gaps:
            self._gap[PART].addi(begin, end)

    _new_offset = fc.Consumer._new_offset


class _FencedCommits(SeekFence, _Commits):
    pass


def test_faust_alone_commits_past_the_committed_record_when_the_next_ones_are_acked_first() -> None:
    assert fc.Consumer._new_offset(_Commits([69, 70], committed=68), PART) == 71  # type: ignore[arg-type]  # 68 never acked


def test_fence_waits_for_the_committed_record() -> None:
    commits = _FencedCommits([69, 70], committed=68)
    assert commits._new_offset(PART) is None
    commits._acked[PART].insert(0, 68)
    commits._acked_index[PART].add(68)
    assert commits._new_offset(PART) == 71


def test_fence_lets_a_declared_gap_through() -> None:
    """A retention jump: faust declares the gap from committed + 1; the commit may pass it."""
    assert _FencedCommits([80, 81], committed=68, gaps=[(69, 80)])._new_offset(PART) == 82


def test_fence_keeps_fausts_rule_on_compacted_topics() -> None:
    before = seekfence.compacted
    install(lambda topic: topic == TOPIC)
    try:
        assert _FencedCommits([69, 70], committed=68)._new_offset(PART) == 71  # 68 may be compacted away
    finally:
        seekfence.compacted = before


class _Seeks:
    """faust's ``seek_to_committed`` for a group that committed nothing yet, and the log starts."""

    def __init__(self) -> None:
        self._read_offset: defaultdict[TP, int | None] = defaultdict(lambda: None)
        self.sought: dict[TP, int] = {}

    async def seek_to_committed(self) -> Mapping[TP, int | None]:
        return {PART: None, OTHER: 0, CHANGELOG_TP: None, LEADER_TP: None}

    async def earliest_offsets(self, *partitions: TP) -> Mapping[TP, int]:
        return dict.fromkeys(partitions, 12)

    async def _seek(self, partition: TP, offset: int) -> None:
        self.sought[partition] = offset


class _FencedSeeks(SeekFence, _Seeks):
    def __init__(self) -> None:
        super().__init__()
        self._init_fence()


OTHER = TP(TOPIC, 2)
CHANGELOG_TP = TP("test.wirewatch-deduplicator-dedup-state-changelog", 0)
LEADER_TP = TP("test.wirewatch-deduplicator-__assignor-__leader", 0)


def test_a_partition_never_committed_or_committed_at_0_is_sought_to_the_log_start() -> None:
    """aiokafka seeks only offsets above 0, so records a rebalance cleared would never come back."""
    seeks = _FencedSeeks()
    got = asyncio.run(seeks.seek_to_committed())
    assert seeks.sought == {PART: 12, OTHER: 12}  # the changelog and the assignor topic are faust's business
    assert got == {PART: 12, OTHER: 12, CHANGELOG_TP: None, LEADER_TP: None}
