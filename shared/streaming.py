"""Faust wiring shared by every service: the app, the topics, and the stage loop.

A stage is ``handle(message) -> list[Message]``; :func:`run_stage` loops over a
stream, binds each message's coordinates to the log context, calls the
handler, sends its outputs to their topics, and routes every failure to the
dead-letter topic with the reason and the original payload.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from typing import Any, cast

import faust
import structlog

from shared.admin import topic_configs
from shared.codec import Undecodable, codec_name, decode, encode, register_codecs
from shared.contracts import DeadLetter, Message
from shared.contracts.deadletter import MAX_PAYLOAD_CHARS
from shared.errors import EXIT_RESTART, WirewatchError, exit_for_restart
from shared.health import install_health
from shared.logging import configure_logging
from shared.metrics import METRICS
from shared.producer import install as install_durable_producer
from shared.seekfence import install as install_seek_fence
from shared.settings import BaseServiceSettings
from shared.stage import BatchHandler, Handler

log = structlog.get_logger(__name__)


_topic_prefix = ""


def topic_name(name: str) -> str:
    """The broker-side name of a topic: the configured prefix plus the contract's name."""
    return _topic_prefix + name


def make_app(service: str, settings: BaseServiceSettings, **overrides: Any) -> faust.App:
    """A faust app for one service: its consumer group is ``<prefix>wirewatch-<service>``.

    Every app serves ``/metrics``, ``/healthz`` and ``/readyz`` (see :mod:`shared.health`).
    """
    global _topic_prefix
    _topic_prefix = settings.topic_prefix
    # faust's fetch loop must not skip records after a rebalance seek, nor commit past one in flight
    if settings.consumer_guards:
        install_seek_fence(lambda topic: topic_configs(topic)["cleanup.policy"] == "compact")
    install_durable_producer()  # acks=all and idempotence: a retry after a leader change is no duplicate
    configure_logging(settings.log_level, settings.log_format, service=service)
    register_codecs(settings.max_message_bytes)
    broker_credentials = None
    if settings.kafka_sasl_username and settings.kafka_sasl_password:
        broker_credentials = faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password.get_secret_value(),
        )
    (settings.data_dir / "faust").mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {
        "broker": settings.broker_url,
        "broker_credentials": broker_credentials,
        "store": "memory://",
        "topic_partitions": settings.topic_partitions,
        "topic_replication_factor": settings.topic_replication,
        "consumer_auto_offset_reset": "earliest",
        "broker_session_timeout": settings.kafka_session_timeout_s,
        "broker_heartbeat_interval": max(1.0, settings.kafka_session_timeout_s / 4),
        "producer_acks": -1,
        "producer_max_request_size": settings.max_message_bytes + 100_000,
        "datadir": str(settings.data_dir / "faust" / "{conf.name}"),
        "web_host": settings.web_host,
        "web_port": settings.web_port,
        "web_bind": settings.web_host,
        "autodiscover": False,
        "table_cleanup_interval": 60.0,
        "broker_commit_every": 100,
        "broker_commit_interval": 1.0,
        "stream_wait_empty": True,
        "logging_config": None,
        "loghandlers": [],
    }
    options.update(overrides)
    app = faust.App(f"{settings.topic_prefix}wirewatch-{service}", **options)
    # /metrics, /healthz, /readyz and the consumer-lag gauge on the worker's web port.
    install_health(app, service, stall_after_s=settings.stall_after_s)
    return app


def topic_for(app: faust.App, model: type[Message], name: str | None = None, **kwargs: Any) -> faust.TopicT:
    """The faust topic of a model (or another topic carrying the same schema), with its pydantic codec."""
    return app.topic(
        topic_name(name or model.TOPIC), value_type=None, key_type=str, value_serializer=codec_name(model), **kwargs
    )


