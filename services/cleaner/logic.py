"""The cleaner's pure logic: RawArticle in, CleanArticle out (or RejectedInput).

Pipeline: bytes/size/binary checks -> charset decoding -> mojibake repair ->
HTML extraction (trafilatura + refinement) or plain-text boilerplate removal ->
metadata resolution (dates with their provenance, title, site, language) ->
the article verdict (:mod:`services.cleaner.verdict`) -> content hash. Every failure mode of hostile or broken
input ends as :class:`RejectedInput` with a short reason, never as another
exception, so the stage loop can dead-letter it.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from services.cleaner.dates import DateChoice, resolve_published
from services.cleaner.decoding import check_text, decode_base64, decode_bytes, looks_binary, repair_text
from services.cleaner.html_extract import HtmlResult, extract_html
from services.cleaner.language import detect_language
from services.cleaner.learner import BoilerplateLearner
from services.cleaner.plaintext import PlainResult, clean_plain
from services.cleaner.refine import refine_paragraphs
from services.cleaner.settings import DEFAULT_LIMITS, CleanerLimits
from services.cleaner.stamps import Stamp
from services.cleaner.verdict import caption_story, check_article, has_story, is_notice_line
from shared.contracts.articles import BodyEncoding, CleanArticle, RawArticle
from shared.errors import RejectedInput

__all__ = ["BoilerplateLearner", "CleanerLimits", "RejectedInput", "clean", "content_hash"]

_WS = re.compile(r"\s+")
_HAS_MARKUP = re.compile(
    r"<(?:html|head|body|p|div|br|span|a|article|main|section|h[1-6]|title|meta|table|li|ul|script|style)\b",
    re.IGNORECASE,
)
_HTML_SNIFF = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)


def content_hash(text: str) -> str:
    """sha256 hex of the text lower-cased with whitespace collapsed (stable across layout changes)."""
    return hashlib.sha256(_WS.sub(" ", text.casefold()).strip().encode("utf-8")).hexdigest()


def _outlet_key(raw: RawArticle) -> str:
    if raw.outlet:
        return raw.outlet.casefold()
    for url in (raw.canonical_url, raw.url):
        if url:
            host = urlsplit(url).hostname or ""
            if host:
                return host.removeprefix("www.")
    return raw.source_id


def _host(url: str | None) -> str | None:
    """The host of a URL without ``www.``, or None."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # malformed (e.g. a bad IPv6 literal): no host rather than a crash
        return None
    return host.removeprefix("www.") or None


def _body_text(raw: RawArticle, limits: CleanerLimits) -> str:
    """Decoded text of the body; rejects empty, binary, oversized and undecodable bodies.

    Mojibake repair is left to the caller: for HTML it runs on the extracted
    text only (running ftfy over whole pages of markup cost half the time).
    """
    if raw.body_encoding == BodyEncoding.BASE64:
        data = decode_base64(raw.body, limits)
        if len(data) > limits.max_bytes:
            raise RejectedInput(f"body of {len(data)} bytes exceeds {limits.max_bytes}", reason="too_large")
        if not data.strip():
            raise RejectedInput("body is empty", reason="empty")
        if looks_binary(data, limits):
            raise RejectedInput("body is binary data", reason="binary")
        text = decode_bytes(data, raw.charset, raw.content_type == "text/html")
    else:
        text = raw.body
        if len(text) > limits.max_bytes or len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
            raise RejectedInput(f"body exceeds {limits.max_bytes} bytes", reason="too_large")
        text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be encoded later
    check_text(text, limits)
    return text


def clean(
    raw: RawArticle, learner: BoilerplateLearner | None = None, *, limits: CleanerLimits = DEFAULT_LIMITS
) -> CleanArticle:
    """Clean one raw article; raises RejectedInput (with ``reason``) for unusable input.

    Pure apart from ``learner``, which is consulted and then updated with this
    article's lines, so a stream of articles from one outlet teaches it that
    outlet's template lines.
    """
    try:
        return _clean(raw, learner, limits)
    except RejectedInput:
        raise
    except (RecursionError, MemoryError) as exc:
        raise RejectedInput(f"input too complex to process: {type(exc).__name__}", reason="too_complex") from exc
    except Exception as exc:  # library bugs on hostile input must become dead letters, not crashes
        raise RejectedInput(f"cleaning failed: {type(exc).__name__}: {exc}", reason="unprocessable") from exc


def _clean(raw: RawArticle, learner: BoilerplateLearner | None, limits: CleanerLimits) -> CleanArticle:
    text = _body_text(raw, limits)
    outlet = _outlet_key(raw)
    # Content types lie in both directions: sniff a document prefix, trust markup over the label.
    if raw.content_type == "text/html":
        is_html = bool(_HAS_MARKUP.search(text[:100_000]))
    else:
        is_html = bool(_HTML_SNIFF.match(text[:2000]))
    html: HtmlResult | None = None
    plain: PlainResult | None = None
    html_stamp: Stamp | None = None
    if is_html:
        html = extract_html(text.replace("\r\n", "\n"), raw.url)
        if html is None:
            raise RejectedInput("no main text found in the page", reason="not_an_article")
        refined = refine_paragraphs(html.paragraphs, html.title, outlet, learner)
        paragraphs, removed, html_stamp = refined.paragraphs, refined.removed, refined.stamp
        title = html.title
        authors = html.authors or refined.authors
        site_name = html.site_name
    else:
        plain = clean_plain(repair_text(text), outlet, learner)
        paragraphs, removed = plain.paragraphs, plain.removed_lines
        title = plain.title
        authors = plain.authors
        site_name = plain.site_name
    if title is None and raw.feed is not None and raw.feed.title:
        title = raw.feed.title.strip() or None
    if not authors and raw.feed is not None and raw.feed.author:
        authors = [raw.feed.author.strip()]
    seen_lines = plain.candidate_lines if plain is not None else html.paragraphs if html is not None else []
    if not has_story(paragraphs):
        paragraphs = caption_story(seen_lines) or paragraphs  # a gallery whose captions tell the story
    check_article(paragraphs, title, limits)
    kept = [p for p in paragraphs if not is_notice_line(p)]
    removed += len(paragraphs) - len(kept)
    paragraphs = kept
    if learner is not None:
        # Every line the page had, learned ones included, so template lines stay fresh in the LRU.
        learner.observe(outlet, seen_lines)
    body = "\n\n".join(paragraphs)
    date: DateChoice = resolve_published(raw, html, plain, html_stamp)
    # Scraped text often starts with the page's URL: without a fetch URL it is the best we have,
    # and it lets the deduplicator recognise later versions of the same page (live updates).
    printed_url = plain.source_url if plain is not None and not raw.url else None
    return CleanArticle(
        article_id=raw.article_id,
        version=raw.version,
        source_id=raw.source_id,
        url=raw.url or printed_url,
        canonical_url=raw.canonical_url or (html.canonical_url if html else None),
        outlet=raw.outlet or site_name or _host(printed_url),
        title=title,
        text=body,
        paragraphs=paragraphs,
        language=detect_language(body, html.language if html else None),
        authors=authors,
        site_name=site_name,
        published_at=date.published_at,
        published_at_source=date.source,
        published_tz=date.tz,
        published_tz_known=date.tz_known,
        modified_at=date.modified_at,
        fetched_at=raw.fetched_at,
        content_hash=content_hash(body),
        removed_lines=removed,
    )
