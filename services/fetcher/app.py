"""Faust wiring of the fetcher: a timer drives the scheduler; tables keep seen-state and health.

Both tables are written from a timer, not from a stream (see :class:`TimerTable`).
Run one fetcher worker per sources file: every worker polls all configured sources.
"""

from __future__ import annotations

from typing import Any

import faust

from services.fetcher.health import render_health
from services.fetcher.runner import Fetcher
from services.fetcher.settings import FetcherSettings
from shared.contracts import RawArticle
from shared.logging import get_logger
from shared.streaming import Outputs, make_app

log = get_logger(__name__)

SERVICE = "fetcher"


settings = FetcherSettings()
app: faust.App = make_app(SERVICE, settings)
outputs = Outputs(app, [RawArticle])


class TimerTable(faust.Table[str, Any]):
    """A table written from a timer rather than a stream: its changelog goes to partition 0.

    Faust derives a table write's changelog partition from the current stream
    event, and there is none in a timer; the producer's partitioner needs topic
    metadata that may not be cached yet. A fixed partition always works (the
    state is small) and a single fetcher worker restores all of it on start.
    """

    def partition_for_key(self, key: Any) -> int:
        return 0


def _timer_table(name: str, help_text: str) -> TimerTable:
    table = TimerTable(app, name=name, default=None, beacon=app.tables.beacon, help=help_text)
    app.tables.add(table)
    return table


seen_table = _timer_table("fetcher-seen", "published documents: content hash, version, HTTP validators")
health_table = _timer_table("fetcher-health", "per-source health")


async def publish(article: RawArticle) -> None:
    await outputs.send(article)


fetcher = Fetcher(settings, publish, seen_table=seen_table, health_table=health_table, dead_letter=outputs.send)


async def poll_due_sources() -> None:
    """One timer tick: start a poll of every due source (re-reading the sources file first)."""
    await fetcher.tick()


#: The faust timer task (it loops forever); tests call :func:`poll_due_sources` directly.
poll_timer = app.timer(interval=settings.tick_seconds)(poll_due_sources)


@app.page("/fetcher/health")
async def health_page(web: Any, request: Any) -> Any:
    """Per-source health as JSON (read by ``wirewatch sources-health``)."""
    rows = render_health(fetcher.health.all())
    return web.json({"sources": rows, "configured": sorted(fetcher.sources)})


@app.service
class FetcherShutdown(faust.Service):
    """Closes the HTTP client and stops running polls when the worker stops."""

    async def on_stop(self) -> None:
        await fetcher.aclose()
