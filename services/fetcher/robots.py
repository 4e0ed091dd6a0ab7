"""robots.txt per origin (RFC 9309 semantics), cached, with its crawl-delay.

A missing robots.txt (4xx) allows everything; an unreachable one (5xx or a
network error) disallows everything for a while, as the RFC asks. Parsing is
done by :mod:`urllib.robotparser`.
"""

from __future__ import annotations

import asyncio
import time
import urllib.robotparser
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from services.fetcher.ratelimit import HostDeferred

ROBOTS_TTL = 6 * 3600.0
UNREACHABLE_TTL = 600.0
MAX_ROBOTS_BYTES = 512_000


@dataclass
class RobotsRules:
    parser: urllib.robotparser.RobotFileParser | None  # None: everything allowed
    disallow_all: bool
    expires: float

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.disallow_all:
            return False
        if self.parser is None:
            return True
        return self.parser.can_fetch(user_agent, url)

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


#: Fetches a robots.txt URL: returns (status, body) or raises on network failure.
RobotsFetch = Callable[[str], Awaitable[tuple[int, bytes]]]


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def parse_rules(status: int, body: bytes, now: float) -> RobotsRules:
    """Rules from a robots.txt response."""
    if 200 <= status < 300:
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace").splitlines())
        return RobotsRules(parser, False, now + ROBOTS_TTL)
    if 400 <= status < 500:
        return RobotsRules(None, False, now + ROBOTS_TTL)
    return RobotsRules(None, True, now + UNREACHABLE_TTL)


@dataclass
class RobotsCache:
    user_agent: str
    _rules: dict[str, RobotsRules] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def rules_for(self, url: str, fetch: RobotsFetch) -> RobotsRules:
        """The rules of the URL's origin, fetched once per TTL even when many pages ask at once."""
        origin = origin_of(url)
        async with self._locks.setdefault(origin, asyncio.Lock()):
            now = time.time()
            rules = self._rules.get(origin)
            if rules is not None and rules.expires > now:
                return rules
            try:
                status, body = await fetch(origin + "/robots.txt")
            except HostDeferred:
                raise  # not unreachable, just not now: the page waits for a later poll
            except Exception:  # noqa: BLE001 - unreachable robots.txt: disallow for a while (RFC 9309 2.3.1.4)
                status, body = 503, b""
            rules = parse_rules(status, body, now)
            self._rules[origin] = rules
            return rules
