"""The scheduler: polls every configured source at its own interval and publishes new articles.

Kafka-free on purpose: publishing is a callback and the durable state is two
mappings, so the same code runs in the faust worker (tables, topic sends), in
the CLI (dicts, collecting into a list) and in tests. Each source polls in its
own task; a failure or a slow source only delays itself, and a web source's
poll ends at its deadline (``poll_deadline``) whatever its hosts do.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any, Protocol

from services.fetcher.context import PollContext, PollStats
from services.fetcher.documents import Candidate, with_fetch_time
from services.fetcher.health import HealthBook, backoff_delay
from services.fetcher.http import HttpFetcher
from services.fetcher.local import FilePoller, FolderPoller, ReplayPoller
from services.fetcher.ratelimit import HostDeferred
from services.fetcher.seen import SeenState
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceConfig, SourceKind, SourcesLoader, SourcesProvider
from services.fetcher.web import AutoPoller, FeedPoller, SitemapPoller, UrlListPoller
from shared.contracts import DeadLetter, RawArticle
from shared.errors import ConfigError, WirewatchError
from shared.logging import get_logger

log = get_logger(__name__)

PRUNE_EVERY_SECONDS = 3600.0
#: After its deadline a web poll stops fetching pages at once; this much more is left for the
#: last writes before the poll itself is cancelled (a listing still downloading, a stuck send).
DEADLINE_GRACE_SECONDS = 5.0

WEB_KINDS = frozenset({SourceKind.FEED, SourceKind.SITEMAP, SourceKind.URLS, SourceKind.AUTO})

Publish = Callable[[RawArticle], Awaitable[None]]
DeadLetterSink = Callable[[DeadLetter], Awaitable[None]]


class Poller(Protocol):
    async def poll(self, ctx: PollContext) -> None: ...


def make_poller(source: SourceConfig, settings: FetcherSettings) -> Poller:
    """The poller of one source; it keeps the source's in-memory state between polls."""
    if source.kind is SourceKind.FOLDER:
        assert source.path is not None
        if source.path.is_file():
            return FilePoller(source.path, source.id, settings.max_body_bytes)
        return FolderPoller(source.path, source.id, settings.max_body_bytes, source.recursive)
    if source.kind is SourceKind.JSONL:
        assert source.path is not None
        return ReplayPoller(source.path, source.id, source.rate, source.loop)
    if source.kind is SourceKind.FEED:
        return FeedPoller()
    if source.kind is SourceKind.SITEMAP:
        return SitemapPoller()
    if source.kind is SourceKind.URLS:
        return UrlListPoller()
    if source.kind is SourceKind.AUTO:
        return AutoPoller()
    raise ConfigError(f"source {source.id}: unknown kind {source.kind}", reason="unsupported_kind")


