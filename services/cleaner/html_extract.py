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
    span = _aligned(precise[0], precise[-1], default)
    return precise if span is None else span


def _aligned(first: str, last: str, default: list[str]) -> list[str] | None:
    """``default`` from the line matching ``first`` to the last line matching ``last``; None if they do not align."""
    keys = [_key(line) for line in default]
    first_key, last_key = _key(first), _key(last)
    if first_key not in keys or last_key not in keys:
        return None
    start = keys.index(first_key)
    end = len(keys) - 1 - keys[::-1].index(last_key)
    return default[start : end + 1] if start <= end else None


def _edge_lines(text: str) -> tuple[str, str] | None:
    """The first and last of ``_lines(text)``, repairing only the raw lines they come from.

    None when the text holds ``<`` (ftfy stops unescaping entities for the rest
    of a text after a line with ``<``, so a line's repair would depend on the
    lines before it) or has no line. Otherwise the repair is line by line (ftfy
    fixes each ``\n``-terminated segment on its own, a lost-byte run never spans
    a newline, NFC never composes across one), so the result equals
    ``_lines(text)[0], _lines(text)[-1]``; a unit test compares the two.
    """
    if "<" in text:
        return None
    parts = text.split("\n")
    segments = [part + "\n" for part in parts[:-1]] + [parts[-1]]
    first = next((lines[0] for segment in segments if (lines := _lines(segment))), None)
    if first is None:
        return None
    last = next(lines[-1] for segment in reversed(segments) if (lines := _lines(segment)))
    return first, last


def _span(precise_text: str, default: list[str]) -> list[str]:
    """:func:`main_span` of the precise text's lines, repairing all of them only when the span does not align.

    The precise text is as long as the default one, and when the two align
    (nearly always) only its first and last line are needed: this saves
    repairing and normalising every other line (~2 ms a page).
    """
    edges = _edge_lines(precise_text)
    if edges is not None and default:
        span = _aligned(edges[0], edges[1], default)
        if span is not None:
            return span
    return main_span(_lines(precise_text), default)


def _parse(html: str) -> Any:
    """The page parsed once (an lxml tree) for every extraction pass, which copy it; the string if lxml gives up."""
    tree = load_html(html)
    return tree if tree is not None else html


_OPTIONS: dict[str, Any] = {"include_comments": False, "include_tables": True}


def _precise_pass(tree: Any, url: str | None, *, fast: bool) -> Any:
    """trafilatura's precision mode with the metadata; None when it finds no text."""
    options = {**_OPTIONS, "url": url, "favor_precision": True, "fast": fast}
    try:
        doc = trafilatura.bare_extraction(tree, with_metadata=True, date_extraction_params=_DATE_PARAMS, **options)
    except (AssertionError, AttributeError, TypeError, ValueError, IndexError):
        # htmldate and the metadata code assert on some degenerate trees (an element
        # without parent); the text extraction itself copes, so retry without metadata.
        doc = trafilatura.bare_extraction(tree, with_metadata=False, **options)
    return None if doc is None or isinstance(doc, dict) else doc


def _default_text(tree: Any, url: str | None, *, fast: bool) -> str:
    doc = trafilatura.bare_extraction(tree, url=url, fast=fast, **_OPTIONS)
    return (doc.text or "") if doc is not None and not isinstance(doc, dict) else ""


def _lost_half(precise: str, default: str) -> bool:
    return len(_WORD.findall(precise)) < _FALLBACK_RATIO * len(_WORD.findall(default))


def _passes(tree: Any, url: str | None) -> tuple[Any, str] | None:
    """(precise document, default text); None when the precision mode finds no text.

    Both passes first run with ``fast=True``, which skips trafilatura's
    comparison with its readability port and jusText (about a third of a
    pass). That comparison changes the text on few pages, and where skipping
    it would lose text the fast precise text is far shorter than the fast
    default text: when the fast precise pass found nothing or lost half the
    words, both passes run again in full, as they always did before
    (docs/performance.md, cleaner: chosen with folds by site, no fold worse).
    """
    doc = _precise_pass(tree, url, fast=True)
    if doc is not None:
        default = _default_text(tree, url, fast=True)
        if not _lost_half(doc.text or "", default):
            return doc, default
    doc = _precise_pass(tree, url, fast=False)
    if doc is None:
        return None
    return doc, _default_text(tree, url, fast=False)


def extract_html(html: str, url: str | None = None) -> HtmlResult | None:
    """Run trafilatura on a page; None when it finds no main text.

    Two passes over one parsed tree (:func:`_passes`): the precision-oriented
    mode (with the metadata) marks where the article starts and ends, the
    default mode gives the paragraphs in between (:func:`main_span`). On some
    layouts the precise pass drops half the article; the default text is then
    used whole (when the precise text is less than half as long).
    """
    found = _passes(_parse(html), url)
    if found is None:
        return None
    doc, default = found
    text: str = doc.text or ""
    paragraphs = _lines(default) if _lost_half(text, default) else _span(text, _lines(default))
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
