"""Cleaner settings from the environment (``WIREWATCH_CLEANER_*``), on top of the shared base."""

from __future__ import annotations

from pydantic import Field

from services.cleaner.limits import DEFAULT_LIMITS, CleanerLimits
from shared.settings import BaseServiceSettings


class CleanerSettings(BaseServiceSettings):
    cleaner_max_bytes: int = Field(default=DEFAULT_LIMITS.max_bytes, ge=1024, description="reject larger bodies")
    cleaner_min_words: int = Field(
        default=DEFAULT_LIMITS.min_words, ge=1, description="fewer words: short item, needs a headline"
    )
    cleaner_min_chars: int = Field(
        default=DEFAULT_LIMITS.min_chars, ge=1, description="fewer chars: short item, needs a headline"
    )
    cleaner_learner_min_articles: int = Field(default=3, ge=2, description="articles a line must recur in")
    cleaner_learner_max_lines: int = Field(default=5000, ge=10, description="line counters kept per outlet")
    cleaner_learner_max_outlets: int = Field(default=1000, ge=1, description="outlets remembered")

    def limits(self) -> CleanerLimits:
        return CleanerLimits(
            max_bytes=self.cleaner_max_bytes, min_words=self.cleaner_min_words, min_chars=self.cleaner_min_chars
        )
