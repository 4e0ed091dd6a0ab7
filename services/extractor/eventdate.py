"""The date of the article's main event and whether the article announces or reports it.

Why scoring instead of "first date wins": articles mention background dates
("Before that, on December 7, they held a video conference") and carry
publication stamps and tweet signatures. News puts the main event up front, so
candidates are weighted by position and kind, stamp lines are ignored, dates
inside quotes count less (they are relative to when the quote was said), and
votes for the same day add up.

Dates long before the article's own time (more than ``BACKGROUND_DAYS``) are
background ("born on March 29, 1928", "the 1972 break-in"): they count less, and
when nothing else is left the event date is unknown rather than decades old.

Relative expressions ("on Thursday", "tomorrow") are only usable when the
publication time is known: resolving them against the fetch time would invent
a date, so they are then skipped and the event date stays unknown unless the
text gives an explicit date.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from services.extractor.temporal import Found, Reference, find_temporals
from shared.contracts import EventDate, Precision, Tense

_STAMP_LINE = re.compile(
    r"(?i)\b(?:published|updated|posted|last modified|first published|print edition)\b|\|\s|^\s*[—–-]\s|@\w|©"
)
_DAY_PRECISIONS = {Precision.DAY, Precision.HOUR, Precision.MINUTE}
_COARSE_PRECISIONS = {Precision.WEEK, Precision.MONTH}
_KIND_WEIGHT = {"absolute": 1.0, "inferred_year": 0.95, "relative": 0.85, "time": 0.6}
LEAD_CHARS = 700
TITLE_WEIGHT = 2.0
#: A reporting verb shortly before a date, in the same clause ("citing Peskov on Friday").
_REPORTING_BEFORE = re.compile(
    r"\b(?:said|saying|says|citing|told|quoted|according\s+to|stated|announced|confirmed|reported|wrote|tweeted|"
    r"added|statement)\b[^.;:\n\"“”]{0,40}$",
    re.IGNORECASE,
)
#: Dates more than this many days before the article's time are background, not its event.
BACKGROUND_DAYS = 60

FUTURE_CUES = re.compile(
    r"\b(?:will|shall|won't|'ll|scheduled|plans?\s+to|planned|planning|expected\s+to|set\s+to|is\s+to|are\s+to|"
    r"to\s+be\s+held|upcoming|due\s+to\s+(?!the\b)|going\s+to|"
    r"to\s+(?:hold|talk|meet|speak|visit|host|sign|attend|discuss|travel|announce|vote|launch|open))\b",
    re.IGNORECASE,
)
PAST_CUES = re.compile(
    r"\b(?:held|spoke|talked|met|discussed|told|warned|agreed|signed|ended|began|took\s+place|had\s+a|killed|died|"
    r"struck|hit|was\s+held|were\s+held|arrested|urged|attacked|launched|won|lost|elected|voted|"
    r"visited|hosted|collapsed|exploded|erupted|rose|fell|went|came|gave|took|made|fled|left|sent|shot|caught|"
    r"found|broke|ran|saw|became|brought|built|chose|drove|fought|flew|froze|grew|knew|led|paid|sank|sold|spent|"
    r"stole|threw|wrote|sought|swept|tore|wore|withdrew)\b",
    re.IGNORECASE,
)


#: Regular past forms ("captured", "devastated") not used as adjectives or passives after "the/a/be/to".
_REGULAR_PAST = re.compile(r"(?<!\bthe )(?<!\ba )(?<!\ban )(?<!\bto )(?<!\bbe )(?<!\bis )(?<!\bare )\b([a-z]{3,}ed)\b")
_NOT_PAST = frozenset(
    {"scheduled", "planned", "expected", "united", "armed", "based", "alleged", "related", "proposed", "advanced",
     "limited", "detailed", "concerned", "interested", "supposed", "need", "indeed", "speed", "feed", "seed"}
)  # fmt: skip
#: Present perfect ("has caught", "have agreed"): a completed event.
_PERFECT = re.compile(r"\b(?:has|have)\s+(?:been\s+)?(?!to\b)[a-z]{3,}\b", re.IGNORECASE)


def _past_score(text: str) -> float:
    regular = sum(1 for m in _REGULAR_PAST.finditer(text) if m.group(1).lower() not in _NOT_PAST)
    return len(PAST_CUES.findall(text)) + len(_PERFECT.findall(text)) + 0.5 * regular


def _stamp_line(text: str, start: int, end: int) -> bool:
    """Whether the mention sits in a byline/dateline/signature rather than in the story's prose.

    Such lines ("Published 08:16 IST, …", "May 03, 2013" alone, "— The White House (@WhiteHouse) …")
    date the *document*, not the event.
    """
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    return bool(_STAMP_LINE.search(line)) or (end - start) >= 0.7 * len(line.strip())


def _article_now(found: Sequence[Found], ref: Reference) -> date | None:
    """The article's own time: its publication day, else the latest explicit full date it writes,
    but no earlier than the latest year it mentions (``ref.anchor_year``, never after the fetch
    year): an obituary that writes only "born on April 22, 1923" in full and mentions 2005 is
    not from 1923, so that birth date counts as background."""
    if ref.reliable:
        return ref.today
    days = [
        f.mention.value.date()
        for f in found
        if f.mention.precision in _DAY_PRECISIONS and (f.kind == "absolute" or f.weekday_checked)
    ]
    if ref.anchor_year is not None:
        days.append(date(ref.anchor_year, 1, 1))
    return max(days) if days else None


def pick_event_date(text: str, found: Sequence[Found], ref: Reference, title: str | None = None) -> EventDate | None:
    """The best-supported day among the article's day-precise mentions, or ``None``.

    Dates in the title (when the text does not repeat it) count double: a
    headline names the main event. When no mention is precise to the day, the
    best week or month ("next week", "in June 2021") is returned with that
    precision and a lower confidence.
    """
    now = _article_now(found, ref)
    items = [(f, False) for f in found]
    if title and title.strip() and not text.lstrip().startswith(title.strip()):
        items += [(f, True) for f in find_temporals(title, ref)]
    for precisions, scale in ((_DAY_PRECISIONS, 1.0), (_COARSE_PRECISIONS, 0.6)):
        picked = _vote(text, [(f, t) for f, t in items if f.mention.precision in precisions], ref, now)
        if picked is not None:
            day, precision, confidence, evidence = picked
            return EventDate(
                date=day, precision=precision, confidence=round(min(confidence * scale, 0.95), 3), evidence=evidence
            )
    return None


def _vote(
    text: str, found: Sequence[tuple[Found, bool]], ref: Reference, now: date | None
) -> tuple[date, Precision, float, str] | None:
    """Weighted votes per day: kind, place (title, lead, later), quotation, attribution and age."""
    votes: dict[date, float] = defaultdict(float)
    evidence: dict[date, tuple[float, str, Precision]] = {}
    length = max(len(text), 1)
    for f, in_title in found:
        m = f.mention
        if f.kind in ("relative", "time") and not ref.reliable:
            continue
        if f.kind == "time" and m.reference != "absolute" and not ref.reliable:
            continue
        if not in_title and _stamp_line(text, m.start, m.end):
            continue
        weight = _KIND_WEIGHT[f.kind]
        if f.kind == "inferred_year" and not ref.reliable and not f.weekday_checked:
            continue  # its year is a guess from the text's other years: not evidence enough
        if in_title:
            weight *= TITLE_WEIGHT
        else:
            position = 1.0 if m.start < LEAD_CHARS else max(0.15, 1.0 - m.start / length)
            weight *= position * (0.5 if f.quoted else 1.0)
            if _REPORTING_BEFORE.search(text, max(0, m.start - 60), m.start):
                weight *= 0.4  # "Peskov said on Friday": the day of the statement, not of the event
        day = m.value.date()
        if now is not None and (now - day).days > BACKGROUND_DAYS:
            weight *= 0.3  # long before the article's time: background ("born on…", "since 2014")
        votes[day] += weight
        if day not in evidence or weight > evidence[day][0]:
            precision = Precision.DAY if m.precision in _DAY_PRECISIONS else m.precision
            evidence[day] = (weight, m.text, precision)
    if not votes:
        return None
    best = max(votes, key=lambda d: (votes[d], -abs((d - ref.today).days)))
    if now is not None and (now - best).days > BACKGROUND_DAYS:
        return None  # only background dates ("born on March 29, 1928"): the event's date is unknown
    share = votes[best] / sum(votes.values())
    confidence = 0.35 + 0.55 * share * min(1.0, votes[best])
    if not ref.reliable:
        confidence *= 0.8
    return best, evidence[best][2], confidence, evidence[best][1]


def _period_end(event: EventDate) -> date:
    """Last day of the event date's period (the day itself, its week or its month)."""
    if event.precision is Precision.WEEK:
        return event.date + timedelta(days=6)
    if event.precision is Precision.MONTH:
        nxt = date(event.date.year + event.date.month // 12, event.date.month % 12 + 1, 1)
        return nxt - timedelta(days=1)
    return event.date


def detect_tense(title: str | None, text: str, event: EventDate | None, ref: Reference) -> Tense:
    """Announced (future) or reported (past), from the event date and tense cues in title and lead.

    A known publication time settles it when the event day differs from the
    publication day; otherwise future cues ("plan to", "will", "scheduled",
    headline "X to meet Y") are weighed against past-tense verbs, the title
    counting double.
    """
    if event is not None and ref.reliable:
        today = ref.today
        if event.date > today:
            return Tense.ANNOUNCED
        if _period_end(event) < today:
            return Tense.REPORTED
    lead = text[:LEAD_CHARS]
    title = title or ""
    if title and lead.startswith(title):
        lead = lead[len(title) :]
    future = 2 * (2 * len(FUTURE_CUES.findall(title)) + len(FUTURE_CUES.findall(lead)))
    past = 2 * _past_score(title) + _past_score(lead)
    if future > past:
        return Tense.ANNOUNCED
    if past > future:
        return Tense.REPORTED
    return Tense.UNKNOWN
