"""Server-sent events: tell a browser when the event store changed, so it refetches.

The store has no notification mechanism shared by SQLite and PostgreSQL, so the
stream polls a cheap version token (count, newest update, revision sum) and
sends a ``changed`` event only when it moves, plus a comment line now and then
so proxies keep the connection open. The stream ends after ``duration_s``;
``EventSource`` reconnects by itself, which also re-reads the current state.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

HEARTBEAT_S = 15.0


def sse(event: str, data: dict[str, object], event_id: str | None = None) -> str:
    """One server-sent event frame."""
    lines = [f"id: {event_id}"] if event_id else []
    lines += [f"event: {event}", f"data: {json.dumps(data, separators=(',', ':'))}"]
    return "\n".join(lines) + "\n\n"


async def change_events(
    version: Callable[[], Awaitable[str]],
    disconnected: Callable[[], Awaitable[bool]],
    *,
    interval_s: float,
    duration_s: float,
    heartbeat_s: float = HEARTBEAT_S,
) -> AsyncIterator[str]:
    """Yield ``changed`` frames (the first one at once), heartbeats, until the time is up or the client left."""
    yield "retry: 2000\n\n"
    last: str | None = None
    started = last_sent = time.monotonic()
    while True:
        if await disconnected():
            return
        current = await version()
        now = time.monotonic()
        if current != last:
            last, last_sent = current, now
            yield sse("changed", {"version": current}, event_id=current)
        elif now - last_sent >= heartbeat_s:
            last_sent = now
            yield ": keepalive\n\n"
        if now - started >= duration_s:
            return
        await asyncio.sleep(interval_s)
