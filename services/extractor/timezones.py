"""Time-zone abbreviations used in news text, resolved with the IANA database.

Why zoneinfo rather than fixed offsets: "ET" is UTC-5 in February and UTC-4 in
July; only the tz database knows which applies on a given date. Fixed offsets
are the fallback when the database is missing on the host.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Abbreviation (upper case) → (IANA zone, fixed fallback offset in minutes).
ZONES: dict[str, tuple[str | None, int]] = {
    "UTC": (None, 0),
    "GMT": (None, 0),
    "Z": (None, 0),
    "ET": ("America/New_York", -300),
    "EST": (None, -300),
    "EDT": (None, -240),
    "CT": ("America/Chicago", -360),
    "CST": (None, -360),
    "CDT": (None, -300),
    "MT": ("America/Denver", -420),
    "MST": (None, -420),
    "MDT": (None, -360),
    "PT": ("America/Los_Angeles", -480),
    "PST": (None, -480),
    "PDT": (None, -420),
    "BST": (None, 60),
    "WET": ("Europe/Lisbon", 0),
    "CET": ("Europe/Berlin", 60),
    "CEST": (None, 120),
    "EET": ("Europe/Kyiv", 120),
    "EEST": (None, 180),
    "MSK": ("Europe/Moscow", 180),
    "MOSCOW TIME": ("Europe/Moscow", 180),
    "KYIV TIME": ("Europe/Kyiv", 120),
    "IST": ("Asia/Kolkata", 330),
    "PKT": ("Asia/Karachi", 300),
    "JST": ("Asia/Tokyo", 540),
    "KST": ("Asia/Seoul", 540),
    "HKT": ("Asia/Hong_Kong", 480),
    "SGT": ("Asia/Singapore", 480),
    "AEST": (None, 600),
    "AEDT": (None, 660),
}

#: Regex alternation of the abbreviations, longest first (for "CEST" before "CET").
ZONE_PATTERN = "|".join(sorted((re.escape(z).replace(r"\ ", r"\s") for z in ZONES if z != "Z"), key=len, reverse=True))

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$", re.IGNORECASE)


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo | None:
    """The tzinfo for an abbreviation ("ET", "IST") or an offset ("+05:30", "UTC-4"); ``None`` if unknown."""
    text = " ".join(name.strip().split()).upper()
    match = _OFFSET.match(text)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
        return timezone(sign * timedelta(minutes=minutes))
    entry = ZONES.get(text)
    if entry is None:
        return None
    iana, fallback = entry
    if iana is not None:
        try:
            return ZoneInfo(iana)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC if fallback == 0 else timezone(timedelta(minutes=fallback))


def to_utc(naive: datetime, tz: tzinfo | None) -> datetime:
    """Interpret a naive wall-clock time in ``tz`` (UTC when unknown) and convert it to UTC."""
    return naive.replace(tzinfo=tz or UTC).astimezone(UTC)
