"""services.cleaner.refine: paragraph clean-up after extraction."""

from __future__ import annotations

from services.cleaner.refine import refine_paragraphs

PROSE = (
    "The city council approved a new budget on Monday after a long debate about road repairs and school funding. "
    "Members said the plan would raise spending on public transport by ten percent over the next two years. "
    "Opposition members argued that the increase was not enough to cover rising maintenance costs."
)


def test_refine_drops_decoration_but_keeps_what_unseen_sites_count_as_text() -> None:
    # Separator lines with word characters, repeated paragraphs (a meal plan's two menus),
    # embedded-post attributions and photo credits are article text on held-out sites.
    embed = "— The Nigerian Senate (@NGRSenate) October 9, 2018"
    credit = "Cover image: artist's impression of the lighting installation at the festival"
    paragraphs = [PROSE, "* * *", "___", "Eat every 2 hours", "Eat every 2 hours", PROSE, embed, credit, "• • •"]
    refined = refine_paragraphs(paragraphs, None, None, None)
    assert refined.paragraphs == [PROSE, "___", "Eat every 2 hours", "Eat every 2 hours", PROSE, embed, credit]
    assert refined.removed == 2
