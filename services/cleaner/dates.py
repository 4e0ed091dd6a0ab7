"""Choosing the publication time and recording where it came from.

Order of trust: a stamp in the text the reader sees (``text_stamp``), the
page's own metadata (``html_meta``, via htmldate), a date in the URL (``url``),
the feed entry (``feed``). Fetch time is deliberately *not* used as a
publication time: ``CleanArticle.fetched_at`` already carries it and a guess
would look like a fact downstream; with no evidence the source is ``unknown``.

When no zone is known, the naive wall time is stored as if it were UTC with
``published_tz_known=False`` (see :mod:`services.cleaner.stamps`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from services.cleaner.html_extract import HtmlResult
from services.cleaner.plaintext import PlainResult
from services.cleaner.stamps import Stamp
from shared.contracts.articles import DateSource, RawArticle

_SLACK = timedelta(days=1)
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)[/_-]?([01]\d)[/_-]?([0-3]\d)(?!\d)")


@dataclass(frozen=True)
class DateChoice:
    published_at: datetime | None = None
    source: DateSource = DateSource.UNKNOWN
    tz: str | None = None
    tz_known: bool = False
    modified_at: datetime | None = None


def url_date(url: str | None) -> datetime | None:
    """Date embedded in a URL path (/2022/02/12/, -20220212-), midnight, zone unknown."""
    if not url:
        return None
    path = url.split("?", 1)[0]
    for match in _URL_DATE.finditer(path):
        year, month, day = (int(g) for g in match.groups())
        try:
            return datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            continue
    return None


def _refines(meta: datetime, meta_tz_known: bool, stamp: Stamp) -> bool:
    """True when a visible stamp adds a time (and maybe a zone) to a date-only metadata value."""
    if meta_tz_known or not stamp.has_time or (meta.hour, meta.minute) != (0, 0):
        return False
    return abs((stamp.when.date() - meta.date()).days) <= 1


def _from_stamp(stamp: Stamp, modified: datetime | None) -> DateChoice:
    return DateChoice(stamp.when, DateSource.TEXT_STAMP, stamp.tz_label, stamp.tz_known, modified)


def _candidates(
    raw: RawArticle, html: HtmlResult | None, plain: PlainResult | None, html_stamp: Stamp | None
) -> Iterator[DateChoice]:
    """Publication-time candidates, most trustworthy first (``modified_at`` filled in later)."""
    if plain is not None and plain.published is not None:
        yield _from_stamp(plain.published, None)
    if html is not None and html.published is not None:
        if html_stamp is not None and _refines(html.published, html.published_tz_known, html_stamp):
            yield _from_stamp(html_stamp, None)
        yield DateChoice(html.published, DateSource.HTML_META, html.published_tz, html.published_tz_known)
    if html_stamp is not None:
        yield _from_stamp(html_stamp, None)
    for url in (raw.canonical_url, raw.url, plain.source_url if plain is not None else None):
        found = url_date(url)
        if found is not None:
            yield DateChoice(found, DateSource.URL, None, False)
    if raw.feed is not None and raw.feed.published is not None:
        value = raw.feed.published
        if value.tzinfo is None:
            yield DateChoice(value.replace(tzinfo=UTC), DateSource.FEED, None, False)
        else:
            yield DateChoice(value.astimezone(UTC), DateSource.FEED, "UTC", True)


def resolve_published(
    raw: RawArticle, html: HtmlResult | None, plain: PlainResult | None, html_stamp: Stamp | None = None
) -> DateChoice:
    """Pick the most trustworthy plausible publication time available for the article.

    ``html_stamp`` is a stamp line found in an HTML page's extracted text; it
    ranks below the page's metadata, which is machine-written and more reliable
    there. A candidate later than the fetch (plus a day of slack for unknown
    zones) or before 1990 cannot be a publication time and is skipped.
    """
    modified = plain.modified.when if plain is not None and plain.modified is not None else None
    if modified is None and html is not None:
        modified = html.modified
    fetched = raw.fetched_at if raw.fetched_at.tzinfo is not None else raw.fetched_at.replace(tzinfo=UTC)
    latest = fetched + _SLACK
    for choice in _candidates(raw, html, plain, html_stamp):
        if choice.published_at is not None and _EARLIEST <= choice.published_at <= latest:
            return replace(choice, modified_at=modified)
    return DateChoice(modified_at=modified)
