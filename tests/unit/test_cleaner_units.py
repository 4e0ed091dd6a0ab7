"""Unit tests of the cleaner's parts: decoding, lost-byte repair, stamps, HTML path, rejections."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.cleaner.dates import url_date
from services.cleaner.decoding import decode_bytes, looks_binary, normalise_line, repair_text
from services.cleaner.html_extract import strip_site_suffix
from services.cleaner.learner import BoilerplateLearner
from services.cleaner.logic import clean, content_hash
from services.cleaner.lostbytes import repair_lost_bytes
from services.cleaner.patterns import byline_names
from services.cleaner.plaintext import clean_plain, is_bare_stamp
from services.cleaner.refine import refine_paragraphs
from services.cleaner.settings import CleanerLimits, CleanerSettings
from services.cleaner.stamps import parse_stamp, stamp_kind
from shared.contracts.articles import BodyEncoding, DateSource, FeedMetadata, RawArticle
from shared.errors import RejectedInput

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cleaner"
PROSE = (
    "The city council approved a new budget on Monday after a long debate about road repairs and school funding. "
    "Members said the plan would raise spending on public transport by ten percent over the next two years. "
    "Opposition members argued that the increase was not enough to cover rising maintenance costs."
)


def _raw(body: str, **kw: object) -> RawArticle:
    return RawArticle(article_id="t1", body=body, **kw)


# --- lost bytes and mojibake -------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("\u2757\ufe0f", "\u2757\ufe0f"),  # red exclamation + VS16: loses 0x9D and 0x8F
        ("\U0001f3c6", None),  # trophy: F0 9F 8F 86 loses 0x8F (ambiguous with other emoji, must not stay mojibake)
        ("\u201d", "\u201d"),  # right double quote: E2 80 9D loses 0x9D
    ],
)
def test_lost_byte_sequences_are_repaired(original: str, expected: str | None) -> None:
    broken = original.encode("utf-8").decode("cp1252", errors="ignore")
    assert broken != original
    fixed = repair_lost_bytes(f"He said {broken} today")
    if expected is not None:
        assert fixed == f"He said {expected} today"
    else:
        assert broken not in fixed
        assert all(ord(ch) < 0x80 or ord(ch) >= 0x1F000 for ch in fixed)


@pytest.mark.parametrize("text", ["café — très bien", "naïve Â½", "Ça va? Élan", "Zürich: 5 °C"])
def test_legitimate_latin1_text_is_untouched(text: str) -> None:
    assert repair_lost_bytes(text) == text


def test_repair_text_fixes_full_mojibake_and_nfc() -> None:
    assert repair_text("CafÃ© au lait") == "Café au lait"
    assert repair_text("Cafe\u0301") == "Café"


def test_normalise_line_quotes_and_spaces() -> None:
    assert normalise_line("  \u201cHi\u201d\u00a0 it\u2019s\tme  ") == '"Hi" it\'s me'


# --- decoding --------------------------------------------------------------------------


def test_decode_prefers_valid_utf8_over_wrong_declaration() -> None:
    assert decode_bytes("Zürich".encode(), "iso-8859-1", is_html=False) == "Zürich"


def test_decode_uses_declared_charset() -> None:
    data = "Zürich — Genève".encode("cp1252")
    assert decode_bytes(data, "windows-1252", is_html=False) == "Zürich — Genève"


def test_decode_uses_meta_charset_for_html() -> None:
    data = '<html><head><meta charset="iso-8859-2"></head><body>Łódź</body></html>'.encode("iso-8859-2")
    assert "Łódź" in decode_bytes(data, None, is_html=True)


def test_looks_binary() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert looks_binary(bytes(range(256)) * 4)
    assert not looks_binary(PROSE.encode())


# --- stamps ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "utc", "tz", "known"),
    [
        ("Published 08:16 IST, February 12th 2022", datetime(2022, 2, 12, 2, 46, tzinfo=UTC), "IST", True),
        ("12 Feb 2022, 02:46 pm", datetime(2022, 2, 12, 14, 46, tzinfo=UTC), None, False),
        ("Posted: March 3, 2021 at 4:05 p.m. ET", datetime(2021, 3, 3, 21, 5, tzinfo=UTC), "ET", True),
        ("2019-11-19T08:57:40+01:00", datetime(2019, 11, 19, 7, 57, tzinfo=UTC), "+01:00", True),
        ("Updated 5 May 2020 10.30 GMT", datetime(2020, 5, 5, 10, 30, tzinfo=UTC), "GMT", True),
        ("Veröffentlicht am 12.02.2022 um 08:16 Uhr", datetime(2022, 2, 12, 8, 16, tzinfo=UTC), None, False),
        ("Aktualisiert: 12.02.2022, 14:46 MEZ", datetime(2022, 2, 12, 13, 46, tzinfo=UTC), "MEZ", True),
    ],
)
def test_parse_stamp(line: str, utc: datetime, tz: str | None, known: bool) -> None:
    stamp = parse_stamp(line)
    assert stamp is not None
    assert stamp.when == utc
    assert stamp.tz_label == tz
    assert stamp.tz_known is known


def test_stamp_kind() -> None:
    assert stamp_kind("Published 08:16 IST, February 12th 2022") == "published"
    assert stamp_kind("Last updated: 1 June 2021") == "updated"
    assert stamp_kind("Published by the ministry of health, the report says a lot.") is None
    assert parse_stamp("February 30 2022") is None


def test_url_date() -> None:
    assert url_date("https://x.example/2023/03/14/story") == datetime(2023, 3, 14, tzinfo=UTC)
    assert url_date("https://x.example/news/story-20211230.html") == datetime(2021, 12, 30, tzinfo=UTC)
    assert url_date("https://x.example/news/12345") is None


# --- plain text ------------------------------------------------------------------------


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


# --- whole clean() ---------------------------------------------------------------------


def test_clean_html_fixture() -> None:
    html = (FIXTURES / "article.html").read_text(encoding="utf-8")
    raw = _raw(html, content_type="text/html", url="https://ledger.example.org/2023/03/14/harbour-bridge-reopens")
    article = clean(raw)
    assert article.title == "Harbour bridge reopens after storm repairs"
    assert article.site_name == "The Coastal Ledger"
    assert article.authors == ["Mara Lindqvist"]
    assert article.language == "en"
    assert len(article.paragraphs) == 4
    assert article.paragraphs[0].startswith("The harbour bridge reopened")
    assert "Share this article" not in article.text
    assert "Most read" not in article.text and "All rights reserved" not in article.text
    assert article.published_at == datetime(2023, 3, 14, 8, 30, tzinfo=UTC)
    assert article.published_at_source == DateSource.HTML_META
    assert article.published_tz_known is True
    assert article.text == "\n\n".join(article.paragraphs)


def test_clean_base64_cp1252() -> None:
    body = base64.b64encode(f"Café owners said: “{PROSE}”".encode("cp1252")).decode()
    article = clean(_raw(body, body_encoding=BodyEncoding.BASE64, charset="windows-1252"))
    assert article.text.startswith('Café owners said: "The city council')


def test_feed_date_is_fallback() -> None:
    feed = FeedMetadata(title="Budget passes", published=datetime(2024, 1, 2, 3, 4, tzinfo=UTC))
    article = clean(_raw(PROSE, feed=feed))
    assert article.published_at == datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
    assert article.published_at_source == DateSource.FEED
    assert article.title == "Budget passes"


def test_content_hash_ignores_case_and_spacing() -> None:
    assert content_hash("Hello   World\n\nAgain") == content_hash("hello world again")
    assert content_hash("a") != content_hash("b")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (_raw("   \n\t "), "empty"),
        (_raw("", body_encoding=BodyEncoding.BASE64), "empty"),
        (_raw("not base64 at all!!", body_encoding=BodyEncoding.BASE64), "undecodable"),
        (
            _raw(base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(200)).decode(), body_encoding=BodyEncoding.BASE64),
            "binary",
        ),
        (_raw("Just a short line."), "not_an_article"),
        (
            _raw(
                "<html><body><h1>404 Not Found</h1><p>The page you requested does not exist.</p></body></html>",
                content_type="text/html",
            ),
            "not_an_article",
        ),
        (
            _raw("Error 404: page not found. " + "Sorry, the page you were looking for cannot be found here. " * 3),
            "not_an_article",
        ),
        (_raw("abc\x00\x01\x02\x03\x04" * 50), "binary"),
    ],
)
def test_rejections(raw: RawArticle, reason: str) -> None:
    with pytest.raises(RejectedInput) as info:
        clean(raw)
    assert info.value.reason == reason


def test_too_large_is_rejected() -> None:
    limits = CleanerLimits(max_bytes=1000)
    with pytest.raises(RejectedInput) as info:
        clean(_raw(PROSE * 10), limits=limits)
    assert info.value.reason == "too_large"
    body = base64.b64encode(PROSE.encode() * 10).decode()
    with pytest.raises(RejectedInput) as info:
        clean(_raw(body, body_encoding=BodyEncoding.BASE64), limits=limits)
    assert info.value.reason == "too_large"


def test_plain_keeps_article_lists_and_reads_url_line() -> None:
    text = "\n".join(
        [
            "https://news.example.com/2013/05/02/council-budget-vote",
            "Council passes budget after long debate",
            "Posted 2 hours ago",
            PROSE,
            "The main points are:",
            "- Jennifer Park",
            "- more buses for the east side!",
        ]
    )
    article = clean(_raw(text))
    assert article.title == "Council passes budget after long debate"
    assert article.paragraphs[-2:] == ["- Jennifer Park", "- more buses for the east side!"]
    assert "Posted" not in article.text and "https://" not in article.text
    assert article.published_at == datetime(2013, 5, 2, tzinfo=UTC)
    assert article.published_at_source == DateSource.URL
    assert article.published_tz_known is False
    # the printed URL stands in for the missing fetch URL, its host for the missing outlet
    assert article.url == "https://news.example.com/2013/05/02/council-budget-vote"
    assert article.outlet == "news.example.com"


def test_printed_url_line_never_overrides_the_fetch_url_or_outlet() -> None:
    text = "https://mirror.example.org/2013/05/02/x\nCouncil passes budget\n" + PROSE
    article = clean(_raw(text, url="https://news.example.com/a", outlet="Example News"))
    assert article.url == "https://news.example.com/a"
    assert article.outlet == "Example News"


def test_html_mojibake_in_page_text_is_repaired() -> None:
    html = (
        "<html><body><article><h1>CafÃ© owners protest</h1>"
        f"<p>CafÃ© owners said â€œenoughâ€. {PROSE}</p></article></body></html>"
    )
    article = clean(_raw(html, content_type="text/html"))
    assert article.text.startswith('Café owners said "enough". The city council')


def test_plain_menus_and_unbulleted_related_headlines_go_tables_stay() -> None:
    text = "\n".join(
        [
            "Home",
            "World",
            "Sport",
            "Opinion",
            "",
            PROSE,
            "Title fights won",
            "Joe Louis 26-1",
            "Larry Holmes 21-5",
            "Muhammad Ali 22-3",
            "",
            "Mayor opens new library in the east end",
            "Rail strike called off at the last minute",
            "Storm warning issued for the northern coast",
        ]
    )
    result = clean_plain(text)
    assert result.paragraphs == [PROSE, "Title fights won", "Joe Louis 26-1", "Larry Holmes 21-5", "Muhammad Ali 22-3"]


def test_settings_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_CLEANER_MAX_BYTES", "2048")
    monkeypatch.setenv("WIREWATCH_CLEANER_LEARNER_MIN_ARTICLES", "4")
    settings = CleanerSettings()
    assert settings.limits().max_bytes == 2048
    assert BoilerplateLearner.from_settings(settings).min_articles == 4


def test_html_text_stamp_is_fallback_date() -> None:
    html = f"<html><body><article><p>Published 09:15 GMT, 3 April 2024</p><p>{PROSE}</p></article></body></html>"
    article = clean(_raw(html, content_type="text/html"))
    assert "Published" not in article.text
    # htmldate reads the visible date too, without its time: the stamp adds time and zone
    assert article.published_at_source == DateSource.TEXT_STAMP
    assert article.published_at == datetime(2024, 4, 3, 9, 15, tzinfo=UTC)
    assert article.published_tz == "GMT" and article.published_tz_known


def test_mislabelled_content_types_are_sniffed() -> None:
    plain_as_html = clean(_raw(f"Council passes budget after long debate\n\n{PROSE}", content_type="text/html"))
    assert plain_as_html.title == "Council passes budget after long debate"
    html_as_plain = clean(_raw(f"<!DOCTYPE html><html><body><article><p>{PROSE}</p></article></body></html>"))
    assert html_as_plain.text == PROSE


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("By Jane Smith and John Doe, Reuters", ["Jane Smith", "John Doe"]),
        ("Reported by: Dipaneeta Das", ["Dipaneeta Das"]),
        ("By Monday, the council will have decided on the new budget.", []),
        ("By Tuesday", []),
        ("By 2030 the plan will be finished.", []),
    ],
)
def test_byline_names(line: str, names: list[str]) -> None:
    assert byline_names(line) == names


def test_publication_after_fetch_is_not_believed() -> None:
    fetched = datetime(2021, 1, 5, tzinfo=UTC)
    feed = FeedMetadata(published=datetime(2021, 1, 4, 12, 0, tzinfo=UTC))
    text = f"Published 10:00 GMT, 3 March 2023\n{PROSE}"
    article = clean(_raw(text, fetched_at=fetched, feed=feed))
    assert article.published_at_source == DateSource.FEED
    assert article.published_at == datetime(2021, 1, 4, 12, 0, tzinfo=UTC)


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


def test_refine_drops_separators_and_repeated_long_paragraphs() -> None:
    refined = refine_paragraphs([PROSE, "___", "Eat every 2 hours", "Eat every 2 hours", PROSE], None, None, None)
    assert refined.paragraphs == [PROSE, "Eat every 2 hours", "Eat every 2 hours"]
