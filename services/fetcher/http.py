"""A careful HTTP client for feeds and article pages (httpx, async).

Each hop of a redirect chain is checked on its own: scheme, resolved address
(:mod:`services.fetcher.netguard`), robots.txt. Bodies are streamed raw and
decoded here, layer by layer, each layer capped at ``max_body_bytes`` while it
is decompressed (:mod:`shared.bounded`): httpx's own decoder expands a whole
chunk before anyone can count it, which let 2 KB of ``gzip, gzip`` grow to
gigabytes. Transient failures (timeouts, connection errors, 5xx) are retried
with exponential backoff and jitter; 429/503 honour ``Retry-After``. A request
never waits past its poll's deadline. Conditional GET (ETag / Last-Modified)
turns unchanged pages into cheap 304s.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import httpx

from services.fetcher.netguard import (
    CURRENT_POLICY,
    PUBLIC_ONLY,
    AddressPolicy,
    BlockedAddress,
    GuardedBackend,
    Target,
    resolve,
)
from services.fetcher.ratelimit import HostDeferred, HostLimiter
from services.fetcher.robots import RobotsCache
from services.fetcher.settings import FetcherSettings
from shared.bounded import LayeredDecoder
from shared.errors import RejectedInput, WirewatchError

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Only what :class:`shared.bounded.LayeredDecoder` decodes within its budget.
ACCEPT_ENCODING = "gzip, deflate"
ACCEPT = "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,*/*;q=0.5"

StatusHook = Callable[[int], None]


class FetchError(WirewatchError):
    """A URL could not be fetched; ``reason`` says why, ``status`` is the last HTTP status if any."""

    reason = "fetch_failed"

    def __init__(self, message: str, *, reason: str | None = None, status: int | None = None) -> None:
        super().__init__(message, reason=reason)
        self.status = status


class _RetryableError(Exception):
    def __init__(self, error: FetchError, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


@dataclass(frozen=True)
class FetchResult:
    url: str  # final URL, after redirects
    status: int
    body: bytes
    content_type: str | None  # media type only, lower-case
    charset: str | None
    etag: str | None
    last_modified: str | None
    location: str | None = None  # of a redirect

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


def _media_type(header: str | None) -> tuple[str | None, str | None]:
    if not header:
        return None, None
    parts = [p.strip() for p in header.split(";")]
    charset = None
    for param in parts[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value:
            charset = value.strip().strip("\"'")
    return (parts[0].lower() or None), charset


def guarded_transport(settings: FetcherSettings) -> httpx.AsyncHTTPTransport:
    """httpx's transport with a network backend that re-checks every address it connects to."""
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=settings.global_concurrency * 2, max_keepalive_connections=32),
        trust_env=False,
    )
    pool = transport._pool  # httpx 0.28 builds an httpcore pool; its backend is not a public option
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("unsupported httpcore version: cannot install the address guard")
    pool._network_backend = GuardedBackend()
    return transport


@dataclass(frozen=True)
class _Attempt:
    """One hop's request: URL, checked target, validators, status hook and size limit."""

    url: str
    target: Target
    etag: str | None
    last_modified: str | None
    on_status: StatusHook | None
    limit: int
    deadline: float | None = None  # time.monotonic() by which the request must be over


