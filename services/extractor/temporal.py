"""Date and time expressions, resolved against the article's reference time.

Why hand-written patterns instead of dateparser: news dates come in a handful
of shapes ("this Saturday, February 12", "on Thursday", "12 Feb 2022",
"11:04 am ET"), we need each mention's offsets and precision, and the rules for
weekdays and missing years depend on the article (its tense, whether its
publication time is known) — and a regex pass costs microseconds.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from services.extractor.timezones import ZONE_PATTERN, to_utc, zone
from shared.contracts import Precision, TemporalMention

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a few": 3, "several": 3, "a couple of": 2,
}  # fmt: skip

# Month and weekday names must be capitalised: "may", "march" and "sat" are ordinary words.
_MONTH = r"(?P<month>" + "|".join(sorted((m.capitalize() for m in MONTHS), key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_MOD = r"(?:(?P<mod>(?i:this|next|last|coming|past|on|by|until|from|since))\s+)?"
_PART = r"(?:\s+(?P<part>(?i:morning|afternoon|evening|night)))?"
_NUM = (
    r"(?P<num>\d{1,3}|(?i:a couple of|a few|several|an?|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve))"
)
_UNIT = r"(?P<unit>(?i:day|week|month|year))s?"

_FUTURE_CUE = re.compile(
    r"\b(?:will|shall|'ll|scheduled|plans?|planned|planning|expected|set to|due to (?!the\b)|upcoming|"
    r"going to|is to|are to|to be held|to hold|to meet|to talk|to speak|to visit|would)\b",
    re.IGNORECASE,
)
_PAST_CUE = re.compile(
    r"(?<!be )\b(?:said|says|told|wrote|citing|quoted|reported|announced|confirmed|stated|added|tweeted|held|"
    r"spoke|talked|met|was|were|had|did|ended|began|took place|killed|died|struck|hit|arrested|signed|agreed|"
    r"warned|visited)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?]['\"”’]?\s+(?=[A-Z\"“‘])|\n")
_QUOTES = '"“”'

#: Prepositions that introduce a date but are not part of it ("in June" → "June").
_PREPOSITION = re.compile(r"(?i:in|on|since|until|till|by|from|during|for|of|before|after)\s+")

Kind = Literal["absolute", "inferred_year", "relative", "time"]


@dataclass(frozen=True)
class Reference:
    """The moment relative expressions are resolved against.

    ``reliable`` is False when it is only the fetch time (or a publication time
    the cleaner itself took from the fetch): relative expressions then resolve,
    but must not be trusted as the article's event date. ``anchor_year`` is the
    year missing-year dates are placed near when the reference is unreliable:
    the latest year the text itself mentions, if any.
    """

    moment: datetime
    source: Literal["published_at", "fetched_at"]
    reliable: bool
    tz: tzinfo | None = None
    anchor_year: int | None = None

    @property
    def local(self) -> datetime:
        return self.moment.astimezone(self.tz or UTC)

    @property
    def today(self) -> date:
        return self.local.date()


@dataclass(frozen=True)
class Found:
    """A resolved temporal mention and what the event-date picker needs to know about it."""

    mention: TemporalMention
    kind: Kind
    quoted: bool
    weekday_checked: bool = False


@dataclass(frozen=True)
class _Value:
    when: datetime  # naive, local wall-clock time of the reference's zone unless ``tz`` says otherwise
    precision: Precision
    kind: Kind
    tz: tzinfo | None = None
    weekday_checked: bool = False


def _sentence(text: str, start: int, end: int) -> str:
    begin = 0
    for m in _SENTENCE_END.finditer(text, max(0, start - 400), start):
        begin = m.end()
    stop = _SENTENCE_END.search(text, end)
    return text[begin : stop.start() if stop else len(text)]


def _quoted(text: str, start: int) -> bool:
    """Whether ``start`` lies inside a quotation in its paragraph (odd number of quotes before it)."""
    para_start = text.rfind("\n", 0, start) + 1
    before = text[para_start:start]
    straight = before.count('"')
    return straight % 2 == 1 or before.count("“") > before.count("”")


def nearest_year(month: int, day: int, around: date) -> date | None:
    """The date with this month/day nearest to ``around`` (previous, same or next year)."""
    best: date | None = None
    for year in (around.year - 1, around.year, around.year + 1):
        try:
            cand = date(year, month, day)
        except ValueError:
            continue
        if best is None or abs((cand - around).days) < abs((best - around).days):
            best = cand
    return best


def _year_for_weekday(month: int, day: int, weekday: int, anchor: int) -> int | None:
    """The year nearest ``anchor`` in which month/day falls on ``weekday`` (within 6 years)."""
    for delta in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6):
        try:
            if date(anchor + delta, month, day).weekday() == weekday:
                return anchor + delta
        except ValueError:
            return None
    return None


class _Resolver:
    """Resolves one article's matches; holds the reference and the text for context rules."""

    def __init__(self, text: str, ref: Reference) -> None:
        self.text = text
        self.ref = ref

    def month_day(self, m: re.Match[str]) -> _Value | None:
        month = MONTHS[m.group("month").lower().rstrip(".")]
        day = int(m.group("day"))
        wd_name = m.groupdict().get("weekday")
        weekday = WEEKDAYS[wd_name.lower()] if wd_name else None
        if m.group("year"):
            try:
                return _Value(datetime(int(m.group("year")), month, day), Precision.DAY, "absolute")
            except ValueError:
                return None
        if not 1 <= day <= 31:
            return None
        if not self.ref.reliable and weekday is not None:
            year = _year_for_weekday(month, day, weekday, self.ref.anchor_year or self.ref.today.year)
            if year is not None:
                return _Value(datetime(year, month, day), Precision.DAY, "inferred_year", weekday_checked=True)
        found = self._year_near(month, day, m.start(), m.end())
        if found is None:
            return None
        checked = weekday is not None and found.weekday() == weekday
        return _Value(datetime.combine(found, time()), Precision.DAY, "inferred_year", weekday_checked=checked)

    def iso(self, m: re.Match[str]) -> _Value | None:
        try:
            when = datetime(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        except ValueError:
            return None
        return _Value(when, Precision.DAY, "absolute")

    def month_year(self, m: re.Match[str]) -> _Value | None:
        month = MONTHS[m.group("month").lower().rstrip(".")]
        return _Value(datetime(int(m.group("year")), month, 1), Precision.MONTH, "absolute")

    def month_only(self, m: re.Match[str]) -> _Value | None:
        month = MONTHS[m.group("month").lower().rstrip(".")]
        found = self._year_near(month, 15, m.start(), m.end())
        return None if found is None else _Value(datetime(found.year, month, 1), Precision.MONTH, "inferred_year")

    def year_only(self, m: re.Match[str]) -> _Value | None:
        return _Value(datetime(int(m.group("year")), 1, 1), Precision.YEAR, "absolute")

    def weekday(self, m: re.Match[str]) -> _Value | None:
        target = WEEKDAYS[m.group("weekday").lower()]
        mod = (m.group("mod") or "").lower()
        today = self.ref.today
        ahead = (target - today.weekday()) % 7
        behind = (today.weekday() - target) % 7
        if mod in ("this", "coming"):
            delta = ahead
        elif mod == "next":
            delta = ahead or 7
        elif mod in ("last", "past", "since"):
            delta = -(behind or 7)
        elif mod in ("by", "until"):
            delta = ahead
        elif ahead == 0:
            delta = 0
        else:
            future = self._future_context(m.start(), m.end())
            if future is None:
                future = ahead < behind
            delta = ahead if future else -behind
        return _Value(datetime.combine(today + timedelta(days=delta), time()), Precision.DAY, "relative")

    def _future_context(self, start: int, end: int) -> bool | None:
        """Whether a bare weekday points forward: a cue in the clause just before it, else in its sentence.

        ``None`` when nothing tells (then the nearest occurrence is meant).
        The words right before the expression decide first ("Peskov said on Friday" is past even
        in a sentence that goes on "the meeting will be held"); the whole sentence decides otherwise.
        """
        before = self.text[max(0, start - 45) : start]
        near_future = list(_FUTURE_CUE.finditer(before))
        near_past = list(_PAST_CUE.finditer(before))
        if near_future or near_past:
            last_future = near_future[-1].end() if near_future else -1
            last_past = near_past[-1].end() if near_past else -1
            return last_future > last_past
        sentence = _sentence(self.text, start, end)
        future, past = bool(_FUTURE_CUE.search(sentence)), bool(_PAST_CUE.search(sentence))
        if future != past:
            return future
        return None

    def _year_near(self, month: int, day: int, start: int, end: int) -> date | None:
        """The year of a date written without one: nearest to the reference, or the tense's side of it.

        With a reliable reference, a past-tense sentence ("they met in June") takes the latest
        such date not after the reference, a future one ("talks planned for January 10") the
        earliest not before it; otherwise (and for undated articles) the nearest one.
        """
        if not self.ref.reliable:
            around = date(self.ref.anchor_year, 7, 1) if self.ref.anchor_year else self.ref.today
            return nearest_year(month, day, around)
        today = self.ref.today
        nearest = nearest_year(month, day, today)
        if nearest is None:
            return None
        sentence = _sentence(self.text, start, end)
        future = bool(_FUTURE_CUE.search(sentence))
        past = bool(_PAST_CUE.search(sentence))
        if future == past or abs((nearest - today).days) <= 31:
            return nearest
        try:
            if future and nearest < today:
                return nearest.replace(year=nearest.year + 1)
            if past and nearest > today:
                return nearest.replace(year=nearest.year - 1)
        except ValueError:
            return nearest
        return nearest

    def relative_day(self, m: re.Match[str]) -> _Value | None:
        word = " ".join(m.group(0).lower().split())
        today = self.ref.today
        if "day before yesterday" in word:
            delta = -2
        elif "day after tomorrow" in word:
            delta = 2
        elif "yesterday" in word or word.startswith("last night"):
            delta = -1
        elif "tomorrow" in word:
            delta = 1
        else:
            delta = 0
        return _Value(datetime.combine(today + timedelta(days=delta), time()), Precision.DAY, "relative")

    def relative_period(self, m: re.Match[str]) -> _Value | None:
        mod = m.group("pmod").lower()
        unit = m.group("punit").lower()
        step = {"this": 0, "coming": 1, "next": 1, "last": -1, "past": -1}[mod]
        today = self.ref.today
        if unit in ("week", "weekend"):
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=step)
            start = monday + timedelta(days=5) if unit == "weekend" else monday
            return _Value(datetime.combine(start, time()), Precision.WEEK, "relative")
        if unit == "month":
            index = today.year * 12 + today.month - 1 + step
            return _Value(datetime(index // 12, index % 12 + 1, 1), Precision.MONTH, "relative")
        return _Value(datetime(today.year + step, 1, 1), Precision.YEAR, "relative")

    def offset(self, m: re.Match[str]) -> _Value | None:
        raw = m.group("num").lower()
        count = int(raw) if raw.isdigit() else NUMBER_WORDS.get(raw, 1)
        unit = m.group("unit").lower()
        sign = -1 if m.group(0).lower().endswith("ago") else 1
        today = self.ref.today
        if unit == "day":
            return _Value(datetime.combine(today + timedelta(days=sign * count), time()), Precision.DAY, "relative")
        if unit == "week":
            return _Value(datetime.combine(today + timedelta(weeks=sign * count), time()), Precision.WEEK, "relative")
        if unit == "month":
            index = today.year * 12 + today.month - 1 + sign * count
            return _Value(datetime(index // 12, index % 12 + 1, 1), Precision.MONTH, "relative")
        return _Value(datetime(today.year + sign * count, 1, 1), Precision.YEAR, "relative")

    def clock(self, m: re.Match[str]) -> _Value | None:
        hour = int(m.group("h"))
        minute = int(m.group("min") or 0)
        ampm = (m.group("ampm") or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            return None
        tz = zone(m.group("tz")) if m.group("tz") else None
        day = self._day_context(m.start(), tz)
        precision = Precision.MINUTE if m.group("min") else Precision.HOUR
        return _Value(datetime.combine(day, time(hour, minute)), precision, "time", tz=tz)

    def _day_context(self, start: int, tz: tzinfo | None) -> date:
        """The day a bare clock time belongs to: a date written just before it, else the reference day."""
        window = self.text[max(0, start - 250) : start]
        best: date | None = None
        for m in _DATE_CONTEXT.finditer(window):
            value = self.month_day(m)
            if value is not None:
                best = value.when.date()
        if best is not None:
            return best
        after = _DAY_AFTER.match(self.text, start)
        if after is not None:
            dated = _DATE_CONTEXT.search(self.text, start, after.end())
            named = _WEEKDAY_CONTEXT.search(self.text, start, after.end())
            value = self.month_day(dated) if dated else self.weekday(named) if named else None
            if value is not None:
                return value.when.date()
        return self.ref.moment.astimezone(tz or self.ref.tz or UTC).date()


_DATE_CONTEXT = re.compile(rf"(?:{_WEEKDAY},?\s+)?{_MONTH}\s+{_DAY}\b(?:,?\s+{_YEAR})?")
_WEEKDAY_CONTEXT = re.compile(rf"{_MOD}{_WEEKDAY}")
#: A clock time's own clause, up to 60 characters after it ("at 14:30 CET on Friday").
_DAY_AFTER = re.compile(r"[^.;!?\n]{0,60}")

Handler = Callable[[_Resolver, "re.Match[str]"], "_Value | None"]

#: (pattern, handler), most specific first: on overlap the earlier, then longer match wins.
PATTERNS: list[tuple[re.Pattern[str], Handler]] = [
    (re.compile(r"\b(?P<y>(?:19|20)\d{2})-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b"), _Resolver.iso),
    (
        re.compile(rf"\b{_MOD}(?:{_WEEKDAY},?\s+)?{_MONTH}\s+{_DAY}(?!\d)(?!:)(?:,?\s+{_YEAR}\b)?"),
        _Resolver.month_day,
    ),
    (
        re.compile(rf"\b{_MOD}(?:{_WEEKDAY},?\s+)?(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTH}(?:,?\s+{_YEAR}\b)?"),
        _Resolver.month_day,
    ),
    (re.compile(rf"\b{_MONTH}\s+(?:of\s+)?{_YEAR}\b"), _Resolver.month_year),
    (
        re.compile(
            r"\b(?P<h>[01]?\d|2[0-3])(?:[:.](?P<min>[0-5]\d))?\s*(?P<ampm>(?i:a\.?m\.?|p\.?m\.?))?"
            rf"(?:\s*\(?(?P<tz>{ZONE_PATTERN})\b)?"
        ),
        _Resolver.clock,
    ),
    (
        re.compile(
            r"\b(?i:the day (?:before yesterday|after tomorrow)|(?:yesterday|tomorrow)(?:\s*,?\s*"
            r"(?:morning|afternoon|evening|night))?|today|tonight|last night|this (?:morning|afternoon|evening))\b"
        ),
        _Resolver.relative_day,
    ),
    (re.compile(rf"\b{_MOD}{_WEEKDAY}{_PART}\b"), _Resolver.weekday),
    (
        re.compile(
            r"\b(?:(?i:early|late|mid-?|end of|beginning of)\s+)?(?P<pmod>(?i:this|next|last|past|coming))\s+"
            r"(?P<punit>(?i:week|weekend|month|year))\b"
        ),
        _Resolver.relative_period,
    ),
    (re.compile(rf"\b(?i:in\s+)?{_NUM}\s+{_UNIT}(?:\s+(?i:ago)|(?<=s)\s+(?i:from now))?\b"), _Resolver.offset),
    (
        re.compile(
            r"\b(?i:in|since|until|till|by|from|during|for|of|early|late|mid-?|end of|beginning of)\s+"
            rf"{_MONTH}(?!\s+\d)\b"
        ),
        _Resolver.month_only,
    ),
    (
        re.compile(rf"\b(?i:in|since|until|till|by|from|during|before|after|of|early|late)\s+{_YEAR}\b"),
        _Resolver.year_only,
    ),
]


def _accept_clock(m: re.Match[str]) -> bool:
    """Bare numbers are not times: require minutes, am/pm or a zone ("11:04 am ET", "5 pm", "14:00 GMT")."""
    return bool((m.group("min") and (":" in m.group(0))) or m.group("ampm") or (m.group("tz") and m.group("min")))


def _accept_offset(m: re.Match[str]) -> bool:
    """Durations are not dates: only "N units ago", "in N units" and "N units from now" are."""
    text = m.group(0).lower()
    return text.endswith("ago") or text.startswith("in ") or text.endswith("from now")


def find_temporals(text: str, ref: Reference) -> list[Found]:
    """Every date/time mention of ``text`` with its resolved UTC value, in text order."""
    resolver = _Resolver(text, ref)
    scanner = Scanner(text)
    candidates: list[tuple[int, int, re.Match[str], Handler]] = []
    for pattern, handler in PATTERNS:
        for m in scanner.matches(pattern):
            if handler is _Resolver.clock and not _accept_clock(m):
                continue
            if handler is _Resolver.offset and not _accept_offset(m):
                continue
            start, end = m.span()
            if m.groupdict().get("mod") and m.group("mod").lower() in ("on", "by", "until", "from", "since"):
                start = m.start("mod") + len(m.group("mod")) + 1
            lead_in = _PREPOSITION.match(text, start, end)
            if lead_in:
                start = lead_in.end()
            candidates.append((start, end, m, handler))
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    out: list[Found] = []
    last_end = -1
    for start, end, m, handler in candidates:
        if start < last_end:
            continue
        value = handler(resolver, m)
        if value is None:
            continue
        last_end = end
        local_tz = value.tz or ref.tz
        utc_value = to_utc(value.when, local_tz) if value.kind == "time" else value.when.replace(tzinfo=UTC)
        source: Literal["absolute", "published_at", "fetched_at"] = (
            "absolute" if value.kind == "absolute" else ref.source
        )
        mention = TemporalMention(
            text=text[start:end].strip(),
            start=start,
            end=end,
            value=utc_value,
            precision=value.precision,
            reference=source,
        )
        out.append(Found(mention, value.kind, _quoted(text, start), value.weekday_checked))
    return out


# Most patterns start with an optional lead-in ("this", "on Saturday,"), which ``re`` cannot
# skip ahead for: ``finditer`` tried them at every character of the text, and that was most of
# the extractor's rule time. Each such pattern gets a *cue*, a word that every match contains
# and that a plain scan finds fast, and the most words a match can have before it. The pattern
# is then tried (``match``) only at the word starts from that many words before each cue up to
# the cue. ``Scanner.matches`` returns exactly what ``finditer`` returns; a test compares them on
# real and generated text.
_MONTH_CUE = re.compile(r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec")
CUES: dict[re.Pattern[str], tuple[re.Pattern[str], int]] = {
    PATTERNS[1][0]: (_MONTH_CUE, 2),  # [mod] [weekday,] Month day
    PATTERNS[2][0]: (_MONTH_CUE, 5),  # [mod] [weekday,] [the] day [of] Month
    PATTERNS[3][0]: (_MONTH_CUE, 0),  # Month [of] year
    PATTERNS[5][0]: (re.compile(r"(?=[DdTtNn])(?i:day|tomorrow|tonight|night|this)"), 2),  # yesterday, last night
    PATTERNS[6][0]: (re.compile(r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"), 1),
    PATTERNS[7][0]: (re.compile(r"(?=[TtNnLlPpCc])(?i:this|next|last|past|coming)"), 2),  # end of this week
    PATTERNS[8][0]: (re.compile(r"(?=[DdWwMmYy])(?i:day|week|month|year)"), 4),  # [in] a couple of days
    PATTERNS[9][0]: (_MONTH_CUE, 2),  # [end of] Month
    PATTERNS[10][0]: (re.compile(r"(?:19|20)\d\d"), 1),  # [in] year
}
_WORD_START = re.compile(r"\b\w")


def _words_back(text: str, i: int, words: int) -> int:
    """The index ``words`` whitespace-separated words before ``i`` (or 0)."""
    for _ in range(words):
        while i > 0 and text[i - 1].isspace():
            i -= 1
        while i > 0 and not text[i - 1].isspace():
            i -= 1
    return i


class Scanner:
    """The matches of each pattern in one text (its word starts are found once)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [m.start() for m in _WORD_START.finditer(text)]

    def matches(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """``pattern.finditer(text)``; only near the pattern's cues when it has one.

        Every pattern here starts with ``\\b`` and a word character, so a match starts at
        a word start, at most ``words`` words before the first cue it contains.
        """
        cue = CUES.get(pattern)
        if cue is None:
            yield from pattern.finditer(self.text)
            return
        cue_pattern, words = cue
        text, starts = self.text, self.starts
        pos = tested = 0
        for hit in cue_pattern.finditer(text):
            at = hit.start()
            if at < pos:
                continue
            i = bisect_left(starts, max(pos, tested, _words_back(text, at, words)))
            while i < len(starts) and starts[i] <= at:
                if starts[i] >= pos:
                    m = pattern.match(text, starts[i])
                    if m is not None:
                        yield m
                        pos = max(m.end(), starts[i] + 1)
                i += 1
            tested = at + 1


_EXPLICIT_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def latest_year(text: str, not_after: int) -> int | None:
    """The latest plausible year written in the text (≤ ``not_after``): the anchor for undated articles."""
    years = [int(y) for y in _EXPLICIT_YEAR.findall(text) if 1990 <= int(y) <= not_after]
    return max(years) if years else None
