"""Quantities: a number, what it counts or measures, and its qualifier.

Why rules: the figures that tie articles about one event together ("more than
100,000 troops", "14,000 people dead", "a 50-minute call") follow a few
shapes; a regex pass handles digit grouping (including the Indian "1,35,000"),
scale words, number words and compound durations, and it is fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from shared.contracts import Quantity

SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a": 1, "an": 1,
    "a dozen": 12, "dozens of": 24, "hundreds of": 200, "thousands of": 2000, "tens of thousands of": 20000,
}  # fmt: skip
SCALES = {
    "hundred": 1e2, "thousand": 1e3, "lakh": 1e5, "lakhs": 1e5, "million": 1e6, "mn": 1e6, "m": 1e6,
    "crore": 1e7, "crores": 1e7, "billion": 1e9, "bn": 1e9, "trillion": 1e12,
}  # fmt: skip
QUALIFIERS = (
    "more than", "over", "about", "around", "nearly", "almost", "at least", "up to", "some", "approximately",
    "roughly", "fewer than", "less than", "at most", "an estimated", "estimated", "close to", "as many as",
    "upwards of", "under", "just over", "just under", "only", "exactly", "another", "an additional",
)  # fmt: skip
POST_QUALIFIERS = ("more", "additional", "extra", "fewer", "new")
TIME_UNITS = {
    "second": "second", "seconds": "second", "minute": "minute", "minutes": "minute", "hour": "hour",
    "hours": "hour", "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month",
    "months": "month", "year": "year", "years": "year",
}  # fmt: skip
MEASURE_UNITS = {
    "km": "km", "kilometres": "km", "kilometers": "km", "kilometre": "km", "kilometer": "km", "miles": "mile",
    "mile": "mile", "kg": "kg", "kilograms": "kg", "tonnes": "tonne", "tons": "ton", "metres": "m",
    "meters": "m", "percent": "percent", "per cent": "percent", "%": "percent", "magnitude": "magnitude",
}  # fmt: skip
CURRENCIES = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "₹": "INR", "Rs": "INR", "Rs.": "INR"}
_SKIP_ADJ = {
    "more", "additional", "extra", "new", "armed", "military", "civilian", "foreign", "other", "local",
    "former", "active", "young", "elderly", "unarmed", "innocent", "russian", "ukrainian", "american",
    "us", "u.s.", "nato", "british", "chinese", "indian", "israeli", "palestinian", "german", "french",
    "troop", "combat", "regular", "reserve", "non-essential", "essential", "registered", "eligible",
}  # fmt: skip
_ADJ_SUFFIXES = ("ous", "ful", "less", "ive", "ical")
_STOP = {
    "the", "a", "an", "of", "in", "on", "at", "to", "and", "or", "for", "by", "with", "from", "as", "is", "are",
    "was", "were", "be", "that", "this", "it", "its", "their", "his", "her", "per", "than", "into", "after",
    "before", "since", "who", "which", "have", "has", "had", "will", "would", "said", "says",
}  # fmt: skip

_WORD_NUM = "|".join(sorted((re.escape(w) for w in SMALL if w not in ("a", "an")), key=len, reverse=True))
_DURATION_NUM = "|".join(sorted((re.escape(w) for w in SMALL), key=len, reverse=True))
_MAGNITUDE_BEFORE = re.compile(r"(?i)magnitude[\s-]*$")
_SCALE = r"(?:\s*(?P<scale>hundred|thousand|lakhs?|million|crores?|billion|trillion|mn|bn)\b)?"
_QUAL = "|".join(sorted((re.escape(q) for q in QUALIFIERS), key=len, reverse=True))
_CURRENCY = r"(?P<cur>US\$|\$|€|£|₹|Rs\.?\s?)?"
_NUMBER = re.compile(
    rf"(?:(?P<qual>(?i:{_QUAL}))\s+)?{_CURRENCY}"
    rf"(?P<num>(?<![\w.,:/])\d{{1,3}}(?:,\d{{2,3}})+(?:\.\d+)?(?![\d:])|(?<![\w.,:/])\d+(?:\.\d+)?(?![\d:])|"
    rf"\b(?i:{_WORD_NUM})\b)"
    rf"(?:-(?P<high>\d+(?:\.\d+)?))?{_SCALE}"
    rf"(?:(?P<pct>\s?%|\s+per\s?cent\b|\s+percent\b))?"
    r"(?P<hyph>-(?=[a-z]))?"
    r"(?(hyph)|(?![A-Za-z]))"
)
#: Where a number itself can start (the ``num`` alternatives of ``_NUMBER``); cheap to scan for.
_NUMBER_CORE = re.compile(rf"(?<![\w.,:/])\d|\b(?i:{_WORD_NUM})\b")
#: Longest qualifier + currency + spacing that can precede a number in one ``_NUMBER`` match.
_MAX_PREFIX = max(len(q) for q in QUALIFIERS) + 40
_NEXT_WORD = re.compile(r"\s*([A-Za-z][A-Za-z.'-]*)")
_DURATION = re.compile(
    rf"\b(?P<a>\d+|{_DURATION_NUM})\s+(?P<u1>hours?|minutes?)\s+and\s+(?P<b>\d+|{_DURATION_NUM})\s+(?P<u2>minutes?|seconds?)\b",
    re.IGNORECASE,
)
_ORDINAL_AFTER = re.compile(r"^(?:st|nd|rd|th)\b")


def _number_matches(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_NUMBER.finditer(text)``, found faster: the pattern's optional leading
    qualifier makes the engine try it at every position, so each search starts only a short way
    before the next place a number can start (no match can start earlier: every match holds a
    number, and what may precede it is at most ``_MAX_PREFIX`` characters)."""
    end = 0
    while (core := _NUMBER_CORE.search(text, end)) is not None:
        m = _NUMBER.search(text, max(end, core.start() - _MAX_PREFIX))
        if m is None:
            return
        yield m
        end = max(m.end(), m.start() + 1)


