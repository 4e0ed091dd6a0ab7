"""The body of every stage agent: take a batch, handle it, send all outputs, await their acks, acknowledge.

Per message, a hop used to bind the log context, call the handler, send each
output and wait for the broker's ack before reading the next message: one
broker round trip per message serialised the stage. Here a batch of events is
taken *without* acknowledging them (faust's ``noack_take``); every value is
handled (a :class:`~shared.stage.Batched` handler once for the batch, a plain
one per value), all outputs and dead letters are sent at once, and only when
every one of them is acknowledged by the broker are the batch's events
acknowledged, which lets faust commit their offsets (up to ``IN_FLIGHT``
batches await their acks while the next ones are handled). The guarantee is the
same as one message at a time (an input is committed only after its outputs
are on the broker); a worker stopped or killed mid-batch leaves the batch
unacknowledged and it is redelivered. ``take_events`` would not do: it
acknowledges the whole buffer when the agent is cancelled.

At a low rate a batch holds one message and waits at most ``within_s`` for
more; under a backlog it fills up to ``max_batch``.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import faust
import structlog
from faust.streams import _current_event

from shared.codec import Undecodable, decode
from shared.contracts import DeadLetter, Message
from shared.errors import WirewatchError
from shared.metrics import METRICS
from shared.stage import Batched, BatchHandler, Handler
from shared.streaming import Outputs, Pending, article_id_of, dead_letter_from, failure_letter

log = structlog.get_logger(__name__)

Result = Sequence[Message] | Exception


@dataclass(frozen=True)
class Taken:
    """One event of a batch: where it came from and what it decoded to."""

    topic: str
    partition: int | None
    offset: int | None
    key: Any
    value: Any
    event: Any = None  # the faust event, current while its value is handled


async def run_batches(
    service: str,
    outputs: Outputs,
    handle: Handler | Batched,
    stream: faust.StreamT[Any],
    model: type[Message],
    *,
    max_batch: int,
    within_s: float,
) -> None:
    """Consume ``stream`` in batches until cancelled (see the module's docstring)."""
    if isinstance(handle, Batched):
        max_batch, within_s = handle.max_batch, handle.within_s
    # noack_take is on faust's Stream, not on the StreamT protocol agents are typed with
    taking = cast("faust.Stream[Any]", stream).noack_take(max_batch, within=within_s)
    slots = asyncio.Semaphore(IN_FLIGHT)
    settling: set[asyncio.Task[None]] = set()
    try:
        async for events in taking:
            batch = [_taken(event, model) for event in events]
            pending = await handle_batch(service, outputs, handle, batch)
            await slots.acquire()
            task = asyncio.create_task(_settle_then_ack(pending, events, stream, slots))
            settling.add(task)
            task.add_done_callback(settling.discard)
    finally:
        for task in settling:  # a stopped agent leaves these unacknowledged: they are redelivered
            task.cancel()


IN_FLIGHT = 4
"""Batches whose outputs are sent and whose acks are awaited while the next batch is handled.

Waiting for a batch's acks before taking the next one made every hop pay a broker round trip per
batch, and a busy broker's round trip (tens of ms) bounded each stage more than its CPU did. faust
commits an offset only when every record below it is acknowledged, so acknowledging batches out of
order commits nothing early. Outputs keep their order: each batch's sends are issued before the next
batch is handled (only a send that failed and is retried can land after later ones).
"""


async def _settle_then_ack(pending: Pending, events: Sequence[Any], stream: Any, slots: asyncio.Semaphore) -> None:
    try:
        await pending.settle()
        for event in events:
            await stream.ack(event)
    finally:
        slots.release()


def _taken(event: Any, model: type[Message]) -> Taken:
    message = event.message
    value = event.value
    if value is None or isinstance(value, bytes):  # a channel without the codec (agent.test_context())
        value = decode(model, value)
    return Taken(message.topic, message.partition, message.offset, message.key, value, event)


async def handle_batch(service: str, outputs: Outputs, handle: Handler | Batched, batch: Sequence[Taken]) -> Pending:
    """Handle every value of the batch and send every output and dead letter; their acks are the caller's to await."""
    topic = batch[0].topic if batch else ""
    started = time.perf_counter()
    cpu0 = time.thread_time()
    results = await _results(handle, batch)
    # counted together, so that a window's logic CPU per message is not skewed by a long batch
    METRICS.logic_cpu.labels(service=service).inc(time.thread_time() - cpu0)
    METRICS.messages_in.labels(service=service, topic=topic).inc(len(batch))
    per_message_s = (time.perf_counter() - started) / max(1, len(batch))
    latency = METRICS.latency.labels(service=service)
    messages: list[Message] = []
    letters = 0
    for taken, result in zip(batch, results, strict=True):
        if isinstance(result, Exception) or isinstance(taken.value, Undecodable):
            letter = _letter(service, taken, result)
            METRICS.dead_letters.labels(service=service, reason=letter.reason).inc()
            letters += 1
            messages.append(letter)
            continue
        messages.extend(result)
        latency.observe(per_message_s)
    pending = await outputs.start(messages)
    log.info(
        "batch",
        topic=topic,
        messages=len(batch),
        outputs=len(messages) - letters,
        dead_letters=letters,
        first_offset=batch[0].offset if batch else None,
    )
    return pending


async def _results(handle: Handler | Batched, batch: Sequence[Taken]) -> list[Result]:
    """One result per value: its messages, or the exception that becomes its dead letter."""
    values = [t.value for t in batch]
    out: list[Result] = [()] * len(values)
    good = [i for i, v in enumerate(values) if not isinstance(v, Undecodable)]
    if isinstance(handle, Batched):
        for i, result in zip(good, _batched(handle.handle_many, [values[i] for i in good]), strict=True):
            out[i] = result
        return out
    for i in good:
        # A table written by the handler sends its changelog to the partition of the current event.
        token = _current_event.set(weakref.ref(batch[i].event)) if batch[i].event is not None else None
        try:
            got = handle(values[i])
            if isinstance(got, Awaitable):
                got = await got
            out[i] = list(got)
        except Exception as exc:  # noqa: BLE001 - any failure becomes a dead letter, never a crash
            out[i] = exc
        finally:
            if token is not None:
                _current_event.reset(token)
    return out


def _batched(handle_many: BatchHandler, values: Sequence[Any]) -> Sequence[Result]:
    if not values:
        return []
    try:
        results = handle_many(values)
    except Exception as exc:  # noqa: BLE001 - a handler that fails as a whole fails each input alone
        return [exc] * len(values)
    if len(results) != len(values):
        bug = RuntimeError(f"batch handler returned {len(results)} results for {len(values)} inputs")
        return [bug] * len(values)
    return results


def _letter(service: str, taken: Taken, result: Result) -> DeadLetter:
    value = taken.value
    coordinates = {"topic": taken.topic, "partition": taken.partition, "offset": taken.offset, "key": taken.key}
    if isinstance(value, Undecodable):
        letter = dead_letter_from(service, value.reason, value.error, payload=value.raw, **coordinates)
    else:
        assert isinstance(result, Exception)
        article_id = article_id_of(value)
        if not isinstance(result, WirewatchError):
            log.error("handler_failed", article_id=article_id, exc_info=result, **coordinates)
        letter = failure_letter(service, result, payload=value, article_id=article_id, **coordinates)
    log.warning(
        "dead_letter",
        reason=letter.reason,
        error=letter.error[:300],
        article_id=letter.article_id,
        topic=taken.topic,
        partition=taken.partition,
        offset=taken.offset,
    )
    return letter
