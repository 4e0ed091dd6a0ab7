"""Publication and modification *times* from a page's machine-readable metadata.

htmldate (used through trafilatura) is the authority on the publication
*date*, but it returns dates only. The time of day and the zone come from the
same standard fields htmldate reads (Open Graph ``article:published_time``,
schema.org ``datePublished`` in microdata or JSON-LD, Dublin Core). A value
from here is used only when its calendar date agrees with htmldate's (in the
value's own zone), so the two sources can never contradict each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

_SCAN_CHARS = 400_000
_META = re.compile(r"<meta\b[^>]{0,600}>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_PUBLISHED_KEYS = frozenset(
    {
        "article:published_time",
        "og:published_time",
        "datepublished",
        "dc.date.issued",
        "dcterms.issued",
        "dcterms.created",
        "pubdate",
        "publishdate",
        "sailthru.date",
        "parsely-pub-date",
    }
)
_MODIFIED_KEYS = frozenset({"article:modified_time", "og:updated_time", "datemodified", "dcterms.modified"})
_JSONLD = re.compile(r'"(datePublished|dateModified)"\s*:\s*"([^"]{8,40})"')


@dataclass(frozen=True)
class MetaTime:
    """An ISO timestamp from metadata: UTC value, zone label (None when the value has no zone)."""

    when: datetime
    tz_label: str | None

    @property
    def tz_known(self) -> bool:
        return self.tz_label is not None


def parse_iso(raw: str) -> tuple[datetime, date] | None:
    """Aware UTC datetime (naive values tagged UTC) and the calendar date in the value's own zone."""
    text = raw.strip().replace("Z", "+00:00").replace(" ", "T", 1)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    local_date = value.date()
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC), local_date
    return value.astimezone(UTC), local_date


def _zone_label(raw: str) -> str | None:
    match = re.search(r"(Z|[+-]\d{2}:?\d{2})$", raw.strip())
    if not match:
        return None
    label = match.group(1)
    if label == "Z":
        return "+00:00"
    return label if ":" in label else f"{label[:3]}:{label[3:]}"


def _has_time(raw: str) -> bool:
    return bool(re.search(r"\d[T ]\d{1,2}:\d{2}", raw))


def find_meta_times(html: str) -> tuple[str | None, str | None]:
    """Raw published and modified values found in meta tags or JSON-LD (first of each)."""
    head = html[:_SCAN_CHARS]
    published: str | None = None
    modified: str | None = None
    for tag in _META.finditer(head):
        attrs = {k.lower(): v.strip("\"'") for k, v in _ATTR.findall(tag.group(0))}
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        content = attrs.get("content") or attrs.get("datetime")
        if not content:
            continue
        if published is None and key in _PUBLISHED_KEYS:
            published = content
        elif modified is None and key in _MODIFIED_KEYS:
            modified = content
    for name, value in _JSONLD.findall(head):
        if name == "datePublished" and published is None:
            published = value
        elif name == "dateModified" and modified is None:
            modified = value
    return published, modified


def refine_with_time(html: str, day: date | None) -> tuple[MetaTime | None, MetaTime | None]:
    """(published, modified) with time of day; published only if it agrees with htmldate's ``day``."""
    raw_pub, raw_mod = find_meta_times(html)
    published = modified = None
    if raw_pub and _has_time(raw_pub):
        parsed = parse_iso(raw_pub)
        if parsed is not None and (day is None or parsed[1] == day):
            published = MetaTime(parsed[0], _zone_label(raw_pub))
    if raw_mod:
        parsed = parse_iso(raw_mod)
        if parsed is not None:
            modified = MetaTime(parsed[0], _zone_label(raw_mod))
    return published, modified
