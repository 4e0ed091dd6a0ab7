"""Tunable limits of the cleaner, kept in one place so the wiring can override them.

The defaults are conservative: 5 MB is far above any real article page (the
largest page of the extraction benchmark is well under 1 MB) yet small enough
that one hostile message cannot stall a worker for long.
"""

from __future__ import annotations

from dataclasses import dataclass


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
