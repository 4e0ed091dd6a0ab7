"""A steady trickle of real articles onto ``articles.raw`` that survives broker outages.

An article counts as *sent* only once the broker acknowledged it (acks=all);
a send that fails (broker down) is retried with a new copy later and the
failed id is recorded as *unconfirmed*: it may or may not have been written,
so it must not be required downstream, but it must not be duplicated either.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

from shared.contracts import RawArticle, utcnow


class LoadThread:
    """Sends ``rate`` articles per second from ``articles`` to ``topic`` until stopped."""

    def __init__(self, bootstrap: str, topic: str, articles: Iterator[RawArticle], rate: float) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.articles = articles
        self.rate = rate
        self.sent: dict[str, float] = {}  # acknowledged: article id → send time (monotonic)
        self.unconfirmed: dict[str, str] = {}  # article id → error
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> LoadThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():  # never started when the test failed before the load began
            self._thread.join(timeout=90)

    def sent_since(self, t: float) -> set[str]:
        with self.lock:
            return {a for a, at in self.sent.items() if at >= t}

    async def _run(self) -> None:
        from aiokafka import AIOKafkaProducer  # noqa: PLC0415

        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            enable_idempotence=True,  # a retry after a leader change is not a second copy
            request_timeout_ms=10_000,
            max_request_size=10_000_000,
        )
        await producer.start()
        try:
            next_at = time.monotonic()
            while not self._stop.is_set():
                next_at += 1.0 / self.rate
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                article = next(self.articles).model_copy(update={"fetched_at": utcnow()})
                at = time.monotonic()
                try:
                    await producer.send_and_wait(
                        self.topic, key=article.key().encode(), value=article.model_dump_json().encode()
                    )
                except Exception as exc:  # noqa: BLE001 - broker away: note it and go on, as a fetcher would
                    with self.lock:
                        self.unconfirmed[article.article_id] = f"{type(exc).__name__}: {exc}"[:200]
                    next_at = time.monotonic() + 1.0
                    continue
                with self.lock:
                    self.sent[article.article_id] = at
        finally:
            await producer.stop()
