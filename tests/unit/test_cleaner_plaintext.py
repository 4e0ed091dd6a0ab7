"""services.cleaner.plaintext: structure of scraped plain text (titles, stamps, wrapped lines)."""

from __future__ import annotations

import pytest

from services.cleaner.plaintext import clean_plain, is_bare_stamp

PROSE = (
    "The city council approved a new budget on Monday after a long debate about road repairs and school funding. "
    "Members said the plan would raise spending on public transport by ten percent over the next two years. "
    "Opposition members argued that the increase was not enough to cover rising maintenance costs."
)


def test_plain_structural_rules() -> None:
    text = "\n".join(
        [
            "Council passes budget after long debate",
            "Share",
            "Budget",
            "Photo: Reuters",
            PROSE,
            "Related Stories",
            "- Mayor opens new library in the east",
            "- Rail strike called off at last minute",
        ]
    )
    result = clean_plain(text)
    assert result.title == "Council passes budget after long debate"
    assert result.paragraphs == [PROSE]
    assert result.removed_lines == 7  # the title line counts as removed from the body


@pytest.mark.parametrize("stamp", ["9/10/2010 @ 1:19PM", "THURSDAY, JUNE 30, 2005", "Posted 04/02/07, 9:00 PM"])
def test_plain_bare_date_line_is_not_the_title(stamp: str) -> None:
    """Scraped text often has a date line above the headline (ECB+: "9/10/2010 @ 1: 19PM" was an
    event's title): the headline below it is the title, and the date line stays in the text."""
    text = "\n".join(
        ["http://news.example.com/2010/09/10/story.html", stamp, "Council passes budget after long debate", PROSE]
    )
    result = clean_plain(text)
    assert result.title == "Council passes budget after long debate"
    assert result.paragraphs == [stamp, PROSE]


@pytest.mark.parametrize("line", ["Apollo 11 crew returns", "7.5 quake hits Iran", "Joe Louis 26-1", "G20 summit"])
def test_plain_headline_with_numbers_is_not_a_stamp(line: str) -> None:
    assert not is_bare_stamp(line)


def test_plain_hard_wrapped_lines_are_joined() -> None:
    text = "The council approved the budget\nafter a long debate on Monday.\n\nSecond paragraph here."
    assert clean_plain(text).paragraphs[0] == "The council approved the budget after a long debate on Monday."
