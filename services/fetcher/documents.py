"""Turning bytes and records into :class:`RawArticle` candidates.

A :class:`Candidate` is an article the fetcher *might* publish: the seen-state
decides (by key and content hash) whether it is new, changed or a repeat.
Bodies are sent as text when they are valid UTF-8 and as base64 of the raw
bytes otherwise, with the declared charset when one is known, so the cleaner
(not the fetcher) owns charset guessing.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from services.fetcher.seen import content_hash
from shared.contracts import BodyEncoding, FeedMetadata, RawArticle
from shared.errors import RejectedInput

ContentType = Literal["text/plain", "text/html"]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    """An article ready to publish if the seen-state says it is new or changed."""

    keys: tuple[str, ...]  # seen-state keys: the primary first, then aliases
    article: RawArticle  # version is provisional; the seen-state sets it
    digest: str
    etag: str | None = None
    last_modified: str | None = None
    marker: str | None = None


def url_article_id(canonical_url: str) -> str:
    """A stable short id for a web article: a hash of its canonical URL."""
    return "u" + hashlib.blake2b(canonical_url.encode("utf-8"), digest_size=10).hexdigest()


def normalise_charset(name: str | None) -> str | None:
    """The Python codec name of a declared charset, or ``None`` when unknown."""
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def sniff_charset(raw: bytes) -> str | None:
    """The charset a document declares in its first bytes (HTML meta or XML prolog)."""
    head = raw[:4096]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return normalise_charset(match.group(1).decode("ascii")) if match else None


def encode_body(raw: bytes, declared_charset: str | None) -> tuple[str, BodyEncoding, str | None]:
    """Body text, its encoding in the message, and the charset to declare.

    Valid UTF-8 travels as text (a BOM is dropped). Anything else travels as
    base64 of the untouched bytes with the declared charset, so that nothing is
    decoded with a wrong guess here.
    """
    charset = normalise_charset(declared_charset)
    data = raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw
    if charset in (None, "utf-8", "ascii"):
        try:
            return data.decode("utf-8"), BodyEncoding.TEXT, charset
        except UnicodeDecodeError:
            pass
    return base64.b64encode(raw).decode("ascii"), BodyEncoding.BASE64, charset


def make_candidate(
    *,
    keys: tuple[str, ...],
    article_id: str,
    source_id: str,
    raw: bytes,
    content_type: ContentType,
    charset: str | None = None,
    url: str | None = None,
    canonical_url: str | None = None,
    outlet: str | None = None,
    feed: FeedMetadata | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    marker: str | None = None,
) -> Candidate:
    """A candidate from raw bytes; rejects empty documents."""
    if not raw.strip():
        raise RejectedInput("document is empty", reason="empty_document")
    declared = charset or (sniff_charset(raw) if content_type == "text/html" else None)
    body, encoding, declared_out = encode_body(raw, declared)
    article = RawArticle(
        article_id=article_id[:256],
        source_id=source_id,
        url=url,
        canonical_url=canonical_url,
        outlet=outlet,
        content_type=content_type,
        charset=declared_out,
        body_encoding=encoding,
        body=body,
        feed=feed,
    )
    return Candidate(
        keys=keys,
        article=article,
        digest=content_hash(raw),
        etag=etag,
        last_modified=last_modified,
        marker=marker,
    )


def with_fetch_time(candidate: Candidate, version: int, article_id: str) -> RawArticle:
    """The article to publish: the seen-state's version and id, fetched now."""
    return candidate.article.model_copy(
        update={"version": version, "article_id": article_id, "fetched_at": datetime.now(UTC)}
    )


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _record_time(value: Any) -> datetime | None:
    text = _text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def record_candidate(record: Any, *, source_id: str, key_prefix: str, fallback_id: str) -> Candidate:
    """A candidate from one JSON record (a JSONL line or a .json file).

    Understood fields: ``doc_id``/``id``/``article_id``; the body in ``html``
    (text/html) or ``text``/``body``/``content`` (text/plain unless
    ``content_type`` says otherwise); optional ``url``, ``title``, ``published``,
    ``author``, ``summary``, ``outlet``. Raises :class:`RejectedInput` otherwise.
    """
    if not isinstance(record, dict):
        raise RejectedInput(f"record is a {type(record).__name__}, not an object", reason="invalid_record")
    rid = _text(record.get("doc_id")) or _text(record.get("id")) or _text(record.get("article_id"))
    content_type: ContentType = "text/plain"
    html = _text(record.get("html"))
    body = html
    if html is not None:
        content_type = "text/html"
    else:
        body = _text(record.get("text")) or _text(record.get("body")) or _text(record.get("content"))
        if record.get("content_type") == "text/html":
            content_type = "text/html"
    if body is None:
        raise RejectedInput("record has no html/text/body/content field", reason="record_without_body")
    if record.get("body_encoding") == "base64":
        try:
            raw = base64.b64decode(body, validate=True)
        except ValueError as exc:
            raise RejectedInput(f"record body is not valid base64: {exc}", reason="invalid_base64") from exc
    else:
        raw = body.encode("utf-8")
    url = _text(record.get("url"))
    feed = None
    meta = {
        "title": _text(record.get("title")),
        "link": url,
        "published": _record_time(record.get("published") or record.get("published_at")),
        "author": _text(record.get("author")),
        "summary": _text(record.get("summary")),
    }
    if any(v is not None for v in meta.values()):
        try:
            feed = FeedMetadata(**meta)
        except ValidationError:
            feed = None
    article_id = rid or (url_article_id(url) if url else fallback_id)
    return make_candidate(
        keys=(f"{key_prefix}#{article_id}",),
        article_id=article_id,
        source_id=source_id,
        raw=raw,
        content_type=content_type,
        charset=_text(record.get("charset")),
        url=url,
        outlet=_text(record.get("outlet")),
        feed=feed,
    )


def renamed(candidate: Candidate, suffix: str) -> Candidate:
    """The same candidate under another id and key (replay loops publish copies)."""
    article = candidate.article.model_copy(update={"article_id": f"{candidate.article.article_id}{suffix}"[:256]})
    return replace(candidate, keys=tuple(k + suffix for k in candidate.keys), article=article)
