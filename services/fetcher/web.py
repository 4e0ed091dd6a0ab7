"""Pollers for web sources: feeds, sitemaps and URL lists, and fetching the article pages they list.

A listing is fetched with conditional GET; each listed article whose URL is
new, whose listing marker changed, or whose last check is older than
``recheck_seconds`` is fetched (again with conditional GET) and handed to the
seen-state. Failures of one article are counted and logged, never fatal to the
poll or to the other articles; failures of the listing itself fail the poll
(and back the source off). Pages whose host cannot take another request soon
enough (Crawl-delay) or that are still waiting when the poll's deadline comes
are *deferred*: not marked seen, so a later poll fetches them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from services.fetcher.canonical import canonicalize_url, page_canonical, site_of
from services.fetcher.context import PollContext
from services.fetcher.documents import Candidate, ContentType, make_candidate, normalise_charset, url_article_id
from services.fetcher.http import FetchError, FetchResult, HostDeferred, StatusHook
from services.fetcher.listings import ListedItem, is_sitemap, maybe_gunzip, newest, parse_feed, parse_sitemap
from services.fetcher.netguard import AddressPolicy
from shared.errors import RejectedInput
from shared.logging import get_logger

log = get_logger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml"}
)
#: Article pages fetched at once within one poll (the per-host limiter still applies).
PAGE_CONCURRENCY = 8
#: Child sitemaps of an index read per poll, most recently modified first.
MAX_CHILD_SITEMAPS = 10


def policy_of(ctx: PollContext) -> AddressPolicy:
    return AddressPolicy(ctx.source.allow_private, ctx.source.allow_networks)


def _status_hook(ctx: PollContext) -> StatusHook:
    def hook(status: int) -> None:
        ctx.health.record_http(ctx.source.id, status)

    return hook


async def fetch_listing(ctx: PollContext, url: str, validators: dict[str, str | None]) -> FetchResult:
    """GET a feed or sitemap with the validators of its previous response (updated in place)."""
    result = await ctx.require_http().get(
        url,
        policy=policy_of(ctx),
        etag=validators.get("etag"),
        last_modified=validators.get("last_modified"),
        on_status=_status_hook(ctx),
        deadline=ctx.deadline,
    )
    if not result.not_modified:
        validators["etag"], validators["last_modified"] = result.etag, result.last_modified
    return result


def _content_type(media: str | None, body: bytes) -> ContentType | None:
    if media in HTML_TYPES:
        return "text/html"
    if media in TEXT_TYPES:
        return "text/plain"
    if media is None and b"<html" in body[:4096].lower():
        return "text/html"
    return None


def page_candidate(ctx: PollContext, item: ListedItem, result: FetchResult, request_key: str) -> Candidate | None:
    """A fetched page as a candidate (canonical URL from the page when trustworthy); ``None`` when unusable."""
    content_type = _content_type(result.content_type, result.body)
    if content_type is None:
        ctx.stats.invalid += 1
        ctx.health.record_invalid(ctx.source.id, "unsupported_content_type")
        log.info("page_skipped", url=result.url, reason="unsupported_content_type", content_type=result.content_type)
        return None
    if content_type == "text/html":
        # A charset Python does not know (``x-no-such-charset``) must not fail the page: read the
        # canonical link as UTF-8; the body travels untouched and the cleaner picks the charset.
        charset = normalise_charset(result.charset) or "utf-8"
        text = result.body[:300_000].decode(charset, "replace") if result.body else ""
        canonical = page_canonical(text, result.url)
    else:
        canonical = canonicalize_url(result.url)
    keys = tuple(dict.fromkeys(("u:" + canonical, request_key, "u:" + canonicalize_url(result.url))))
    try:
        candidate = make_candidate(
            keys=keys,
            article_id=url_article_id(canonical),
            source_id=ctx.source.id,
            raw=result.body,
            content_type=content_type,
            charset=result.charset,
            url=result.url,  # where the page was found, after redirects
            canonical_url=canonical,
            outlet=ctx.source.outlet or site_of(canonical),
            feed=item.meta,
            etag=result.etag,
            last_modified=result.last_modified,
            marker=item.marker,
        )
    except RejectedInput as exc:
        ctx.stats.invalid += 1
        ctx.health.record_invalid(ctx.source.id, exc.reason)
        log.info("page_skipped", url=result.url, reason=exc.reason)
        return None
    return candidate


async def publish_page(ctx: PollContext, item: ListedItem, result: FetchResult, request_key: str) -> None:
    """Emit a fetched page, unless it is unusable (counted as invalid)."""
    candidate = page_candidate(ctx, item, result, request_key)
    if candidate is not None:
        await ctx.emit(candidate)


def inline_candidate(ctx: PollContext, item: ListedItem) -> Candidate | None:
    """An entry's own content as a candidate (sources with ``fetch_pages = false``)."""
    if not item.inline_html:
        ctx.stats.invalid += 1
        return None
    canonical = canonicalize_url(item.url)
    return make_candidate(
        keys=("u:" + canonical,),
        article_id=url_article_id(canonical),
        source_id=ctx.source.id,
        raw=item.inline_html.encode("utf-8"),
        content_type="text/html",
        charset="utf-8",
        url=item.url,
        canonical_url=canonical,
        outlet=ctx.source.outlet or site_of(canonical),
        feed=item.meta,
        marker=item.marker,
    )


