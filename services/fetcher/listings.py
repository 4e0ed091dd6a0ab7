"""Parsing listings: RSS/Atom feeds (feedparser) and sitemaps (news sitemaps, sitemap indexes).

Pure functions over bytes, so they are tested without a server. A listing
yields :class:`ListedItem` s: the article URL, what the listing says about it
(:class:`FeedMetadata`) and a *marker* (the entry's ``updated`` or the
sitemap's ``lastmod``) that tells the fetcher when a known page changed.
"""

from __future__ import annotations

import gzip
import io
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import feedparser
from pydantic import ValidationError

from services.fetcher.canonical import absolute
from shared.contracts import FeedMetadata
from shared.errors import RejectedInput


@dataclass(frozen=True)
class ListedItem:
    url: str
    meta: FeedMetadata | None = None
    marker: str | None = None  # changes when the listing says the article changed
    inline_html: str | None = None  # the entry's own content (used when pages are not fetched)
    sort_time: float = 0.0  # newest first when a listing is longer than the per-poll limit


@dataclass
class Sitemap:
    items: list[ListedItem] = field(default_factory=list)
    children: list[tuple[str, float]] = field(default_factory=list)  # (sitemap URL, lastmod epoch) of an index


def _struct_to_datetime(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _clean(value: Any, limit: int = 20_000) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text[:limit] if text else None


def _metadata(**fields: Any) -> FeedMetadata | None:
    if all(v is None for v in fields.values()):
        return None
    try:
        return FeedMetadata(**fields)
    except ValidationError:
        return None


def parse_feed(body: bytes, base_url: str) -> list[ListedItem]:
    """Entries of an RSS 0.9x/1.0/2.0 or Atom feed, newest first.

    Raises :class:`RejectedInput` when the bytes are not a feed at all; a feed
    with recoverable errors (feedparser's "bozo" flag) still yields its entries.
    """
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": base_url})
    entries = list(getattr(parsed, "entries", []) or [])
    if not entries:
        if getattr(parsed, "bozo", False) and not getattr(parsed, "version", ""):
            error = getattr(parsed, "bozo_exception", "unknown error")
            raise RejectedInput(f"not a parsable feed: {error}", reason="feed_parse_error")
        return []
    items: list[ListedItem] = []
    for entry in entries:
        link = _clean(entry.get("link"), 4000)
        if not link:
            links = [lk.get("href") for lk in entry.get("links", []) if lk.get("rel", "alternate") == "alternate"]
            link = _clean(links[0], 4000) if links else None
        if not link:
            continue
        url = absolute(base_url, link)
        published = _struct_to_datetime(entry.get("published_parsed")) or _struct_to_datetime(
            entry.get("updated_parsed")
        )
        updated = _struct_to_datetime(entry.get("updated_parsed"))
        content = entry.get("content") or []
        inline = _clean(content[0].get("value")) if content and isinstance(content[0], dict) else None
        summary = _clean(entry.get("summary"))
        meta = _metadata(
            title=_clean(entry.get("title"), 2000),
            link=url,
            published=published,
            author=_clean(entry.get("author"), 500),
            summary=summary,
        )
        when = updated or published
        marker = when.isoformat() if when else _clean(entry.get("updated"))
        items.append(
            ListedItem(
                url=url,
                meta=meta,
                marker=marker,
                inline_html=inline or summary,
                sort_time=when.timestamp() if when else 0.0,
            )
        )
    return items


def parse_w3c_datetime(value: str | None) -> datetime | None:
    """A W3C datetime (``2024-05-01``, ``2024-05-01T10:00:00Z``, ...), UTC when no zone is given."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def maybe_gunzip(body: bytes, max_bytes: int) -> bytes:
    """Decompress a gzipped sitemap (``.xml.gz``) within the size limit."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
            data = fh.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise RejectedInput(f"invalid gzip: {exc}", reason="invalid_gzip") from exc
    if len(data) > max_bytes:
        raise RejectedInput(f"decompressed body exceeds {max_bytes} bytes", reason="too_large")
    return data


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(node: Any, *path: str) -> str | None:
    """Text of the first descendant following local names ``path`` (namespaces ignored)."""
    current = [node]
    for name in path:
        current = [c for n in current for c in n if _local(c.tag) == name]
        if not current:
            return None
    text = current[0].text
    return text.strip() if isinstance(text, str) and text.strip() else None


def sitemap_root(body: bytes) -> ElementTree.Element:
    """The parsed XML root.

    The standard library parser never fetches external entities or DTDs, and
    expat (>= 2.4) refuses exponential entity expansion ("billion laughs").
    """
    if b"<!ENTITY" in body[:65536]:
        raise RejectedInput("sitemaps do not declare entities", reason="sitemap_parse_error")
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise RejectedInput(f"not parsable XML: {exc}", reason="sitemap_parse_error") from exc


def is_sitemap(body: bytes) -> bool:
    head = body[:2048].lower()
    return b"<urlset" in head or b"<sitemapindex" in head


def parse_sitemap(body: bytes, base_url: str) -> Sitemap:
    """URLs of a (news) sitemap, or the child sitemaps of a sitemap index."""
    root = sitemap_root(body)
    kind = _local(root.tag)
    result = Sitemap()
    if kind == "sitemapindex":
        for node in root:
            if _local(node.tag) != "sitemap":
                continue
            loc = _child_text(node, "loc")
            if loc:
                lastmod = parse_w3c_datetime(_child_text(node, "lastmod"))
                result.children.append((absolute(base_url, loc), lastmod.timestamp() if lastmod else 0.0))
        return result
    if kind != "urlset":
        raise RejectedInput(f"XML root <{kind}> is not a sitemap", reason="sitemap_parse_error")
    for node in root:
        if _local(node.tag) != "url":
            continue
        loc = _child_text(node, "loc")
        if not loc:
            continue
        url = absolute(base_url, loc)
        lastmod_text = _child_text(node, "lastmod")
        published = parse_w3c_datetime(_child_text(node, "news", "publication_date"))
        lastmod = parse_w3c_datetime(lastmod_text)
        meta = _metadata(
            title=_child_text(node, "news", "title"),
            link=url,
            published=published,
            author=None,
            summary=None,
        )
        when = lastmod or published
        result.items.append(
            ListedItem(
                url=url,
                meta=meta,
                marker=when.isoformat() if when else lastmod_text,
                sort_time=when.timestamp() if when else 0.0,
            )
        )
    return result


def newest(items: list[ListedItem], limit: int) -> list[ListedItem]:
    """At most ``limit`` items, newest first (stable for items without dates)."""
    if len(items) <= limit:
        return items
    return sorted(items, key=lambda item: item.sort_time, reverse=True)[:limit]
