"""Politeness: a global concurrency limit and, per host, a concurrency limit and a request interval.

The interval between two requests to one host is ``1 / per_host_rate`` or the
host's robots.txt ``Crawl-delay``, whichever is longer. The slot is reserved
before sleeping, so concurrent callers queue up instead of all waking at once.
A caller never waits longer than its ``max_wait`` (nor past its poll's
deadline): a host asking for ``Crawl-delay: 3600`` gets its page an hour apart,
and the requests that would wait in between are deferred to later polls
(:class:`HostDeferred`) instead of holding the poll for hours.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from shared.errors import WirewatchError


class HostDeferred(WirewatchError):
    """The host's next request slot is further away than the caller may wait: try again in a later poll."""

    reason = "host_deferred"


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    next_slot: float = 0.0
    delay: float = 0.0


@dataclass
class HostLimiter:
    global_limit: int
    per_host_limit: int
    per_host_rate: float
    _global: asyncio.Semaphore | None = None
    _hosts: dict[str, _Host] = field(default_factory=dict)

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = _Host(asyncio.Semaphore(self.per_host_limit), delay=1.0 / self.per_host_rate)
            self._hosts[host] = state
        return state

    def set_crawl_delay(self, host: str, seconds: float | None) -> None:
        """Honour a robots.txt crawl-delay (never faster than the configured rate)."""
        state = self._host(host)
        state.delay = max(1.0 / self.per_host_rate, float(seconds or 0.0))

    @contextlib.asynccontextmanager
    async def slot(
        self, host: str, *, max_wait: float | None = None, deadline: float | None = None
    ) -> AsyncIterator[None]:
        """Hold one request slot for ``host``: waits for concurrency and the request interval.

        Raises :class:`HostDeferred`, without taking the slot, when the request
        would have to wait more than ``max_wait`` seconds or start after
        ``deadline`` (``time.monotonic()`` clock).
        """
        if self._global is None:
            self._global = asyncio.Semaphore(self.global_limit)
        state = self._host(host)
        async with state.semaphore:
            now = time.monotonic()
            start = max(now, state.next_slot)
            if (max_wait is not None and start - now > max_wait) or (deadline is not None and start > deadline):
                raise HostDeferred(f"{host}: next request slot in {start - now:.0f}s", reason="host_deferred")
            state.next_slot = start + state.delay
            if start > now:
                await asyncio.sleep(start - now)
            async with self._global:
                yield
