"""services.cleaner.html_extract: site names in titles."""

from __future__ import annotations

import pytest

from services.cleaner import html_extract
from services.cleaner.html_extract import main_span, strip_site_suffix


@pytest.mark.parametrize(
    ("title", "site", "url", "expected"),
    [
        ("Storm closes port | The Daily Example", "Daily Example", None, "Storm closes port"),
        ("Storm closes port - News | Example.com", "Example.com", None, "Storm closes port - News"),
        (
            "Opinion | Is the port safe?",
            "Daily Example",
            "https://www.dailyexample.com/a",
            "Opinion | Is the port safe?",
        ),
        ("Storm closes port – dailyexample", None, "https://www.dailyexample.com/a", "Storm closes port"),
        ("Biden - Putin talks end", "Reuters", None, "Biden - Putin talks end"),
    ],
)
def test_strip_site_suffix(title: str, site: str | None, url: str | None, expected: str) -> None:
    assert strip_site_suffix(title, site, url) == expected


def test_main_span_restores_what_the_precise_pass_dropped_inside_the_article() -> None:
    default = ["Menu", "Lead.", "Embedded post", "Middle.", "End.", "Related headline", "Comments"]
    precise = ["Lead.", "Middle.", "End."]
    assert main_span(precise, default) == ["Lead.", "Embedded post", "Middle.", "End."]


def test_main_span_matches_ignoring_punctuation_and_takes_the_widest_span() -> None:
    default = ["Lead!", "x", "Lead", "y", "End", "z", "End"]
    assert main_span(["Lead", "End"], default) == default


@pytest.mark.parametrize(
    ("precise", "default", "expected"),
    [
        (["Lead", "Only in precise"], ["Lead", "b"], ["Lead", "Only in precise"]),  # cannot align the end
        (["End", "Lead"], ["Lead", "x", "End"], ["End", "Lead"]),  # order reversed: no span
        ([], ["a", "b"], ["a", "b"]),
        (["a"], [], ["a"]),
    ],
)
def test_main_span_keeps_the_precise_text_when_it_cannot_align(
    precise: list[str], default: list[str], expected: list[str]
) -> None:
    assert main_span(precise, default) == expected


class _Doc:
    def __init__(self, text: str) -> None:
        self.text = text
        self.date = self.title = self.author = self.sitename = self.url = self.language = None


def _fake_trafilatura(monkeypatch: pytest.MonkeyPatch, precise: str, default: str) -> list[object]:
    """Stand-in extraction passes; returns the inputs they were given (to check the page is parsed once)."""
    seen: list[object] = []

    def bare_extraction(tree: object, favor_precision: bool = False, **_: object) -> _Doc:
        seen.append(tree)
        return _Doc(precise if favor_precision else default)

    monkeypatch.setattr(html_extract.trafilatura, "bare_extraction", bare_extraction)
    return seen


_PAGE = "<html><body><article><p>Lead.</p></article></body></html>"


def test_extract_html_takes_the_default_paragraphs_inside_the_precise_span(monkeypatch: pytest.MonkeyPatch) -> None:
    lead = "The council approved the budget on Monday after a long debate about roads and schools."
    end = "The vote was seven to two, and the plan takes effect in January next year for every district."
    seen = _fake_trafilatura(monkeypatch, f"{lead}\n{end}", f"Menu\n{lead}\nEmbedded post\n{end}\nRelated")
    result = html_extract.extract_html(_PAGE, "https://example.org/a")
    assert result is not None
    assert result.paragraphs == [lead, "Embedded post", end]
    assert len(seen) == 2 and seen[0] is seen[1] and not isinstance(seen[0], str)  # one parsed tree, shared


def test_extract_html_uses_the_default_text_when_the_precise_pass_lost_half(monkeypatch: pytest.MonkeyPatch) -> None:
    words = " ".join(f"word{i}" for i in range(40))
    _fake_trafilatura(monkeypatch, "word0 word1", f"Intro\n{words}")
    result = html_extract.extract_html(_PAGE, None)
    assert result is not None
    assert result.paragraphs == ["Intro", words]
