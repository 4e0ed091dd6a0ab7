"""Publication and update stamps written in the text of scraped articles.

Scraped pages carry their dates as short lines ("Published 08:16 IST, February
12th 2022", "Just Earth News | 12 Feb 2022, 02:46 pm"). Parsing is done with
explicit patterns rather than a general date parser because only stamp-shaped
lines may be used (a date inside a paragraph is an event date, not a
publication date) and because the time-zone abbreviation decides the UTC value.

Time-zone policy: an abbreviation or numeric offset found in the stamp is
converted with the table below and the result is stored in UTC with
``tz_known=True``. Without one, the wall time is kept *as if* it were UTC and
``tz_known=False``: consumers must then treat the value as accurate to about a
day. Ambiguous abbreviations take their most frequent meaning in English news
(IST = India, CST = US Central, BST = British Summer Time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

#: Month abbreviations (and "sept") to month numbers.
MONTHS: dict[str, int] = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip

# Offsets in minutes east of UTC.
TZ_OFFSETS: dict[str, int] = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 60, "IST": 330, "CET": 60, "CEST": 120,
    "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180, "PKT": 300, "NPT": 345,
    "BDT": 360, "ICT": 420, "WIB": 420, "SGT": 480, "HKT": 480, "PHT": 480, "AWST": 480,
    "CST": -360, "CDT": -300, "EST": -300, "EDT": -240, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600, "AST": -240,
    "JST": 540, "KST": 540, "ACST": 570, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
    "SAST": 120, "WAT": 60, "CAT": 120, "EAT": 180, "GST": 240, "PET": -300, "BRT": -180, "ART": -180,
}  # fmt: skip
# US "ET/CT/PT" without daylight information: standard offset is the usual reading in feeds.
TZ_OFFSETS.update({"ET": -300, "CT": -360, "MT": -420, "PT": -480})
# German names of Central European (Summer) Time.
TZ_OFFSETS.update({"MEZ": 60, "MESZ": 120})

_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DATE_PATTERNS = (
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)-(?P<mon>[01]?\d)-(?P<day>[0-3]?\d)(?!\d)"),
    # Day-first dotted dates (12.02.2022) as written across continental Europe.
    re.compile(r"(?<![\d.])(?P<day>[0-3]?\d)\.\s?(?P<mon>[01]?\d)\.\s?(?P<year>(?:19|20)\d\d)(?![\d.])"),
)
_TIME = re.compile(
    r"(?<![\d:])(?P<h>[0-2]?\d)(?::\s?|\.)(?P<m>[0-5]\d)(?::[0-5]\d(?:\.\d+)?)?\s*(?P<ampm>[aApP]\.?\s?[mM]\.?)?"
    r"(?:\s*\(?(?P<tz>[A-Z]{1,4}T|UTC|GMT|Z|ET|CT|PT|MT|WIB|MSK|MEZ|MESZ)\b\)?"
    r"|\s*(?P<off>(?:UTC|GMT)?\s*[+-]\s?[01]?\d(?::?[0-5]\d)?))?",
)
# Stamp keywords in English and a few other major news languages (de, fr, es, it, pt, nl).
_PUBLISHED = re.compile(
    r"^\s*(?:first\s+)?(?:published|posted|released|date|veröffentlicht|publié|publicado|pubblicato|gepubliceerd)\b"
    r"\s*(?:on|at|am|le|el|em|il|op)?\s*:?",
    re.IGNORECASE,
)
_UPDATED = re.compile(
    r"^\s*(?:last\s+)?(?:updated|modified|edited|aktualisiert|mis\s+à\s+jour|actualizado|atualizado|aggiornato"
    r"|bijgewerkt)\b\s*(?:on|at|am|le|el|em|il|op)?\s*:?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Stamp:
    """A date read from a stamp line: UTC when ``tz_known``, naive wall time tagged UTC otherwise."""

    when: datetime
    tz_label: str | None
    tz_known: bool
    has_time: bool


def _parse_date(text: str) -> tuple[int, int, int, int, int] | None:
    """(year, month, day, start, end) of the first plausible date in ``text``."""
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            mon_raw = match.group("mon").lower().rstrip(".")
            month = (
                int(mon_raw)
                if mon_raw.isdigit()
                else MONTHS.get(mon_raw[:4] if mon_raw.startswith("sept") else mon_raw[:3])
            )
            day = int(match.group("day"))
            year = int(match.group("year"))
            if month and 1 <= month <= 12 and 1 <= day <= 31:
                try:
                    datetime(year, month, day)
                except ValueError:
                    continue
                return year, month, day, match.start(), match.end()
    return None


def _parse_offset(raw: str) -> int | None:
    match = re.search(r"([+-])\s?([01]?\d)(?::?([0-5]\d))?", raw)
    if not match:
        return None
    minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
    if minutes > 14 * 60:
        return None
    return minutes if match.group(1) == "+" else -minutes


def parse_stamp(text: str) -> Stamp | None:
    """Parse a stamp such as "Published 08:16 IST, February 12th 2022"; None without a date."""
    found = _parse_date(text)
    if found is None:
        return None
    year, month, day, dstart, dend = found
    rest = text[:dstart] + " " + text[dend:]
    hour = minute = 0
    has_time = False
    tz_label: str | None = None
    offset: int | None = None
    for match in _TIME.finditer(rest):
        h, m = int(match.group("h")), int(match.group("m"))
        ampm = (match.group("ampm") or "").replace(".", "").lower()
        if ampm == "pm" and h < 12:
            h += 12
        elif ampm == "am" and h == 12:
            h = 0
        if h > 23:
            continue
        hour, minute, has_time = h, m, True
        if match.group("tz") and match.group("tz").upper() in TZ_OFFSETS:
            tz_label = match.group("tz").upper()
            offset = TZ_OFFSETS[tz_label]
        elif match.group("off"):
            offset = _parse_offset(match.group("off"))
            if offset is not None:
                sign = "+" if offset >= 0 else "-"
                tz_label = f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
        break
    wall = datetime(year, month, day, hour, minute)
    if offset is None:
        return Stamp(wall.replace(tzinfo=UTC), None, False, has_time)
    aware = wall.replace(tzinfo=timezone(timedelta(minutes=offset)))
    return Stamp(aware.astimezone(UTC), tz_label, True, has_time)


_RELATIVE = re.compile(r"\b(?:ago|yesterday|today|just now)\b", re.IGNORECASE)


def stamp_kind(line: str) -> str | None:
    """'published', 'updated' or 'relative' (no usable date) for stamp lines, else None."""
    if len(line) > 120:
        return None
    if (_UPDATED.match(line) or _PUBLISHED.match(line)) and _RELATIVE.search(line):
        return "relative"
    if _UPDATED.match(line):
        return "updated" if _parse_date(line) else None
    if _PUBLISHED.match(line):
        return "published" if _parse_date(line) else None
    return None


def header_stamp(line: str) -> Stamp | None:
    """A date with a time in a short header line ("Outlet | @handle | 12 Feb 2022, 02:46 pm")."""
    if len(line) > 160:
        return None
    stamp = parse_stamp(line)
    if stamp is None or not stamp.has_time:
        return None
    return stamp
