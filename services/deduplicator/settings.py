"""Deduplicator settings from the environment (``WIREWATCH_DEDUPLICATOR_*``), on top of the shared base."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field

from services.deduplicator.config import DedupConfig
from services.deduplicator.model import DEFAULT_MODEL, EventModel
from shared.settings import BaseServiceSettings


class DeduplicatorSettings(BaseServiceSettings):
    deduplicator_model: Path = Field(
        default=DEFAULT_MODEL,
        description="the article-to-event model file (`wirewatch train-dedup` writes one); default: the shipped model",
    )
    deduplicator_config: DedupConfig = Field(
        default_factory=DedupConfig,
        description="overrides of the deduplicator's knobs as a JSON object of DedupConfig fields "
        '(services/deduplicator/config.py, docs/dedup.md), e.g. {"retention_days": 14}; unknown fields are refused',
    )
    deduplicator_evict_every_s: float = Field(
        default=60.0, gt=0, description="how often a live worker drops articles and events past their retention"
    )


@lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int) -> EventModel:
    return EventModel.load(path)


def configured_model(settings: DeduplicatorSettings | None = None) -> EventModel:
    """The model named by the settings; a missing or corrupt file raises ``ModelError``.
    Parsed once per file version (the file is read-only at run time)."""
    path = (settings or DeduplicatorSettings()).deduplicator_model
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return EventModel.load(path)  # raises the clear "not found" error
    return _load(path, mtime)
