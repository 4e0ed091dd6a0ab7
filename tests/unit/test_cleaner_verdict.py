"""Which pages hold an article: short news items pass, pages without a story are rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cleaner.logic import clean
from services.cleaner.plaintext import clean_plain
from services.cleaner.settings import DEFAULT_LIMITS
from services.cleaner.verdict import caption_story, check_article, is_clause
from services.replay import read_inputs
from shared.contracts.articles import FeedMetadata, RawArticle
from shared.errors import RejectedInput

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cleaner"
GALLERY = FIXTURES / "gallery_captions.jsonl"  # first 4 of 17 lines of a 16-image gallery page (gva00969)
LEDE = "A man died Thursday morning after being shot inside a home on the Southwest Side."


def _raw(body: str, title: str | None = None, **kw: object) -> RawArticle:
    feed = FeedMetadata(title=title) if title else None
    return RawArticle(article_id="t1", body=body, feed=feed, **kw)


def _html(title: str, body: str) -> RawArticle:
    page = f"<html><head><title>{title}</title></head><body>{body}</body></html>"
    return RawArticle(article_id="t1", body=page, content_type="text/html")


def _rejected(raw: RawArticle) -> str:
    with pytest.raises(RejectedInput) as info:
        clean(raw)
    assert info.value.reason == "not_an_article"
    return str(info.value)


# --- the gallery page that crashed ----------------------------------------------------------


def test_page_whose_every_line_is_removed_does_not_crash() -> None:
    [raw] = list(read_inputs([GALLERY]))
    assert isinstance(raw, RawArticle)
    result = clean_plain(raw.body)  # every line is a credited caption: all are removed
    assert result.paragraphs == []


def test_gallery_whose_captions_tell_the_story_is_an_article() -> None:
    [raw] = list(read_inputs([GALLERY]))
    assert isinstance(raw, RawArticle)
    article = clean(raw)
    assert article.title == "18-year-old shot, killed by 15-year-old on Southwest Side"
    assert article.paragraphs == [LEDE]  # the caption repeated under every image, once


def test_caption_story_needs_a_credit_and_running_text() -> None:
    lines = [
        "Photo: 21 Pro Video Image 1 of / 16 Caption Close",
        f"Image 1 of 16 {LEDE} {LEDE} Photo: 21 Pro Video",
        "Image 2 of 16 Photo: AP",
        "The council met on Monday and approved the budget.",  # running text, but no caption credit
    ]
    assert caption_story(lines) == [LEDE]


# --- short news items -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (
            "25-year-old was one of eight shot at party\n\nShooting happened after X-Fest had ended\n\n"
            "No arrests as of Sunday afternoon",
            "Police identify victim killed in Modesto shooting",
        ),
        (
            "2 gang suspects held to answer for deaths of 2 teenagers\n\n"
            "Victims Samantha Parreira and Matthew Fisher died March 30, 2013",
            "2 gang suspects to stand trial for 2013 slayings of 2 teens in Merced County",
        ),
        ("Police say four people were hit in an overnight shooting in Shelby.", "Police: 4 hit in shooting"),
    ],
)
def test_short_item_with_a_headline_is_news(body: str, title: str) -> None:
    article = clean(_raw(body, title))
    assert article.title
    assert len(article.text.split()) < 15  # below the length floor: accepted for what it is


def test_short_html_item_is_news() -> None:
    raw = _html(
        "Bridge reopens after repairs",
        "<article><h1>Bridge reopens after repairs</h1>"
        "<p>The Elm Street bridge reopened to traffic on Friday after three months of repairs.</p></article>",
    )
    article = clean(raw)
    assert "reopened to traffic" in article.text


def test_video_notice_does_not_make_a_report_an_error_page() -> None:
    report = (
        "HOBART, Okla. - Authorities say they are investigating a deadly shooting at a home on Monroe Street. "
        "Officers were called to the house shortly after 6:30 p.m. on Wednesday after a neighbour heard a shot. "
        "Police said the victim's name is not being released until relatives have been told."
    )
    body = f"Please enable Javascript to watch this video\n\n{report}"
    article = clean(_raw(body, "Girl killed in accidental shooting"))
    assert article.title == "Girl killed in accidental shooting"  # the notice is not the headline
    assert "Javascript" not in article.text  # nor part of the story


def test_short_text_without_a_headline_is_rejected() -> None:
    assert "no headline" in _rejected(_raw("The parliament election is over."))


# --- pages without an article ---------------------------------------------------------------

MENU = "\n".join(
    [
        "Home",
        "News",
        "Local",
        "Sports",
        "Weather",
        "Obituaries",
        "Opinion",
        "Contact Us",
        "About Us",
        "Advertise With Us",
        "Terms Of Use",
        "Privacy Policy",
        "Site Map",
        "Careers",
        "Jobs",
    ]
)
ERROR_PLAIN = (
    "Page not found\n\nOops! That page can't be found.\n\n"
    "It looks like nothing was found at this location. Maybe try one of the links below or a search?\n\n"
    "Home | News | Sports | Contact"
)
COOKIE_WALL = (
    "Your privacy\n\nWe use cookies to give you the best experience on our website.\n\n"
    "By continuing to browse, you agree to our cookie policy and the use of cookies by our partners.\n\n"
    "Accept all cookies\n\nManage settings"
)
LOGIN = (
    "Sign in\n\nSign in to your account to keep reading local news.\n\nEmail address\n\nPassword\n\n"
    "Forgot your password?\n\nCreate an account"
)
GALLERY_NO_STORY = "\n\n".join(
    [
        "Photos: Storm damage",
        "Image 1 of 12 Photo: John Smith/Staff",
        "Image 2 of 12 Photo: John Smith/Staff",
        "Image 3 of 12 (Photo: AP)",
        *("Previous", "Next", "Close", "Caption", "Back to Gallery"),
    ]
)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(_raw(MENU, "Springfield Gazette"), id="menu"),
        pytest.param(_raw(ERROR_PLAIN, "Springfield Gazette"), id="error-plain"),
        pytest.param(_raw(COOKIE_WALL, "Springfield Gazette"), id="cookie-wall"),
        pytest.param(_raw(LOGIN, "Springfield Gazette"), id="login"),
        pytest.param(_raw(GALLERY_NO_STORY, "Photos: Storm damage"), id="gallery-without-text"),
        pytest.param(
            _html(
                "Page not found | Springfield Gazette",
                "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><main><h1>404</h1>"
                "<p>Sorry, the article you were looking for could not be found.</p>"
                "<p>It may have been moved or deleted.</p></main>",
            ),
            id="error-html",
        ),
        pytest.param(
            _html(
                "Springfield Gazette",
                "<nav><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li>"
                "<li><a href='/sports'>Sports</a></li><li><a href='/weather'>Weather</a></li>"
                "<li><a href='/obits'>Obituaries</a></li><li><a href='/contact'>Contact Us</a></li></ul></nav>",
            ),
            id="menu-html",
        ),
    ],
)
def test_page_without_an_article_is_rejected(raw: RawArticle) -> None:
    _rejected(raw)


SECTIONS = ["Channels", "GamesBeat", "Big Data", "Business", "Cloud", "Commerce", "Dev", "Enterprise"]


def test_navigation_around_a_stray_sentence_is_rejected() -> None:
    menu = [*SECTIONS, "Security", "Marketing", "Mobile", "Entrepreneur", "Esports", "Careers", "Media Kit"]
    menu += ["About Us", "Contact", "Privacy Policy", "Terms Of Service", "Newsletters", "Events", "Jobs"]
    stray = "We may earn a commission when you buy through links on our site."
    with pytest.raises(RejectedInput) as info:
        check_article([*menu, stray], "Tech news", DEFAULT_LIMITS)
    assert "mostly navigation" in str(info.value)


def test_results_box_under_a_headline_is_content() -> None:
    rows = ["GIRLS BASKETBALL", "Palm Bay d. Rockledge 70-44", "Rockledge 14 11 6 15 — 44", "Palm Bay 18 22 13 17 — 70"]
    check_article(rows, "HS Roundup: Palm Bay stays unbeaten", DEFAULT_LIMITS)  # no clause, but table rows


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Shooting happened after X-Fest had ended", True),
        ("A VIOLENT NIGHT ON THE STREETS OF DETROIT. SHOTS WERE FIRED.", True),  # capitals, but sentences
        ("Contact Us About Our Team Careers", False),  # title-cased labels
        ("News | Sports | Weather | Business and finance", False),  # a menu bar
        ("Please enable JavaScript to watch this video", False),  # a notice
        ("Man held", False),
    ],
)
def test_is_clause(text: str, expected: bool) -> None:
    assert is_clause(text) is expected
