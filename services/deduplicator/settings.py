"""Deduplicator settings from the environment (``WIREWATCH_DEDUPLICATOR_*``), on top of the shared base."""

from __future__ import annotations

from pydantic import Field

from services.deduplicator.config import DedupConfig
from shared.settings import BaseServiceSettings


class DeduplicatorSettings(BaseServiceSettings):
    deduplicator_config: DedupConfig = Field(
        default_factory=DedupConfig,
        description="overrides of the deduplicator's knobs as a JSON object of DedupConfig fields "
        '(services/deduplicator/config.py, docs/dedup.md), e.g. {"retention_days": 14}; unknown fields are refused',
    )
    deduplicator_evict_every_s: float = Field(
        default=60.0, gt=0, description="how often a live worker drops articles and events past their retention"
    )
