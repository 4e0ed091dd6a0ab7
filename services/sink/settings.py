"""Sink settings: the event store it writes (``WIREWATCH_DATABASE_URL``, shared with its readers)."""

from __future__ import annotations

from shared.settings import StoreSettings


class SinkSettings(StoreSettings):
    """The sink has no settings of its own yet; the store's URL is shared with the API and the CLI."""
