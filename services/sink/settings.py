"""Sink settings: the event store it writes (``WIREWATCH_DATABASE_URL``, shared with its readers)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import StoreSettings


class SinkSettings(StoreSettings):
    """The store's URL is shared with the API and the CLI; the decoded-article cache is the sink's own."""

    sink_cache_mb: int = Field(
        default=64,
        ge=0,
        description="memory for the articles the sink keeps decoded between rebuilds of their events "
        "(services/sink/facts.py; least recently used dropped first, 0 turns it off)",
    )
