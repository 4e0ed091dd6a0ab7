"""services.cleaner.html_extract: site names in titles."""

from __future__ import annotations

import random

import pytest

from services.cleaner import html_extract
from services.cleaner.html_extract import _edge_lines, _lines, _span, main_span, strip_site_suffix


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


Texts = dict[tuple[bool, bool], str | None]  # (precision mode, fast) -> the pass's text, None: no document


def _fake_trafilatura(monkeypatch: pytest.MonkeyPatch, texts: Texts) -> list[tuple[object, bool, bool]]:
    """Stand-in extraction passes; returns what each call was given (tree, precision mode, fast), in order."""
    seen: list[tuple[object, bool, bool]] = []

    def bare_extraction(tree: object, favor_precision: bool = False, fast: bool = False, **_: object) -> _Doc | None:
        seen.append((tree, favor_precision, fast))
        text = texts[(favor_precision, fast)]
        return None if text is None else _Doc(text)

    monkeypatch.setattr(html_extract.trafilatura, "bare_extraction", bare_extraction)
    return seen


def _same(text: str | None) -> Texts:
    """The fast and the full pass of one mode agree."""
    return {(True, True): text, (True, False): text}


_PAGE = "<html><body><article><p>Lead.</p></article></body></html>"
_LEAD = "The council approved the budget on Monday after a long debate about roads and schools."
_END = "The vote was seven to two, and the plan takes effect in January next year for every district."
_WORDS = " ".join(f"word{i}" for i in range(40))


def test_extract_html_takes_the_default_paragraphs_inside_the_precise_span(monkeypatch: pytest.MonkeyPatch) -> None:
    default = f"Menu\n{_LEAD}\nEmbedded post\n{_END}\nRelated"
    seen = _fake_trafilatura(monkeypatch, {**_same(f"{_LEAD}\n{_END}"), (False, True): default, (False, False): "x"})
    result = html_extract.extract_html(_PAGE, "https://example.org/a")
    assert result is not None
    assert result.paragraphs == [_LEAD, "Embedded post", _END]
    # two fast passes (no readability/jusText comparison) over one parsed tree
    assert [(precise, fast) for _, precise, fast in seen] == [(True, True), (False, True)]
    assert seen[0][0] is seen[1][0] and not isinstance(seen[0][0], str)


def test_extract_html_runs_the_full_passes_when_the_fast_precise_one_lost_half(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the comparison with readability recovers the article in both full passes
    texts: Texts = {
        (True, True): "word0 word1",
        (False, True): f"Intro\n{_WORDS}",
        (True, False): f"{_LEAD}\n{_END}",
        (False, False): f"Menu\n{_LEAD}\nEmbedded post\n{_END}\nRelated",
    }
    seen = _fake_trafilatura(monkeypatch, texts)
    result = html_extract.extract_html(_PAGE, None)
    assert result is not None
    assert result.paragraphs == [_LEAD, "Embedded post", _END]
    calls = [(precise, fast) for _, precise, fast in seen]
    assert calls == [(True, True), (False, True), (True, False), (False, False)]
    assert len({id(tree) for tree, _, _ in seen}) == 1


def test_extract_html_uses_the_default_text_when_the_full_precise_pass_lost_half_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = f"Intro\n{_WORDS}"
    _fake_trafilatura(monkeypatch, {**_same("word0 word1"), (False, True): default, (False, False): default})
    result = html_extract.extract_html(_PAGE, None)
    assert result is not None
    assert result.paragraphs == ["Intro", _WORDS]


def test_extract_html_tries_the_full_precise_pass_when_the_fast_one_finds_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts: Texts = {(True, True): None, (True, False): _LEAD, (False, False): _LEAD, (False, True): "unused"}
    seen = _fake_trafilatura(monkeypatch, texts)
    result = html_extract.extract_html(_PAGE, None)
    assert result is not None and result.paragraphs == [_LEAD]
    assert [(precise, fast) for _, precise, fast in seen] == [(True, True), (True, False), (False, False)]


def test_extract_html_finds_nothing_when_no_precise_pass_does(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _fake_trafilatura(monkeypatch, {**_same(None), (False, True): _LEAD, (False, False): _LEAD})
    assert html_extract.extract_html(_PAGE, None) is None
    assert [(precise, fast) for _, precise, fast in seen] == [(True, True), (True, False)]


_PIECES = [
    "plain words",
    "Tom &amp; Jerry",
    "Caf\u00c3\u00a9",
    "caf\u00e9",
    "\u201cq\u201d",
    "\x1b[31mred",
    "a\x00b",
    "\u2028",
    "\r",
    "\r\n",
    "&lt;",
    "\t",
    "  ",
    "\u0085",
    "\u00e2\u20ac\u2122",  # lost-byte style mojibake
    "\u00c3",
    "e\u0301",
    "\u00a0",
]


def test_edge_lines_equal_the_first_and_last_repaired_line_on_random_mixtures() -> None:
    rng = random.Random(5)
    checked = 0
    for _ in range(3000):
        text = "".join(rng.choice(_PIECES) + rng.choice(["\n", "", " ", "\n\n"]) for _ in range(rng.randint(0, 12)))
        lines = _lines(text)
        edges = _edge_lines(text)
        assert edges == ((lines[0], lines[-1]) if lines else None), repr(text)
        checked += bool(lines)
    assert checked > 2000


def test_edge_lines_give_up_on_markup() -> None:
    # after a line with "<" ftfy no longer unescapes entities, so lines are not repaired on their own
    assert _edge_lines("a <b> c\nTom &amp; Jerry") is None
    assert _lines("a <b> c\nTom &amp; Jerry")[-1] == "Tom &amp; Jerry"


@pytest.mark.parametrize(
    ("precise", "default"),
    [
        ("Caf\u00c3\u00a9 lead\nEnd &amp; more", ["Menu", "Caf\u00e9 lead", "middle", "End & more", "Related"]),
        ("Lead\nOnly in precise", ["Lead", "b"]),  # cannot align the end
        ("End\nLead", ["Lead", "x", "End"]),  # order reversed
        ("a <b> c\nx", ["a <b> c", "y", "x"]),  # markup: every line repaired
        ("", ["a", "b"]),
        ("a", []),
    ],
)
def test_span_equals_main_span_of_every_repaired_line(precise: str, default: list[str]) -> None:
    assert _span(precise, default) == main_span(_lines(precise), default)
