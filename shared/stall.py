"""Detect a worker that owns records it does not process, say why, and get it going again.

A partition *stalls* when records wait in it (its consumer lag is above 0) but
this worker commits none of them for ``after_s`` seconds while no rebalance is
under way. The lag timer (:mod:`shared.health`) calls :meth:`StallWatch.check`
with every refreshed lag. faust's consumer can end up so (see
``docs/performance.md``, "A worker that stops fetching"), and this is what a
worker does about it:

1. it logs ``consumer_stalled`` with a snapshot of the consumer's flow state
   and asks the group coordinator for a rejoin (``consumer_rejoin_requested``):
   the rebalance that follows seeks every partition back to its committed offset
   and resumes fetching, the path every restart takes;
2. if a partition is still (or again) stalled ``after_s`` after that request,
   with nothing committed meanwhile, the worker logs ``consumer_stalled_exit`` and exits with
   :data:`EXIT_STALLED`, for its supervisor to restart it. Nothing is lost: the
   records it held are above the committed offset and are delivered again.

A partition that commits again ends the episode (``consumer_stall_cleared``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import faust
import structlog
from faust.types import TP

from shared.errors import EXIT_RESTART, exit_for_restart

log = structlog.get_logger(__name__)

#: Exit status of a worker that stayed stalled after a rejoin.
EXIT_STALLED = EXIT_RESTART


class StallWatch:
    """Per-partition commit progress of one worker; see the module docstring."""

    def __init__(
        self,
        app: faust.App,
        after_s: float,
        *,
        rejoin: Callable[[], None] | None = None,
        exit: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.after_s = after_s
        self.rejoin = rejoin or (lambda: request_rejoin(app))
        self.exit = exit or exit_for_restart
        self.clock = clock
        self._committed: dict[TP, Any] = {}
        self._since: dict[TP, float] = {}
        #: partitions a rejoin was requested for, with their committed offset and the time then
        self._rejoined: dict[TP, tuple[Any, float]] = {}
        self.stalled: set[TP] = set()

    def check(self, lag: Mapping[TP, int]) -> set[TP]:
        """Update progress from one lag reading, act on new stalls; return the partitions stalled now."""
        now = self.clock()
        consumer = self.app.consumer
        for tp in (set(self._since) | set(self._rejoined)) - set(lag):  # revoked
            self._since.pop(tp, None)
            self._committed.pop(tp, None)
            self._rejoined.pop(tp, None)
        rebalancing = bool(getattr(self.app, "rebalancing", False))
        stalled: set[TP] = set()
        for tp, waiting in lag.items():
            committed = _get(consumer, "_committed_offset", tp)
            if tp in self._rejoined and (waiting <= 0 or committed not in (None, self._rejoined[tp][0])):
                del self._rejoined[tp]
                log.info("consumer_stall_cleared", tp=str(tp), committed=committed, lag=waiting)
            if waiting <= 0 or rebalancing or tp not in self._since or committed != self._committed.get(tp):
                self._committed[tp] = committed
                self._since[tp] = now
            elif now - self._since[tp] >= self.after_s:
                stalled.add(tp)
        new = stalled - self.stalled
        self.stalled = stalled
        overdue = {tp for tp in stalled if tp in self._rejoined and now - self._rejoined[tp][1] >= self.after_s}
        if overdue:
            log.error(
                "consumer_stalled_exit",
                tps=sorted(str(tp) for tp in overdue),
                exit_status=EXIT_STALLED,
                state=snapshot(self.app, sorted(overdue)),
            )
            self.exit(EXIT_STALLED)
            return stalled
        fresh = {tp for tp in new if tp not in self._rejoined}
        if fresh:
            for tp in sorted(fresh):
                log.warning("consumer_stalled", tp=str(tp), lag=lag[tp], idle_s=round(now - self._since[tp], 1))
            tps, state = sorted(str(tp) for tp in fresh), snapshot(self.app, sorted(fresh))
            log.warning("consumer_rejoin_requested", tps=tps, state=state)
            for tp in fresh:
                self._rejoined[tp] = (self._committed.get(tp), now)
            try:
                self.rejoin()
            except Exception as exc:  # noqa: BLE001 - the exit below still follows if nothing moves
                log.error("consumer_rejoin_failed", error=f"{type(exc).__name__}: {exc}")
        return stalled


def request_rejoin(app: faust.App) -> None:
    """Ask the group coordinator (in faust's consumer thread) for a rejoin: a rebalance of this worker."""
    thread: Any = app.consumer._thread  # type: ignore[attr-defined]
    coordinator = thread._ensure_consumer()._coordinator
    thread.thread_loop.call_soon_threadsafe(coordinator.request_rejoin)


def _get(consumer: Any, attr: str, tp: TP) -> Any:
    return (getattr(consumer, attr, None) or {}).get(tp)


def snapshot(app: faust.App, tps: list[TP]) -> dict[str, Any]:
    """What decides whether the consumer fetches and delivers ``tps`` (best effort, for a log line)."""
    a: Any = app
    c: Any = app.consumer
    state: dict[str, Any] = {
        "consumer_flow_active": getattr(c, "flow_active", None),
        "app_flow_active": _call(a.flow_control.is_active) if hasattr(a, "flow_control") else "<AttributeError>",
        "generation": _call(lambda: a.consumer_generation_id),
        "in_recovery": _call(lambda: a.in_recovery),
        "recovery_completed": _call(lambda: a.tables.recovery.completed.is_set() is True),
        "fetcher": _call(lambda: a._fetcher.state),
        "unacked": _call(lambda: sorted((m.tp.partition, m.offset) for m in c._unacked_messages)[:20]),
        "queues": _call(lambda: {str(g.name): g.channel.queue.qsize() for g in a.agents.values()}),
        "actors_done": _call(
            lambda: {str(g.name): [t.actor_task.done() for t in g._actors] for g in a.agents.values()}
        ),
    }
    client: Any = _call(lambda: c._thread._ensure_consumer() or None)
    has_client = client is not None and not isinstance(client, str)
    for tp in tps:
        part: dict[str, Any] = {
            "read": _get(c, "_read_offset", tp),
            "committed": _get(c, "_committed_offset", tp),
            "acked": _call(_acked, c, tp),
            "gaps": _call(lambda c, tp: len(c._gap.get(tp, ())), c, tp),
            "faust_active": _call(lambda c, tp: tp in c._get_active_partitions(), c, tp),
            "faust_paused": _call(lambda c, tp: tp in c._paused_partitions, c, tp),
        }
        if has_client:
            part["client_generation"] = _call(lambda: client._coordinator.generation)
            part["client_paused"] = _call(lambda k, tp: tp in k.paused(), client, tp)
            part["client_position"] = _call(_position, client, tp)
            part["client_highwater"] = _call(lambda k, tp: k.highwater(tp), client, tp)
        state[str(tp)] = part
    return state


def _acked(consumer: Any, tp: TP) -> list[int]:
    return sorted(consumer._acked.get(tp, ()))[:20]


def _position(client: Any, tp: TP) -> Any:
    tps = client._subscription.subscription.assignment.state_value(tp)
    if tps is None:
        return "unassigned"
    return tps.position if tps.has_valid_position else f"awaiting_reset={tps.awaiting_reset}"


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - a diagnostic never raises
        return f"<{type(exc).__name__}>"