def _number(raw: str) -> float | None:
    low = raw.lower()
    if low in SMALL:
        return float(SMALL[low])
    try:
        return float(raw.replace(",", ""))
    except ValueError:
        return None


def _unit_after(text: str, pos: int) -> tuple[str | None, str | None, int]:
    """(unit, post-qualifier, end) for the words after a number: skips adjectives, takes the noun."""
    post: str | None = None
    end = pos
    for _ in range(3):
        m = _NEXT_WORD.match(text, end)
        if m is None:
            return None, post, end
        word = m.group(1).rstrip(".")
        low = word.lower()
        word_end = m.start(1) + len(word)
        if low in POST_QUALIFIERS and post is None and low != "new":
            post, end = low, word_end
            continue
        if low in TIME_UNITS:
            return TIME_UNITS[low], post, word_end
        if low in MEASURE_UNITS:
            return MEASURE_UNITS[low], post, word_end
        if low in _STOP:
            return None, post, end
        if low in _SKIP_ADJ or (low.endswith(_ADJ_SUFFIXES) and len(low) > 5):
            end = word_end
            continue
        if word[0].isupper():
            return None, post, pos
        # "three submarine cables": a singular modifier followed by a plural noun counts the noun.
        nxt = _NEXT_WORD.match(text, word_end)
        if nxt is not None and not low.endswith("s"):
            follow = nxt.group(1).rstrip(".").lower()
            if follow.endswith("s") and not follow.endswith("ss") and follow not in _STOP and follow.isalpha():
                return follow, post, nxt.start(1) + len(follow)
        return low, post, word_end
    return None, post, end


def find_quantities(text: str, exclude: Sequence[tuple[int, int]] = ()) -> list[Quantity]:
    """Quantities of ``text`` outside the ``exclude`` spans (dates and times already claimed)."""
    taken = sorted(exclude)
    out: list[Quantity] = []

    def overlaps(start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in taken)

    for m in _DURATION.finditer(text):
        a, b = _number(m.group("a")), _number(m.group("b"))
        if a is None or b is None or overlaps(m.start(), m.end()):
            continue
        smaller = "minute" if m.group("u1").lower().startswith("hour") else "second"
        out.append(Quantity(text=m.group(0), value=a * 60 + b, unit=smaller, start=m.start(), end=m.end()))
        taken.append((m.start(), m.end()))
    for m in _number_matches(text):
        start, num_end = m.start(), m.end()
        raw = m.group("num")
        if overlaps(start, num_end) or _ORDINAL_AFTER.match(text, m.end("num")):
            continue
        parsed = _number(raw)
        if parsed is None:
            continue
        value = parsed
        if m.group("scale"):
            value *= SCALES[m.group("scale").lower()]
        unit: str | None
        if m.group("pct"):
            unit, post, end = "percent", None, num_end
        elif m.group("cur"):
            unit, post, end = CURRENCIES.get(m.group("cur").strip(), "USD"), None, num_end
        elif _MAGNITUDE_BEFORE.search(text, max(0, start - 12), start):
            unit, post, end = "magnitude", None, num_end
        else:
            unit, post, end = _unit_after(text, num_end)
        is_word = not raw[0].isdigit()
        if unit is None and (is_word or m.group("qual") is None):
            continue  # a bare number ("the two", "2014") says nothing by itself
        if raw.isdigit() and len(raw) == 4 and 1900 <= value <= 2100 and not (unit or "").endswith("s"):
            continue  # a year, not a count
        qualifier = m.group("qual").lower() if m.group("qual") else post
        if m.group("high"):
            qualifier = f"{qualifier} range" if qualifier else "range"
        out.append(Quantity(text=text[start:end], value=value, unit=unit, qualifier=qualifier, start=start, end=end))
        taken.append((start, end))
    out.sort(key=lambda q: q.start)
    return out