def dead_letter_from(
    service: str,
    reason: str,
    error: str,
    *,
    topic: str,
    partition: int | None,
    offset: int | None,
    key: Any,
    payload: bytes | Message | None,
    article_id: str | None = None,
) -> DeadLetter:
    raw = encode(payload) if isinstance(payload, Message) else (payload or b"")
    try:
        text, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(raw).decode("ascii"), "base64"
    truncated = len(text) > MAX_PAYLOAD_CHARS
    return DeadLetter(
        service=service,
        reason=reason,
        error=error[:4000],
        source_topic=topic,
        partition=partition,
        offset=offset,
        source_key=key.decode("utf-8", "replace") if isinstance(key, bytes) else (None if key is None else str(key)),
        article_id=article_id,
        payload=text[:MAX_PAYLOAD_CHARS],
        payload_encoding=encoding,
        payload_truncated=truncated,
    )


def failure_letter(
    service: str,
    exc: Exception,
    *,
    topic: str,
    partition: int | None,
    offset: int | None,
    key: Any,
    payload: bytes | Message | None,
    article_id: str | None = None,
) -> DeadLetter:
    """The dead letter of a handler failure: a ``WirewatchError`` keeps its reason, anything else is a bug."""
    if isinstance(exc, WirewatchError):
        reason, error = exc.reason, str(exc)
    else:
        reason, error = "unexpected_error", f"{type(exc).__name__}: {exc}"
    return dead_letter_from(
        service,
        reason,
        error,
        topic=topic,
        partition=partition,
        offset=offset,
        key=key,
        payload=payload,
        article_id=article_id,
    )


def article_id_of(value: Any) -> str | None:
    for attr in ("article_id",):
        got = getattr(value, attr, None)
        if isinstance(got, str):
            return got
    return None


class Outputs:
    """Sends messages to the topic of their model and waits for the broker's acknowledgement.

    Inside an agent, a plain ``topic.send()`` is an *attachment* in faust: the
    message is published only when the source offset is committed, and the
    commit does not check whether those publishes succeeded, so an output can
    vanish while its input is committed (the fault suite lost articles that
    way around ``kill -9``). Sending at once (``force=True``) and awaiting the
    delivery means the input is acknowledged only after its outputs are on
    the broker: at-least-once, as documented. While the broker is away the
    agent waits (the producer retries) instead of moving on.
    """

    def __init__(self, app: faust.App, models: Iterable[type[Message]]) -> None:
        wanted: list[type[Message]] = [*models, DeadLetter]
        self.topics = {m.TOPIC: topic_for(app, m) for m in wanted}

    async def send(self, message: Message) -> None:
        await send_durably(self.topics[message.TOPIC], message.key(), message)
        METRICS.messages_out.labels(topic=message.TOPIC).inc()


SEND_GIVE_UP_S = 120.0