async def _item_candidate(ctx: PollContext, item: ListedItem) -> Candidate | None:
    """The candidate of one listed article, ``None`` when there is nothing to publish; may raise."""
    request_key = "u:" + canonicalize_url(item.url)
    if not ctx.seen.needs_check(request_key, marker=item.marker, recheck_seconds=ctx.settings.recheck_seconds):
        ctx.stats.skipped += 1
        return None
    if not ctx.source.fetch_pages:
        return inline_candidate(ctx, item)
    record = ctx.seen.get(request_key)
    result = await ctx.require_http().get(
        item.url,
        policy=policy_of(ctx),
        etag=record.etag if record else None,
        last_modified=record.last_modified if record else None,
        on_status=_status_hook(ctx),
        deadline=ctx.deadline,
    )
    if result.not_modified:
        ctx.stats.not_modified += 1
        ctx.seen.touch(request_key, marker=item.marker)
        return None
    return page_candidate(ctx, item, result, request_key)


async def fetch_item(ctx: PollContext, item: ListedItem) -> None:
    """Fetch one listed article if it is new, changed or due for a re-check, and emit it.

    Never raises for bad input: whatever goes wrong with this one page is
    counted (``item_errors``, or ``deferred``) and logged with its reason, so
    it cannot cancel the pages fetched beside it or fail the source's poll.
    Only a failing publish propagates (the poll is then retried).
    """
    try:
        candidate = await _item_candidate(ctx, item)
    except HostDeferred as exc:
        ctx.stats.deferred += 1
        log.info("article_deferred", source=ctx.source.id, url=item.url, reason=exc.reason, error=str(exc))
        return
    except (FetchError, RejectedInput) as exc:
        ctx.stats.item_errors += 1
        log.warning("article_fetch_failed", source=ctx.source.id, url=item.url, reason=exc.reason, error=str(exc))
        await ctx.reject(item.url, exc.reason, str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - a bug on one hostile page is counted and logged, not fatal to the poll
        ctx.stats.item_errors += 1
        ctx.health.record_invalid(ctx.source.id, "unexpected_error")
        log.error("article_failed", source=ctx.source.id, url=item.url, reason="unexpected_error", error=repr(exc))
        await ctx.reject(item.url, "unexpected_error", repr(exc))
        return
    if candidate is not None:
        await ctx.emit(candidate)


def _time_left(ctx: PollContext) -> float | None:
    return None if ctx.deadline is None else max(0.0, ctx.deadline - time.monotonic())


async def fetch_items(ctx: PollContext, items: list[ListedItem]) -> None:
    """Fetch listed articles a few at a time, newest first, up to the per-poll limit and the poll's deadline."""
    limit = ctx.source.max_items or ctx.settings.max_items_per_poll
    gate = asyncio.Semaphore(PAGE_CONCURRENCY)
    unique: dict[str, ListedItem] = {}
    for item in newest(items, limit):  # tracking-parameter variants of one URL are fetched once
        unique.setdefault(canonicalize_url(item.url), item)
    pending = set(unique)

    async def one(key: str, item: ListedItem) -> None:
        async with gate:
            await fetch_item(ctx, item)
        pending.discard(key)

    try:
        async with asyncio.timeout(_time_left(ctx)), asyncio.TaskGroup() as group:
            for key, item in unique.items():
                group.create_task(one(key, item))
    except TimeoutError:
        ctx.stats.deferred += len(pending)  # not marked seen: the next poll fetches them
        log.warning("poll_deadline_reached", source=ctx.source.id, deferred=len(pending))


@dataclass
class FeedPoller:
    """An RSS or Atom feed."""

    validators: dict[str, str | None] | None = None

    async def poll(self, ctx: PollContext) -> None:
        assert ctx.source.url is not None
        validators = dict(self.validators or {})
        result = await fetch_listing(ctx, ctx.source.url, validators)
        if result.not_modified:
            return
        await fetch_items(ctx, parse_feed(result.body, result.url))
        if not ctx.stats.deferred:  # else the next poll must see the listing again, not a 304
            self.validators = validators


@dataclass
class SitemapPoller:
    """A sitemap, news sitemap or sitemap index (children read most recent first)."""

    validators: dict[str, dict[str, str | None]] | None = None

    async def poll(self, ctx: PollContext) -> None:
        assert ctx.source.url is not None
        self.validators = self.validators or {}
        await self._read(ctx, ctx.source.url, depth=0)

    async def _read(self, ctx: PollContext, url: str, depth: int) -> None:
        known = self.validators if self.validators is not None else {}
        validators = dict(known.get(url, {}))
        deferred = ctx.stats.deferred
        result = await fetch_listing(ctx, url, validators)
        if result.not_modified:
            return
        sitemap = parse_sitemap(maybe_gunzip(result.body, ctx.settings.max_body_bytes), result.url)
        if sitemap.items:
            await fetch_items(ctx, sitemap.items)
        if depth == 0 and sitemap.children:
            await self.read_children(ctx, sitemap.children)
        if ctx.stats.deferred == deferred:  # else the next poll must see this listing again, not a 304
            known[url] = validators
            self.validators = known

    async def read_children(self, ctx: PollContext, children: list[tuple[str, float]]) -> None:
        """The most recently modified child sitemaps of an index; one failing child does not fail the rest."""
        for child_url, _ in sorted(children, key=lambda child: child[1], reverse=True)[:MAX_CHILD_SITEMAPS]:
            try:
                await self._read(ctx, child_url, depth=1)
            except HostDeferred:
                ctx.stats.deferred += 1
            except (FetchError, RejectedInput) as exc:
                ctx.stats.item_errors += 1
                log.warning("child_sitemap_failed", source=ctx.source.id, url=child_url, error=str(exc))


def read_url_list(path: Path) -> list[str]:
    """URLs of a text file, one per line; blank lines and ``#`` comments ignored."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@dataclass
class UrlListPoller:
    """A plain list of article URLs (inline in the sources file, or a text file)."""

    async def poll(self, ctx: PollContext) -> None:
        urls = list(ctx.source.urls)
        if ctx.source.path is not None:
            urls += read_url_list(ctx.source.path)
        await fetch_items(ctx, [ListedItem(url=u) for u in dict.fromkeys(urls)])


@dataclass
class AutoPoller:
    """A URL of unknown kind (CLI): a feed, a sitemap, or an article page, judged by its content."""

    async def poll(self, ctx: PollContext) -> None:
        assert ctx.source.url is not None
        result = await fetch_listing(ctx, ctx.source.url, {})
        body = maybe_gunzip(result.body, ctx.settings.max_body_bytes)
        if is_sitemap(body):
            sitemap = parse_sitemap(body, result.url)
            await fetch_items(ctx, sitemap.items)
            await SitemapPoller(validators={}).read_children(ctx, sitemap.children)
            return
        if result.content_type in FEED_TYPES or body.lstrip()[:200].lower().startswith((b"<?xml", b"<rss", b"<feed")):
            try:
                items = parse_feed(body, result.url)
            except RejectedInput:
                items = []
            if items:
                await fetch_items(ctx, items)
                return
        item = ListedItem(url=ctx.source.url)
        await publish_page(ctx, item, result, "u:" + canonicalize_url(ctx.source.url))