class HttpFetcher:
    """Fetches URLs politely and safely; one instance is shared by every source."""

    def __init__(self, settings: FetcherSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        timeout = httpx.Timeout(
            connect=settings.connect_timeout, read=settings.read_timeout, write=settings.read_timeout, pool=None
        )
        self.client = client or httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, trust_env=False, transport=guarded_transport(settings)
        )
        self.limiter = HostLimiter(settings.global_concurrency, settings.per_host_concurrency, settings.per_host_rate)
        self.robots = RobotsCache(settings.user_agent)
        self.total_timeout = settings.connect_timeout + 2 * settings.read_timeout

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(
        self,
        url: str,
        *,
        policy: AddressPolicy = PUBLIC_ONLY,
        etag: str | None = None,
        last_modified: str | None = None,
        on_status: StatusHook | None = None,
        check_robots: bool = True,
        max_bytes: int | None = None,
        deadline: float | None = None,
    ) -> FetchResult:
        """GET a URL following redirects hop by hop; raises :class:`FetchError` or :class:`RejectedInput`.

        ``deadline`` (``time.monotonic()``) bounds waiting, retrying and reading; a request whose
        host slot is too far away raises :class:`HostDeferred` (try again in a later poll).
        """
        limit = max_bytes or self.settings.max_body_bytes
        CURRENT_POLICY.set(policy)  # read at connect time by the guarded network backend
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            target = await resolve(current, policy=policy)
            if check_robots and self.settings.respect_robots:
                await self._check_robots(current, target, policy, deadline)
            attempt = _Attempt(current, target, etag, last_modified, on_status, limit, deadline)
            result = await self._get_with_retries(attempt)
            if result.status not in REDIRECT_STATUSES:
                return result
            location = result.location
            if not location:
                raise FetchError(
                    f"redirect without Location from {current}", reason="bad_redirect", status=result.status
                )
            current = urljoin(current, location)
        raise FetchError(f"more than {self.settings.max_redirects} redirects from {url}", reason="too_many_redirects")

    async def _check_robots(self, url: str, target: Target, policy: AddressPolicy, deadline: float | None) -> None:
        async def fetch_robots(robots_url: str) -> tuple[int, bytes]:
            try:
                result = await self.get(
                    robots_url, policy=policy, check_robots=False, max_bytes=512_000, deadline=deadline
                )
            except FetchError as exc:
                if exc.status is not None and 400 <= exc.status < 500:
                    return exc.status, b""  # no robots.txt: everything allowed
                raise
            return result.status, result.body

        rules = await self.robots.rules_for(url, fetch_robots)
        self.limiter.set_crawl_delay(target.host, rules.crawl_delay(self.settings.user_agent))
        if not rules.allowed(url, self.settings.user_agent):
            raise FetchError(f"robots.txt disallows {url}", reason="robots_disallowed")

    async def _get_with_retries(self, req: _Attempt) -> FetchResult:
        attempt = 0
        url = req.url
        while True:
            try:
                return await self._get_once(req)
            except _RetryableError as retry:
                if attempt >= self.settings.max_retries:
                    raise retry.error from None
                backoff = min(self.settings.backoff_max, self.settings.backoff_base * (2**attempt))
                wait = backoff * (0.5 + random.random() / 2)  # jitter spreads retries of many workers
                if retry.wait is not None:
                    if retry.wait > self.settings.backoff_max:
                        status = retry.error.status  # 429 or 503: report what the server said
                        raise FetchError(
                            f"{url}: HTTP {status}, asked to retry after {retry.wait:.0f}s",
                            reason="rate_limited",
                            status=status,
                        ) from None
                    wait = max(wait, retry.wait)
                if req.deadline is not None and time.monotonic() + wait > req.deadline:
                    raise retry.error from None  # no time left in this poll for another try
                attempt += 1
                await asyncio.sleep(wait)

    async def _get_once(self, req: _Attempt) -> FetchResult:
        url, target, etag, last_modified = req.url, req.target, req.etag, req.last_modified
        headers = {"User-Agent": self.settings.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        request = self.client.build_request("GET", url, headers=headers)
        async with self.limiter.slot(target.host, max_wait=self.settings.max_crawl_delay, deadline=req.deadline):
            started = time.monotonic()
            budget = self.total_timeout
            if req.deadline is not None:
                budget = max(0.0, min(budget, req.deadline - started))
            try:
                async with asyncio.timeout(budget):
                    response = await self.client.send(request, stream=True)
                    try:
                        return await self._read(url, response, req.on_status, req.limit)
                    finally:
                        await response.aclose()
            except TimeoutError as exc:
                error = FetchError(f"{url}: timed out after {time.monotonic() - started:.1f}s", reason="timeout")
                raise _RetryableError(error) from exc
            except httpx.TimeoutException as exc:
                raise _RetryableError(FetchError(f"{url}: {type(exc).__name__}", reason="timeout")) from exc
            except httpx.TransportError as exc:
                raise _RetryableError(
                    FetchError(f"{url}: {type(exc).__name__}: {exc}", reason="connect_error")
                ) from exc
            except httpx.HTTPError as exc:  # undecodable body, invalid URL: retrying would not help
                raise FetchError(f"{url}: {type(exc).__name__}: {exc}", reason="http_error") from exc

    async def _read(self, url: str, response: httpx.Response, on_status: StatusHook | None, limit: int) -> FetchResult:
        status = response.status_code
        if on_status is not None:
            on_status(status)
        media, charset = _media_type(response.headers.get("content-type"))
        if status in REDIRECT_STATUSES:
            return FetchResult(url, status, b"", media, charset, None, None, response.headers.get("location"))
        if status == 304:
            return FetchResult(
                url, 304, b"", media, charset, response.headers.get("etag"), response.headers.get("last-modified")
            )
        if status in RETRY_STATUSES:
            error = FetchError(f"{url}: HTTP {status}", reason=f"http_{status}", status=status)
            raise _RetryableError(error, parse_retry_after(response.headers.get("retry-after")))
        if not 200 <= status < 300:
            raise FetchError(f"{url}: HTTP {status}", reason=f"http_{status}", status=status)
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchError(f"{url}: body of {declared} bytes exceeds {limit}", reason="too_large", status=status)
        body = await self._body(url, response, limit)
        return FetchResult(
            url,
            status,
            body,
            media,
            charset,
            response.headers.get("etag"),
            response.headers.get("last-modified"),
        )

    async def _body(self, url: str, response: httpx.Response, limit: int) -> bytes:
        """The decoded body, counted on the wire and after every decoding layer as it streams in."""
        status = response.status_code
        try:
            decoder = LayeredDecoder(response.headers.get("content-encoding"), limit, self.settings.max_encoding_layers)
            chunks: list[bytes] = []
            total = 0
            async for raw in response.aiter_raw():
                if response.num_bytes_downloaded > limit:
                    raise FetchError(f"{url}: body exceeds {limit} bytes", reason="too_large", status=status)
                for piece in decoder.feed(raw):
                    total += len(piece)
                    if total > limit:
                        raise FetchError(f"{url}: body exceeds {limit} bytes", reason="too_large", status=status)
                    chunks.append(piece)
            chunks += decoder.finish()
        except RejectedInput as exc:  # too large a layer, too many layers, corrupt or unknown encoding
            raise FetchError(f"{url}: {exc}", reason=exc.reason, status=status) from exc
        if sum(map(len, chunks)) > limit:
            raise FetchError(f"{url}: body exceeds {limit} bytes", reason="too_large", status=status)
        return b"".join(chunks)


__all__ = [
    "BlockedAddress",
    "FetchError",
    "FetchResult",
    "HostDeferred",
    "HttpFetcher",
    "RejectedInput",
    "parse_retry_after",
]
