"""The cleaner end to end (clean()): HTML and plain text, dates, rejections, content hash."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.cleaner.logic import clean, content_hash
from services.cleaner.plaintext import clean_plain
from services.cleaner.settings import CleanerLimits
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


def test_publication_after_fetch_is_not_believed() -> None:
    fetched = datetime(2021, 1, 5, tzinfo=UTC)
    feed = FeedMetadata(published=datetime(2021, 1, 4, 12, 0, tzinfo=UTC))
    text = f"Published 10:00 GMT, 3 March 2023\n{PROSE}"
    article = clean(_raw(text, fetched_at=fetched, feed=feed))
    assert article.published_at_source == DateSource.FEED
    assert article.published_at == datetime(2021, 1, 4, 12, 0, tzinfo=UTC)
