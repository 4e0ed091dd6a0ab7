"""Cleaner settings from the environment (``WIREWATCH_CLEANER_*``), on top of the shared base.

:class:`CleanerLimits` are the size and quality thresholds the cleaning logic
takes (its defaults are the settings' defaults). They are conservative: 5 MB
is far above any real article page (the largest page of the extraction
benchmark is well under 1 MB) yet small enough that one hostile message cannot
stall a worker for long.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from shared.settings import BaseServiceSettings


@dataclass(frozen=True)
class CleanerLimits:
    """Size and quality thresholds applied to every input."""

    max_bytes: int = 5_000_000  # raw body size above which input is rejected as too_large
    # Below these, main text is an article only as a short news item: a headline
    # and a line of running text (services.cleaner.verdict). Longer text still
    # needs one line of running text and must not be an error or access notice.
    min_words: int = 15
    min_chars: int = 80
    max_control_ratio: float = 0.02  # share of control characters above which text counts as binary


DEFAULT_LIMITS = CleanerLimits()


class CleanerSettings(BaseServiceSettings):
    cleaner_max_bytes: int = Field(default=DEFAULT_LIMITS.max_bytes, ge=1024, description="reject larger bodies")
    cleaner_min_words: int = Field(
        default=DEFAULT_LIMITS.min_words, ge=1, description="fewer words: short item, needs a headline"
    )
    cleaner_min_chars: int = Field(
        default=DEFAULT_LIMITS.min_chars, ge=1, description="fewer chars: short item, needs a headline"
    )
    cleaner_max_control_ratio: float = Field(
        default=DEFAULT_LIMITS.max_control_ratio, gt=0, le=1, description="share of control characters: binary above"
    )
    cleaner_learner_min_articles: int = Field(default=3, ge=2, description="articles a line must recur in")
    cleaner_learner_max_lines: int = Field(default=5000, ge=10, description="line counters kept per outlet")
    cleaner_learner_max_outlets: int = Field(default=1000, ge=1, description="outlets remembered")

    def limits(self) -> CleanerLimits:
        return CleanerLimits(
            max_bytes=self.cleaner_max_bytes,
            min_words=self.cleaner_min_words,
            min_chars=self.cleaner_min_chars,
            max_control_ratio=self.cleaner_max_control_ratio,
        )
