"""services.cleaner.refine: paragraph clean-up after extraction."""

from __future__ import annotations

from services.cleaner.refine import refine_paragraphs

PROSE = (
    "The city council approved a new budget on Monday after a long debate about road repairs and school funding. "
    "Members said the plan would raise spending on public transport by ten percent over the next two years. "
    "Opposition members argued that the increase was not enough to cover rising maintenance costs."
)


def test_refine_drops_separators_and_repeated_long_paragraphs() -> None:
    refined = refine_paragraphs([PROSE, "___", "Eat every 2 hours", "Eat every 2 hours", PROSE], None, None, None)
    assert refined.paragraphs == [PROSE, "Eat every 2 hours", "Eat every 2 hours"]
