"""Faust wiring shared by every service: the app, the topics, and the stage loop.

The stage loop itself (take a batch, handle, send, await acks, acknowledge) is
:mod:`shared.stageloop`; this module makes the app and the topics, sends
outputs durably, and builds the dead letters every failure is routed to.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import faust
import structlog

from shared.admin import topic_configs
from shared.codec import codec_name, encode, register_codecs
from shared.contracts import DeadLetter, Message
from shared.contracts.deadletter import MAX_PAYLOAD_CHARS
from shared.errors import EXIT_RESTART, WirewatchError, exit_for_restart
from shared.health import install_health
from shared.logging import configure_logging
from shared.metrics import METRICS
from shared.producer import install as install_durable_producer
from shared.seekfence import install as install_seek_fence
from shared.settings import BaseServiceSettings

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
        # A stage sends a whole batch and then awaits the acks. faust's default record batch (16 KB)
        # holds less than one article, and with idempotence a partition has one request in flight,
        # so each article cost a broker round trip; 512 KB (under the broker's 1 MB message limit)
        # lets one request per partition carry the batch.
        "producer_max_batch_size": 512 * 1024,
        "consumer_max_fetch_size": 4 * 1024 * 1024,  # per partition: ~90 articles of 45 KB, not 22
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

    ``forward``: messages of these topics go to another topic under a fixed key
    instead (the deduplicator's route to its single-partition topic).
    """

    def __init__(
        self,
        app: faust.App,
        models: Iterable[type[Message]],
        forward: Mapping[str, tuple[faust.TopicT, str]] | None = None,
    ) -> None:
        wanted: list[type[Message]] = [*models, DeadLetter]
        self.topics = {m.TOPIC: topic_for(app, m) for m in wanted}
        self.forward = dict(forward or {})

    def destination(self, message: Message) -> tuple[faust.TopicT, str]:
        return self.forward.get(message.TOPIC) or (self.topics[message.TOPIC], message.key())

    async def send(self, message: Message) -> None:
        """Send one message and wait for its ack."""
        await self.publish([message])

    async def publish(self, messages: Sequence[Message]) -> None:
        """Send every message at once, then wait until the broker has acknowledged them all."""
        await (await self.start(messages)).settle()

    async def start(self, messages: Sequence[Message]) -> Pending:
        """Send every message now, in order; the acks are awaited by the returned :meth:`Pending.settle`."""
        pending = Pending()
        for message in messages:
            topic, key = self.destination(message)
            await pending.send(topic, key, message)
        return pending


class Pending:
    """Sends started at once; :meth:`settle` returns when the broker has acknowledged every one.

    The producer batches the records of a group into few requests, instead of one
    round trip per message. A send that failed is retried alone by :func:`send_durably`
    (which exits the worker, without committing, if it keeps failing).
    """

    def __init__(self) -> None:
        self.sent: list[tuple[faust.TopicT, str, Message, Any]] = []

    async def send(self, topic: faust.TopicT, key: str, message: Message) -> None:
        try:
            delivery: Any = await topic.send(key=key, value=message, force=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - retried in settle()
            delivery = exc
        self.sent.append((topic, key, message, delivery))

    async def settle(self) -> None:
        futures = [d for *_, d in self.sent if not isinstance(d, Exception)]
        if futures:
            await asyncio.gather(*futures, return_exceptions=True)
        for topic, key, message, delivery in self.sent:
            if isinstance(delivery, Exception) or delivery.cancelled() or delivery.exception() is not None:
                await send_durably(topic, key, message)
            METRICS.messages_out.labels(topic=message.TOPIC).inc()
        self.sent.clear()


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
