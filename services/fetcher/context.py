"""What a poller gets to work with while polling one source."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from services.fetcher.documents import Candidate
from services.fetcher.health import HealthBook
from services.fetcher.seen import SeenState
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceConfig

if TYPE_CHECKING:
    from services.fetcher.http import HttpFetcher


@dataclass
class PollStats:
    published: int = 0
    unchanged: int = 0
    invalid: int = 0
    item_errors: int = 0
    not_modified: int = 0
    skipped: int = 0  # listed items not fetched (seen recently)
    deferred: int = 0  # listed items left for a later poll (host slot too far away, poll deadline reached)


#: Records one listed item that failed for good (url, reason, error): a dead letter in the worker.
Reject = Callable[[str, str, str], Awaitable[None]]


async def _no_reject(url: str, reason: str, error: str) -> None:
    return None


@dataclass
class PollContext:
    source: SourceConfig
    settings: FetcherSettings
    seen: SeenState
    health: HealthBook
    emit: Callable[[Candidate], Awaitable[bool]]
    http: HttpFetcher | None = None
    stats: PollStats = field(default_factory=PollStats)
    deadline: float | None = None  # time.monotonic() at which a web poll stops fetching pages
    reject: Reject = _no_reject

    def require_http(self) -> HttpFetcher:
        if self.http is None:
            raise RuntimeError("this source needs an HTTP client")
        return self.http
