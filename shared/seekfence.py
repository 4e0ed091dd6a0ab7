"""Guards for faust's consumer against committing records that were never processed.

faust's fetch loop (``Consumer._drain_messages``) remembers, per partition, the
last offset it read (``_read_offset``): a later record below it is dropped as
already read, and a jump above it is recorded as a log gap that the next commit
counts as processed. A rebalance seeks each partition back to its committed
offset and resets that memory. Two things done by the loop *after* such a seek
can still come from a record fetched *before* it:

* the loop is still walking the old batch: the next stale record (71) jumps
  above the reset offset (64), so 65..70 become a "gap" and the re-fetched
  64..70 are then dropped as already read;
* the loop was awaiting the delivery of a record (71) when the seek came: it
  then writes 71 as the read offset over the seek's 64, with the same effect.

Either way a run of records is neither processed nor redelivered, and the
commit moves past them (the fault suite lost 7 articles so). The guards:

1. the *seek fence*: every record is tagged with its partition's seek epoch
   when its batch was fetched; a stale record may still be delivered (a
   duplicate, which every stage tolerates) but can no longer move the read
   offset nor declare a gap. It never withholds a record, so it cannot stall
   a partition;
2. *gaps only where records are gone*: on a delete-policy topic a jump is a
   gap only below the partition's log start offset (retention); a jump over
   records that still exist is fetched again (``_add_gap``);
3. *no commit past the committed record*: faust lets a commit skip the record
   at the committed offset when later ones were acknowledged first
   (``_new_offset``).
4. *a rebalance seek always rewinds*: aiokafka moves a partition only if its
   committed offset is above 0, so on one its group never committed (or
   committed at 0) records already taken, and cleared from the agents' queues
   by the rebalance, would be neither processed nor fetched again; such a
   partition is sought to its log start (``seek_to_committed``).

``install()`` makes faust's Kafka transport use the guarded consumer; it is
called by :func:`shared.streaming.make_app`. ``tests/unit/test_seek_fence.py``
drives faust's own loop and commit rule through each case, with and without
the guards. Every guard that acts logs it (``seek_fence_*``, ``log_gap_*``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import structlog
from faust.transport.consumer import ensure_TP
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

log = structlog.get_logger(__name__)


class FencedOffsets(defaultdict[TP, int | None]):
    """The read-offset map: a write for a record fetched before the latest seek is ignored.

    ``update()`` (used by faust's ``perform_seek``) bypasses ``__setitem__`` on a
    dict subclass, so seeks always land.
    """

    def __init__(self, fence: SeekFence) -> None:
        super().__init__(lambda: None)
        self._fence = fence

    def __setitem__(self, tp: TP, offset: int | None) -> None:
        if self._fence._stale_write(tp, offset):
            return
        super().__setitem__(tp, offset)


class SeekFence:
    """Mixin for a faust ``Consumer``: see the module docstring."""

    _read_offset: Any

    def _init_fence(self) -> None:
        self._seek_epoch: defaultdict[TP, int] = defaultdict(int)
        self._batch_epoch: dict[TP, int] = {}
        self._inflight: dict[TP, tuple[int, int]] = {}
        offsets = FencedOffsets(self)
        offsets.update(getattr(self, "_read_offset", {}) or {})
        self._read_offset = offsets

    def _stale(self, tp: TP) -> bool:
        inflight = self._inflight.get(tp)
        return inflight is not None and inflight[1] != self._seek_epoch[tp]

    def _stale_write(self, tp: TP, offset: int | None) -> bool:
        inflight = self._inflight.get(tp)
        stale = inflight is not None and inflight[0] == offset and inflight[1] != self._seek_epoch[tp]
        if stale:
            log.info(
                "seek_fence_kept_read_offset", tp=str(tp), stale_offset=offset, read_offset=self._read_offset.get(tp)
            )
        return stale

    def _bump(self, partitions: Any) -> None:
        for tp in partitions:
            self._seek_epoch[tp] += 1

    async def seek(self, partition: TP, offset: int) -> None:
        """As faust's ``seek``, with the epoch bumped around it; the new read offset always lands."""
        tp = ensure_TP(partition)
        self._bump([tp])
        await self._seek(tp, offset)  # type: ignore[attr-defined]
        self._bump([tp])
        dict.__setitem__(self._read_offset, tp, offset if offset else None)

    async def seek_to_committed(self) -> Mapping[TP, int]:
        # faust's perform_seek (the rebalance path) seeks through here, then resets
        # the read offsets with update(); bump before the seek so that a record
        # fetched meanwhile counts as stale rather than fresh.
        self._bump(self._read_offset.keys())
        committed: dict[TP, int | None] = dict(await super().seek_to_committed())  # type: ignore[misc]
        # aiokafka seeks a partition only if its committed offset is above 0: one its group
        # never committed (None) or committed at 0 stays where the fetcher is, so records this
        # worker had already taken (and that a rebalance cleared from the agents' queues)
        # would be neither processed nor fetched again. Seek it to where the group starts
        # (the log start: auto_offset_reset is "earliest"), as a committed one would be.
        unmoved = [tp for tp, off in committed.items() if not off and _stream_topic(tp.topic)]
        if unmoved:
            starts: Mapping[TP, int] = await self.earliest_offsets(*unmoved)  # type: ignore[attr-defined]
            for tp in unmoved:
                if starts.get(tp) is not None:
                    target = max(committed[tp] or 0, starts[tp])
                    await self._seek(tp, target)  # type: ignore[attr-defined]
                    committed[tp] = target
        self._bump(committed.keys())
        log.info("seek_to_committed", offsets={str(tp): off for tp, off in committed.items()})
        return committed  # type: ignore[return-value]

    async def _wait_next_records(self, timeout: float) -> Any:
        got = await super()._wait_next_records(timeout)  # type: ignore[misc]
        self._batch_epoch = dict(self._seek_epoch)
        return got

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        epochs: dict[TP, int] | None = None
        async for tp, message in super().getmany(timeout):  # type: ignore[misc]
            if epochs is None:
                epochs = self._batch_epoch
            self._inflight[tp] = (message.offset, epochs.get(tp, 0))
            read = self._read_offset.get(tp)
            if read is not None and message.offset < read:  # faust will drop it as already read
                log.info("record_below_read_offset", tp=str(tp), offset=message.offset, read_offset=read)
            yield tp, message

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        """faust saw offset ``offset_to`` right after ``offset_from - 1``: skip the records between?

        On a compacted topic, yes (they were compacted away). On a delete-policy topic only
        those below the partition's log start offset are really gone (retention); any other
        jump means the fetch position moved past records that exist, so they are fetched
        again (a seek back) instead of being counted as processed.
        """
        if self._stale(tp):
            log.info("seek_fence_ignored_gap", tp=str(tp), gap_from=offset_from, gap_to=offset_to)
            return
        if compacted(tp.topic):
            await super()._add_gap(tp, offset_from, offset_to)  # type: ignore[misc]
            return
        try:
            earliest: int | None = (await self.earliest_offsets(tp))[tp]  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - without the log start, re-fetching is the safe side
            log.warning("log_start_unknown", tp=str(tp), error=repr(exc)[:200])
            earliest = None
        if earliest is not None and earliest >= offset_to:
            log.warning("log_gap_declared", tp=str(tp), gap_from=offset_from, gap_to=offset_to, log_start=earliest)
            await super()._add_gap(tp, offset_from, offset_to)  # type: ignore[misc]
            return
        start = offset_from if earliest is None else max(offset_from, earliest)
        if start > offset_from:  # the part below the log start is gone
            await super()._add_gap(tp, offset_from, start - 1)  # type: ignore[misc]
        log.warning("log_gap_refetched", tp=str(tp), gap_from=offset_from, gap_to=offset_to, refetch_from=start)
        await self.seek(tp, start)

    def _new_offset(self, tp: TP) -> int | None:
        """faust's next commit for ``tp``, but not past the committed offset's own record.

        faust commits the first run of consecutive acked offsets when it starts at most one
        past the committed offset (its test is ``min(acked) - committed > 1``): with
        ``committed`` = 68 (the next record to read) and 69, 70 acked before 68, it commits
        71 and 68 is lost if the worker dies before finishing it. Acks come out of order when
        a record from before a seek is delivered again (above). On a delete-policy topic the
        record at ``committed`` exists unless a log gap says otherwise (faust declares a
        retention jump from ``committed + 1``), so the commit waits for it. Compacted topics,
        where that record may be gone without a gap, keep faust's rule.
        """
        acked = self._acked[tp]  # type: ignore[attr-defined]
        committed = self._committed_offset[tp]  # type: ignore[attr-defined]
        if (
            acked
            and committed is not None
            and min(acked) > committed
            and not compacted(tp.topic)
            and not self._gap[tp].overlaps(committed, committed + 2)  # type: ignore[attr-defined]
        ):
            return None
        offset: int | None = super()._new_offset(tp)  # type: ignore[misc]
        return offset


#: faust's partition assignor claims a one-partition topic of this suffix on every worker; it carries no work.
ASSIGNOR_SUFFIX = "__assignor-__leader"


def _changelog(topic: str) -> bool:
    return topic.endswith("-changelog")


def _stream_topic(topic: str) -> bool:
    """A topic the agents consume and commit (not a table changelog, not faust's assignor topic)."""
    return not _changelog(topic) and not topic.endswith(ASSIGNOR_SUFFIX)


#: Whether a topic is compacted (set by :func:`install`; faust's table changelogs always are).
compacted: Callable[[str], bool] = _changelog


class FencedConsumer(SeekFence, faust_aiokafka.Consumer):
    """faust's aiokafka consumer with the seek fence."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_fence()


def install(is_compacted: Callable[[str], bool] | None = None) -> None:
    """Make faust's Kafka transport build :class:`FencedConsumer` (idempotent).

    ``is_compacted(topic)`` says which of the consumed topics are compacted (besides the
    table changelogs); see :meth:`SeekFence._new_offset`.
    """
    global compacted
    compacted = _changelog if is_compacted is None else (lambda t: _changelog(t) or is_compacted(t))
    faust_aiokafka.Transport.Consumer = FencedConsumer
