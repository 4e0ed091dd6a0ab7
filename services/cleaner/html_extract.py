"""Main text and metadata of an HTML page, via trafilatura (which uses htmldate for dates).

trafilatura is kept as the extractor rather than hand-written parsing: it is
maintained, multilingual and scores well on the public extraction benchmarks.
Its text output keeps one paragraph per line, which becomes ``paragraphs``.
A second pass (:mod:`services.cleaner.refine`) trims what it commonly lets
through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from trafilatura.utils import load_html

from services.cleaner.decoding import normalise_line, repair_text
from services.cleaner.meta_dates import refine_with_time

_FALLBACK_RATIO = 0.5  # precision output shorter than this share of the default output: use the default
_WORD = re.compile(r"\w+")
_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


@dataclass
class HtmlResult:
    """What trafilatura found in one page."""

    paragraphs: list[str]
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    site_name: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    published: datetime | None = None
    published_tz_known: bool = False
    published_tz: str | None = None
    modified: datetime | None = None


def _parse_date(raw: str | None) -> tuple[datetime | None, bool, str | None]:
    """htmldate output -> (UTC datetime, zone known, zone label). Date-only values are zone-unknown."""
    if not raw:
        return None, False, None
    try:
        value = datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            value = datetime.strptime(raw[:19], "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            try:
                value = datetime.strptime(raw[:10], "%Y-%m-%d")
            except ValueError:
                return None, False, None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC), False, None
    offset = value.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    label = f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return value.astimezone(UTC), True, label


_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—:·•»]\s+")


def strip_site_suffix(title: str, site_name: str | None, url: str | None) -> str:
    """'Headline | The Daily Example' -> 'Headline' when the last segment names the site.

    The segment must match the site name or the host name (ignoring case,
    spaces and punctuation), so headlines that merely contain a dash survive.
    """
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) < 2:
        return title
    names: set[str] = set()
    if site_name:
        names.add(_squash(site_name))
    if url:
        host = (urlsplit(url).hostname or "").removeprefix("www.")
        if host:
            names.update({_squash(host), _squash(host.rsplit(".", 1)[0])})
    names.discard("")
    while len(parts) > 1 and names and any(n in _squash(parts[-1]) or _squash(parts[-1]) in n for n in names):
        parts.pop()
    stripped = title
    if len(parts) < len(_TITLE_SEPARATOR.split(title)):
        # cut at the position where the kept segments end, preserving the original separators
        kept = len(parts)
        matches = list(_TITLE_SEPARATOR.finditer(title))
        stripped = title[: matches[kept - 1].start()]
    return stripped.strip() or title


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _authors(raw: str | None) -> list[str]:
    if not raw:
        return []
    return [name.strip() for name in raw.split(";") if name.strip()]


def _title(raw: str | None, site_name: str | None, url: str | None) -> str | None:
    if not raw:
        return None
    return strip_site_suffix(normalise_line(repair_text(raw)), site_name, url) or None


def _lines(text: str) -> list[str]:
    return [p for p in (normalise_line(line) for line in repair_text(text).split("\n")) if p]


def _key(line: str) -> str:
    return " ".join(_WORD.findall(line))


def main_span(precise: list[str], default: list[str]) -> list[str]:
    """The default extraction's paragraphs from the precise one's first paragraph to its last.

    The precision mode's gain is at the edges of the article (related links,
    teasers, comment widgets before and after it); inside the article it also
    drops paragraphs the default mode keeps (link-dense sentences, embeds,
    captions), and those are article text far more often than not. When the
    two cannot be aligned the precise paragraphs are kept as they are.
    """
    if not precise or not default:
        return precise or default
    keys = [_key(line) for line in default]
    first, last = _key(precise[0]), _key(precise[-1])
    if first not in keys or last not in keys:
        return precise
    start = keys.index(first)
    end = len(keys) - 1 - keys[::-1].index(last)
    return default[start : end + 1] if start <= end else precise


def _parse(html: str) -> Any:
    """The page parsed once (an lxml tree) for both extraction passes, which copy it; the string if lxml gives up."""
    tree = load_html(html)
    return tree if tree is not None else html


def extract_html(html: str, url: str | None = None) -> HtmlResult | None:
    """Run trafilatura on a page; None when it finds no main text.

    Two passes over one parsed tree: the precision-oriented mode (with the
    metadata) marks where the article starts and ends, the default mode gives
    the paragraphs in between (:func:`main_span`). On some layouts the precise
    pass drops half the article; the default text is then used whole (when the
    precise text is less than half as long).
    """
    tree = _parse(html)
    options: dict[str, Any] = {"url": url, "include_comments": False, "include_tables": True}
    try:
        doc = trafilatura.bare_extraction(
            tree, with_metadata=True, date_extraction_params=_DATE_PARAMS, favor_precision=True, **options
        )
    except (AssertionError, AttributeError, TypeError, ValueError, IndexError):
        # htmldate and the metadata code assert on some degenerate trees (an element
        # without parent); the text extraction itself copes, so retry without metadata.
        doc = trafilatura.bare_extraction(tree, with_metadata=False, favor_precision=True, **options)
    if doc is None or isinstance(doc, dict):
        return None
    text: str = doc.text or ""
    default_doc = trafilatura.bare_extraction(tree, **options)
    default = (default_doc.text or "") if default_doc is not None and not isinstance(default_doc, dict) else ""
    if len(_WORD.findall(text)) < _FALLBACK_RATIO * len(_WORD.findall(default)):
        paragraphs = _lines(default)
    else:
        paragraphs = main_span(_lines(text), _lines(default))
    if not paragraphs:
        return None
    published, tz_known, tz_label = _parse_date(doc.date)
    meta_published, meta_modified = refine_with_time(html, published.date() if published else None)
    if meta_published is not None:
        published, tz_known, tz_label = meta_published.when, meta_published.tz_known, meta_published.tz_label
    return HtmlResult(
        paragraphs=paragraphs,
        title=_title(doc.title, doc.sitename, doc.url or url),
        authors=[normalise_line(repair_text(a)) for a in _authors(doc.author)],
        site_name=normalise_line(repair_text(doc.sitename)) if doc.sitename else None,
        canonical_url=doc.url or None,
        language=doc.language or None,
        published=published,
        published_tz_known=tz_known,
        published_tz=tz_label,
        modified=meta_modified.when if meta_modified else None,
    )