async def send_durably(topic: faust.TopicT, key: str, value: Message, give_up_s: float = SEND_GIVE_UP_S) -> None:
    """Send now and wait for the broker's ack, retrying with backoff while it fails.

    A failed send must never let its input be committed: if faust saw the
    exception, the agent would crash and the event would be acknowledged,
    which lost a burst of articles while a restarted worker's producer had
    no metadata yet. Transient failures (rebalance, leader change, broker
    restart) are retried; if sending keeps failing for ``give_up_s`` the
    process exits at once, without committing, and the input is redelivered
    to whichever worker takes the partition over.
    """
    delay = 0.25
    deadline = time.monotonic() + give_up_s
    while True:
        try:
            delivery = await topic.send(key=key, value=value, force=True)
            await delivery
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any send failure is retried, then exits
            if time.monotonic() > deadline:
                log.critical("send_failed_exiting", topic=topic.get_topic_name(), error=repr(exc)[:300])
                exit_for_restart(EXIT_SEND_FAILED)
            log.warning("send_failed_retrying", topic=topic.get_topic_name(), error=repr(exc)[:300], retry_in_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


EXIT_SEND_FAILED = EXIT_RESTART


async def process_one(
    service: str,
    outputs: Outputs,
    handler: Handler,
    value: Any,
    *,
    topic: str,
    partition: int | None,
    offset: int | None,
    key: Any,
    compute_s: float = 0.0,
) -> list[Message]:
    """Handle one decoded value: outputs are sent, failures become dead letters.

    ``compute_s``: this value's share of work done before the call (a batched handler's pass),
    added to the latency it is measured with.
    """
    METRICS.messages_in.labels(service=service, topic=topic).inc()
    started = time.perf_counter()
    article_id = article_id_of(value)
    with structlog.contextvars.bound_contextvars(
        topic=topic, partition=partition, offset=offset, article_id=article_id
    ):
        letter: DeadLetter | None = None
        produced: list[Message] = []
        if isinstance(value, Undecodable):
            letter = dead_letter_from(
                service,
                value.reason,
                value.error,
                payload=value.raw,
                key=key,
                topic=topic,
                partition=partition,
                offset=offset,
            )
        else:
            try:
                result = handler(value)
                if isinstance(result, Awaitable):
                    result = await result
                produced = list(result)
            except Exception as exc:  # any failure becomes a dead letter, never a crash
                if not isinstance(exc, WirewatchError):
                    log.exception("handler_failed")
                letter = failure_letter(
                    service,
                    exc,
                    payload=value,
                    key=key,
                    article_id=article_id,
                    topic=topic,
                    partition=partition,
                    offset=offset,
                )
        if letter is not None:
            log.warning("dead_letter", reason=letter.reason, error=letter.error[:300])
            METRICS.dead_letters.labels(service=service, reason=letter.reason).inc()
            await outputs.send(letter)
            return [letter]
        for message in produced:
            await outputs.send(message)
        METRICS.latency.labels(service=service).observe(time.perf_counter() - started + compute_s)
        log.debug("processed", outputs=len(produced))
        return produced


async def run_stage(
    service: str, outputs: Outputs, handler: Handler, stream: AsyncIterator[Any], model: type[Message]
) -> None:
    """The body of a stage agent: loop over events, call, send.

    Values normally arrive decoded by the topic's codec; raw bytes (a channel
    without the codec, as in ``agent.test_context()``) are decoded here.
    """
    async for event in stream:
        message = event.message
        value = _decoded(event, model)
        await process_one(
            service,
            outputs,
            handler,
            value,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key,
        )


def _decoded(event: Any, model: type[Message]) -> Any:
    """The event's value: decoded by the topic's codec, or decoded here when it arrives raw."""
    value = event.value
    return decode(model, value) if value is None or isinstance(value, bytes) else value


async def run_batched_stage(
    service: str,
    outputs: Outputs,
    handler: BatchHandler,
    stream: faust.StreamT[Any],
    model: type[Message],
    *,
    max_batch: int,
    within_s: float,
) -> None:
    """Like :func:`run_stage`, for a handler that is cheaper per message on a batch.

    Up to ``max_batch`` events are taken (waiting at most ``within_s`` for a batch
    to fill) *without* acknowledging them; the handler returns one result per
    value (its messages, or the exception that becomes that value's dead letter);
    each event is acknowledged only after its outputs are on the broker. A worker
    stopped or killed mid-batch leaves the batch unacknowledged: it is redelivered
    (at-least-once), never skipped. ``take_events`` would not do: it acknowledges
    the whole buffer when the agent is cancelled.
    """
    # noack_take is on faust's Stream, not on the StreamT protocol agents are typed with
    async for events in cast("faust.Stream[Any]", stream).noack_take(max_batch, within=within_s):
        values = [_decoded(event, model) for event in events]
        good = [v for v in values if not isinstance(v, Undecodable)]
        started = time.perf_counter()
        results = iter(handler(good) if good else [])
        share_s = (time.perf_counter() - started) / max(1, len(good))
        for event, value in zip(events, values, strict=True):
            result = None if isinstance(value, Undecodable) else next(results)
            message = event.message
            await process_one(
                service,
                outputs,
                _replay(result),
                value,
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
                key=message.key,
                compute_s=share_s,
            )
            await stream.ack(event)


def _replay(result: Sequence[Message] | Exception | None) -> Handler:
    """A handler that hands back a result computed for the whole batch (or raises its exception)."""

    def handler(_value: Any) -> Sequence[Message]:
        if isinstance(result, Exception):
            raise result
        return result or []

    return handler