def describe_error(exc: BaseException) -> str:
    """A one-line reason for a failed poll (the first error inside a task group's exception group)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    reason = f" [{exc.reason}]" if isinstance(exc, WirewatchError) else ""  # machine-readable, e.g. too_large
    return f"{type(exc).__name__}: {exc}{reason}"


def _log_task_error(task: asyncio.Task[PollStats]) -> None:
    """Poll tasks handle their own failures; anything left (a bug) is logged here, not lost."""
    if not task.cancelled() and task.exception() is not None:
        log.error("poll_task_crashed", task=task.get_name(), error=repr(task.exception()))


class Fetcher:
    """Runs the configured sources; ``tick()`` is called by a timer, ``poll()`` polls one source now."""

    def __init__(
        self,
        settings: FetcherSettings,
        publish: Publish,
        *,
        seen_table: MutableMapping[str, Any],
        health_table: MutableMapping[str, Any] | None = None,
        loader: SourcesProvider | None = None,
        http: HttpFetcher | None = None,
        dead_letter: DeadLetterSink | None = None,
    ) -> None:
        self.settings = settings
        self.publish = publish
        self.dead_letter = dead_letter
        self.seen = SeenState(seen_table)
        self.health = HealthBook(health_table if health_table is not None else {})
        self.loader: SourcesProvider = loader or SourcesLoader(
            settings.sources_file, settings.watch_dir, settings.poll_interval
        )
        self._http = http
        self._owns_http = http is None
        self.sources: dict[str, SourceConfig] = {}
        self.pollers: dict[str, Poller] = {}
        self.next_due: dict[str, float] = {}
        self.tasks: dict[str, asyncio.Task[PollStats]] = {}
        self._last_prune = time.time()
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: dict[str, int] = {}

    # configuration ---------------------------------------------------------

    def reload(self) -> bool:
        """Re-read the sources file if it changed; returns whether the set of sources changed."""
        sources, changed = self.loader.load()
        if changed:
            self.set_sources(sources)
        return changed

    def set_sources(self, sources: list[SourceConfig]) -> None:
        """Apply a new source list: new sources start now, removed ones stop, edited ones restart."""
        wanted = {s.id: s for s in sources if s.enabled}
        for sid in list(self.sources):
            if sid not in wanted or wanted[sid] != self.sources[sid]:
                task = self.tasks.pop(sid, None)
                if task is not None and not task.done():
                    task.cancel()
                self.sources.pop(sid)
                self.pollers.pop(sid, None)
                self.next_due.pop(sid, None)
                log.info("source_removed" if sid not in wanted else "source_changed", source=sid)
        for sid, source in wanted.items():
            if sid not in self.sources:
                self.sources[sid] = source
                self.pollers[sid] = make_poller(source, self.settings)
                self.next_due[sid] = 0.0
                log.info("source_added", source=sid, kind=str(source.kind))

    # HTTP ------------------------------------------------------------------

    def http(self) -> HttpFetcher:
        """The shared HTTP client, created on first use (local-only setups never open one)."""
        if self._http is None:
            self._http = HttpFetcher(self.settings)
        return self._http

    async def aclose(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        for task in self.tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
        if self._http is not None and self._owns_http:
            await self._http.aclose()
            self._http = None

    # scheduling ------------------------------------------------------------

    async def tick(self, now: float | None = None) -> list[str]:
        """Reload the sources file and start a poll task for every due source; returns their ids."""
        self.reload()
        current = time.time() if now is None else now
        if current - self._last_prune >= PRUNE_EVERY_SECONDS:
            self._last_prune = current
            removed = self.seen.prune(current - self.settings.seen_retention_days * 86400)
            if removed:
                log.info("seen_state_pruned", removed=removed)
        started: list[str] = []
        for sid in list(self.sources):
            running = self.tasks.get(sid)
            if running is not None and not running.done():
                continue
            if self.next_due.get(sid, 0.0) > current:
                continue
            task = asyncio.create_task(self.poll(sid), name=f"poll:{sid}")
            task.add_done_callback(_log_task_error)
            self.tasks[sid] = task
            started.append(sid)
        return started

    async def wait_idle(self) -> None:
        """Wait for every running poll (tests and one-shot runs)."""
        pending = [t for t in self.tasks.values() if not t.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def run_once(self) -> None:
        """Poll every configured source once, now, and wait for all of them."""
        self.reload()
        for sid in self.sources:
            self.next_due[sid] = 0.0
        await self.tick()
        await self.wait_idle()

    async def poll(self, source_id: str) -> PollStats:
        """Poll one source; never raises (failures go to health and back the source off)."""
        source = self.sources[source_id]
        poller = self.pollers[source_id]
        ctx = PollContext(
            source=source,
            settings=self.settings,
            seen=self.seen,
            health=self.health,
            emit=lambda cand: self.emit(ctx, cand),
            reject=lambda url, reason, error: self.reject(source_id, url, reason, error),
        )
        timeout = None
        if source.kind in WEB_KINDS:
            ctx.http = self.http()
            ctx.deadline = time.monotonic() + self.settings.poll_deadline
            timeout = self.settings.poll_deadline + DEADLINE_GRACE_SECONDS
        interval = source.poll_interval(self.settings.default_interval)
        try:
            async with asyncio.timeout(timeout):
                await poller.poll(ctx)
        except asyncio.CancelledError:
            raise
        except HostDeferred as exc:  # the listing's host asked for a long Crawl-delay: not a failure
            ctx.stats.deferred += 1
            self.next_due[source_id] = time.time() + interval
            log.info("source_deferred", source=source_id, error=str(exc))
            return ctx.stats
        except Exception as exc:  # noqa: BLE001 - a failing source is reported and backed off, never fatal
            failures = self.health.get(source_id).consecutive_failures + 1
            delay = backoff_delay(interval, failures, self.settings.failure_backoff_max)
            self.next_due[source_id] = time.time() + delay
            error = describe_error(exc)
            if isinstance(exc, TimeoutError) and timeout is not None:
                error = f"poll deadline of {self.settings.poll_deadline:.0f}s exceeded"
            try:
                self.health.failure(source_id, error, published=ctx.stats.published, next_poll=self.next_due[source_id])
            except Exception:  # the health table itself failing must not kill the scheduler (logged)
                log.exception("health_write_failed", source=source_id, error=error)
            return ctx.stats
        self.next_due[source_id] = time.time() + interval
        self.health.success(
            source_id,
            published=ctx.stats.published,
            invalid=ctx.stats.invalid,
            item_errors=ctx.stats.item_errors,
            next_poll=self.next_due[source_id],
        )
        if ctx.stats.published or ctx.stats.invalid or ctx.stats.item_errors or ctx.stats.deferred:
            log.info(
                "source_polled",
                source=source_id,
                published=ctx.stats.published,
                unchanged=ctx.stats.unchanged,
                invalid=ctx.stats.invalid,
                item_errors=ctx.stats.item_errors,
                not_modified=ctx.stats.not_modified,
                deferred=ctx.stats.deferred,
            )
        return ctx.stats

    async def reject(self, source_id: str, url: str, reason: str, error: str) -> None:
        """A listed item that failed for good: a dead letter (the URL is its payload), when a sink is wired."""
        if self.dead_letter is None:
            return
        letter = DeadLetter(
            service="fetcher",
            reason=reason,
            error=error[:4000],
            source_topic=f"source:{source_id}",
            source_key=url,
            payload=url,
        )
        await self.dead_letter(letter)  # a failed send propagates like a failed publish: the poll is retried

    async def emit(self, ctx: PollContext, cand: Candidate) -> bool:
        """Publish a candidate if the seen-state says it is new or changed; returns whether it was.

        Decide, send and commit run under locks on the candidate's keys: two
        polls that reach the same page at once (a URL listed by two feeds)
        cannot both see it as new while the first send is in flight.
        """
        async with contextlib.AsyncExitStack() as stack:
            for key in sorted(set(cand.keys)):  # one global order: no deadlock between candidates
                await stack.enter_async_context(self._key_lock(key))
            return await self._emit_locked(ctx, cand)

    @contextlib.asynccontextmanager
    async def _key_lock(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._lock_users[key] = self._lock_users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._lock_users[key] -= 1
            if not self._lock_users[key]:
                del self._lock_users[key], self._locks[key]

    async def _emit_locked(self, ctx: PollContext, cand: Candidate) -> bool:
        decision = self.seen.decide(cand.keys, cand.digest, cand.article.article_id)
        if not decision.publish:
            ctx.stats.unchanged += 1
            if cand.keys[0].startswith("u:"):  # web pages: remember this check and the new validators
                self.seen.commit(
                    cand.keys,
                    decision,
                    cand.digest,
                    etag=cand.etag,
                    last_modified=cand.last_modified,
                    marker=cand.marker,
                )
            return False
        article = with_fetch_time(cand, decision.version, decision.article_id)
        await self.publish(article)  # commit only after the send succeeded: a failed send is retried next poll
        self.seen.commit(
            cand.keys, decision, cand.digest, etag=cand.etag, last_modified=cand.last_modified, marker=cand.marker
        )
        ctx.stats.published += 1
        log.debug("published", article_id=article.article_id, version=article.version, reason=decision.reason)
        return True
