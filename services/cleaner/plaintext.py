"""Boilerplate removal and metadata recovery for scraped plain text.

Three layers, from cheapest to most general:

1. line patterns (:mod:`services.cleaner.patterns`): share bars, ad slots,
   teasers, credits, bylines, stamps; bylines and stamps become metadata;
2. structure: short non-sentence lines sandwiched between removed lines (image
   alt text, widget labels), trailing runs of list-like headline lines (related
   links), repeats of the headline (kicker + title) and exact duplicate lines;
3. the per-outlet :class:`~services.cleaner.learner.BoilerplateLearner`.

Paragraphs follow the source's layout: blocks separated by blank lines, each
line of a block its own paragraph unless it is a hard wrap (no sentence end,
next line starting in lower case).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.cleaner import patterns as pat
from services.cleaner.decoding import normalise_line
from services.cleaner.learner import BoilerplateLearner
from services.cleaner.stamps import MONTHS, TZ_OFFSETS, Stamp, header_stamp, parse_stamp, stamp_kind

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_URL_LINE = re.compile(r"^https?://\S+$")
_HEADER_SCAN = 6  # a date/outlet header line is only looked for among the first lines


@dataclass
class _Line:
    text: str
    block: int
    removed: bool = False
    is_title: bool = False

    @property
    def boilerplate(self) -> bool:
        """Removed as page furniture (the headline is removed from the body but is not furniture)."""
        return self.removed and not self.is_title


@dataclass
class PlainResult:
    """What the plain-text cleaner recovered from one document."""

    title: str | None
    paragraphs: list[str]
    removed_lines: int
    published: Stamp | None = None
    modified: Stamp | None = None
    authors: list[str] = field(default_factory=list)
    site_name: str | None = None
    source_url: str | None = None  # a URL printed as the document's first line (scrapers often do)
    candidate_lines: list[str] = field(default_factory=list)


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def is_sentence(text: str) -> bool:
    return bool(pat.SENTENCE_END.search(text))


def looks_like_headline(text: str) -> bool:
    """A title line: 3..30 words, not ending like a sentence (questions and exclamations allowed)."""
    n = _words(text)
    if not 3 <= n <= 30 or len(text) > 220:
        return False
    return not text.endswith((".", ":", ";", ",")) or text.endswith("...")


_MONTHS = "january february march april may june july august september october november december"
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun"
_STAMP_LABELS = "posted updated published edited last modified on at am pm"
_STAMP_WORDS = (
    frozenset(" ".join((_MONTHS, _WEEKDAYS, _STAMP_LABELS)).split())
    | frozenset(MONTHS)
    | {zone.lower() for zone in TZ_OFFSETS}
)
_LETTERS = re.compile(r"[^\W\d_]{3,}")
_NUMERIC_DATE_OR_TIME = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{1,2}:\s?\d{1,2}\b")


def is_bare_stamp(text: str) -> bool:
    """A date or time line with no headline words ("9/10/2010 @ 1:19PM", "THURSDAY, JUNE 30,
    2005", "Posted 04/02/07, 9:00 PM"): a date or a time, and fewer than two words of three
    letters or more besides month and weekday names and stamp words."""
    if _words(text) > 12 or not (_NUMERIC_DATE_OR_TIME.search(text) or parse_stamp(text)):
        return False
    return sum(1 for w in _LETTERS.findall(text) if w.casefold() not in _STAMP_WORDS) < 2


def _is_fragment(text: str) -> bool:
    """Widget label or alt text: at most four words, no digits, no sentence punctuation.

    Digits mark table rows and scores ("Joe Louis 26-1"), which are content.
    """
    return _words(text) <= 4 and not is_sentence(text) and not _DIGIT.search(text)


def _is_headline_item(text: str) -> bool:
    """A bulleted line that reads like a linked headline rather than a list entry of the article."""
    return bool(pat.BULLET.match(text)) and _words(text) >= 4 and not is_sentence(text)


def _split_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    block = 0
    for raw in text.split("\n"):
        line = normalise_line(raw)
        if not line:
            block += 1
            continue
        lines.append(_Line(line, block))
    return lines


class _Cleaner:
    def __init__(self, lines: list[_Line], outlet: str | None, learner: BoilerplateLearner | None) -> None:
        self.lines = lines
        self.outlet = outlet
        self.learner = learner
        self.result = PlainResult(title=None, paragraphs=[], removed_lines=0)

    def run(self) -> PlainResult:
        self.result.candidate_lines = [ln.text for ln in self.lines]
        for index, line in enumerate(self.lines):
            self._classify(index, line)
        self._learned()
        self._title()
        self._sandwiched_fragments()
        self._fragment_runs()
        self._trailing_lists()
        self._trailing_headlines()
        self._duplicates()
        self.result.removed_lines = sum(1 for ln in self.lines if ln.removed)
        self.result.paragraphs = _paragraphs([ln for ln in self.lines if not ln.removed])
        return self.result

    def _classify(self, index: int, line: _Line) -> None:
        text = line.text
        kind = stamp_kind(text)
        if kind is not None:
            stamp = parse_stamp(text)
            if kind == "published" and self.result.published is None:
                self.result.published = stamp
            elif kind == "updated" and self.result.modified is None:
                self.result.modified = stamp
            line.removed = True
            return
        if index == 0 and _URL_LINE.match(text):
            self.result.source_url = text
            line.removed = True
            return
        if index < _HEADER_SCAN and self._header(text):
            line.removed = True
            return
        names = pat.byline_names(text)
        if names:
            self.result.authors.extend(n for n in names if n not in self.result.authors)
            line.removed = True
            return
        if (
            pat.FURNITURE.match(text)
            or pat.NO_TEXT.match(text)
            or (pat.TRACKER.search(text) and _words(text) <= 6)
            or pat.LINK_ONLY.match(text)
            or (pat.IMAGE_CREDIT.match(text) and _words(text) <= 45)
            or pat.EMBED_ATTRIBUTION.match(text)
        ):
            line.removed = True
            return
        stripped = pat.TRAILING_TEASER.sub("", pat.TRAILING_LINKS.sub("", text))
        if stripped != text:
            line.text = stripped.strip() or text

    def _header(self, text: str) -> bool:
        """'Outlet | @handle | 12 Feb 2022, 02:46 pm': a stamp with a time in a short non-sentence line."""
        if _words(text) > 20 or (is_sentence(text) and "|" not in text):
            return False
        stamp = header_stamp(text)
        if stamp is None:
            return False
        if self.result.published is None:
            self.result.published = stamp
        first = text.split("|", maxsplit=1)[0].strip()
        if "|" in text and first and not re.search(r"\d", first) and _words(first) <= 5:
            self.result.site_name = self.result.site_name or first
        return True

    def _learned(self) -> None:
        """Lines the outlet's learner knows as template text."""
        if self.learner is None:
            return
        live = [ln for ln in self.lines if not ln.removed]
        for line, flagged in zip(
            live, self.learner.boilerplate_mask(self.outlet, [ln.text for ln in live]), strict=True
        ):
            line.removed = line.removed or flagged

    def _sandwiched_fragments(self) -> None:
        """Drop short fragments whose neighbours were removed as boilerplate (alt text, labels)."""
        for i, line in enumerate(self.lines):
            if line.removed or not _is_fragment(line.text):
                continue
            before = self.lines[i - 1].boilerplate if i > 0 else True
            after = self.lines[i + 1].boilerplate if i + 1 < len(self.lines) else True
            if before and after:
                line.removed = True

    def _fragment_runs(self) -> None:
        """Drop runs of three or more consecutive fragments (menus, tag clouds, widget labels).

        Bulleted lines are left to :meth:`_trailing_lists`: short bulleted lists
        inside an article (names, ingredients) are content.
        """
        run: list[_Line] = []
        for line in [*self.lines, None]:
            if line is not None and not line.removed and _is_fragment(line.text) and not pat.BULLET.match(line.text):
                run.append(line)
                continue
            if len(run) >= 3:
                for item in run:
                    item.removed = True
            run = []

    def _trailing_headlines(self) -> None:
        """Drop a final block of three or more unbulleted headline-like lines (related links)."""
        live = [ln for ln in self.lines if not ln.removed]
        tail: list[_Line] = []
        for line in reversed(live):
            if is_sentence(line.text) or not 4 <= _words(line.text) <= 20:
                break
            if tail and line.block != tail[-1].block:
                break
            tail.append(line)
        if len(tail) >= 3 and len(tail) < len(live):
            for line in tail:
                line.removed = True

    def _trailing_lists(self) -> None:
        """Drop a run of two or more headline-like list items at the very end (related links).

        Items count as headlines when they have at least four words and do not end
        like a sentence; a short label line just above the run ("Related") goes too.
        """
        tail: list[_Line] = []
        for line in reversed(self.lines):
            if line.removed:
                continue
            if _is_headline_item(line.text):
                tail.append(line)
                continue
            if tail and _is_fragment(line.text) and line.block == tail[-1].block:
                tail.append(line)
            break
        if sum(1 for ln in tail if pat.BULLET.match(ln.text)) >= 2:
            for line in tail:
                line.removed = True

    def _title(self) -> None:
        """First remaining line when it looks like a headline; later lines repeating it go. A bare
        date line above it is not the headline: it is passed over (and kept in the text, where the
        extractor reads it as the date line that relative dates resolve against)."""
        remaining = [ln for ln in self.lines if not ln.removed]
        while len(remaining) > 2 and is_bare_stamp(remaining[0].text):
            remaining.pop(0)
        if len(remaining) < 2 or not looks_like_headline(remaining[0].text):
            return
        if is_bare_stamp(remaining[0].text) or pat.NOTICE.search(remaining[0].text):
            return  # a date or a notice ("Please enable JavaScript to watch this video") heads no story
        if remaining[1].block == remaining[0].block and remaining[1].text[:1].islower():
            return  # a hard-wrapped sentence, not a headline
        first = remaining[0]
        self.result.title = first.text
        first.removed = first.is_title = True
        title_key = _key(first.text)
        for line in remaining[1:4]:
            key = _key(line.text)
            if key and key in title_key and not is_sentence(line.text):
                line.removed = True

    def _duplicates(self) -> None:
        """Drop exact repeats and a standfirst that is just the opening of the next paragraph."""
        seen: set[str] = set()
        live = [ln for ln in self.lines if not ln.removed]
        # Successors by index: a page may have no live line left at all (all boilerplate).
        for i, line in enumerate(live):
            nxt = live[i + 1] if i + 1 < len(live) else None
            if _words(line.text) < 6:
                continue
            key = _key(line.text)
            if key in seen or (nxt is not None and len(_key(nxt.text)) > len(key) and _key(nxt.text).startswith(key)):
                line.removed = True
            seen.add(key)


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _paragraphs(lines: list[_Line]) -> list[str]:
    """Lines back into paragraphs: hard-wrapped lines are joined, others stay separate."""
    out: list[str] = []
    prev: _Line | None = None
    for line in lines:
        text = line.text
        if prev is not None and out and line.block == prev.block and not is_sentence(prev.text) and text[:1].islower():
            out[-1] = f"{out[-1]} {text}"
        else:
            out.append(text)
        prev = line
    return out


def clean_plain(text: str, outlet: str | None = None, learner: BoilerplateLearner | None = None) -> PlainResult:
    """Clean repaired plain text; returns paragraphs and recovered metadata."""
    return _Cleaner(_split_lines(text), outlet, learner).run()
