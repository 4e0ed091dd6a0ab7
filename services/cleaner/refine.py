"""Second pass over trafilatura's paragraphs: what the extractor lets through.

trafilatura (even with ``favor_precision``) still returns share labels,
newsletter and error widgets, the headline repeated as first paragraph,
timestamp lines, widget titles repeated down the page and, at the end, lists
of related headlines. Generic rules remove them:

* line patterns shared with the plain-text cleaner (furniture, trackers, stamps);
* the headline repeated as the first paragraph (it is already ``title``);
* lines the per-outlet learner has seen in several articles of the outlet.

Full URLs, repeated lines and trailing lists are kept: on real
pages they are content (source lists, recipes, ingredient lists) more often
than noise; a structural tail trimmer and a repeated-line filter were tried and
removed far more article text than boilerplate on the extraction benchmark.
For the same reason the rules below keep what pages from unseen sites count as
article text: embedded-post attributions ("— Name (@handle) date"), photo
credits, separator lines such as ``___`` and long paragraphs that a page
repeats (meal plans, recipe steps). Dropping them cost recall against plain
trafilatura on held-out sites and bought no F1 (docs/performance.md, cleaner).
Bylines found on the way become authors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.cleaner import patterns as pat
from services.cleaner.learner import BoilerplateLearner
from services.cleaner.stamps import Stamp, parse_stamp, stamp_kind

_WORD = re.compile(r"\w+")
_NO_WORDS = re.compile(r"^\W+$")  # no letter, digit or underscore: a decoration line (``___`` is kept)


@dataclass
class Refined:
    paragraphs: list[str]
    removed: int = 0
    authors: list[str] = field(default_factory=list)
    stamp: Stamp | None = None  # first "Published ..." stamp line in the text, a fallback date


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _is_boilerplate(text: str) -> bool:
    return bool(
        pat.FURNITURE.match(text)
        or _NO_WORDS.match(text)
        or (pat.TRACKER.search(text) and _words(text) <= 6)
        or pat.BARE_HOST.match(text)
        or pat.DATE_ONLY.match(text)
        or stamp_kind(text)
    )


def _is_title_repeat(text: str, title: str | None) -> bool:
    if not title:
        return False
    key, title_key = _key(text), _key(title)
    return bool(key) and (key == title_key or (key in title_key and _words(text) >= 3))


def refine_paragraphs(
    paragraphs: list[str], title: str | None, outlet: str | None, learner: BoilerplateLearner | None
) -> Refined:
    """Drop boilerplate paragraphs; keep order."""
    out = Refined(paragraphs=[])
    for index, text in enumerate(paragraphs):
        names = pat.byline_names(text)
        if names:
            out.authors.extend(n for n in names if n not in out.authors)
            continue
        if out.stamp is None and stamp_kind(text) == "published":
            out.stamp = parse_stamp(text)
        if _is_boilerplate(text) or (index == 0 and _is_title_repeat(text, title)):
            continue
        out.paragraphs.append(text)
    if learner is not None:
        mask = learner.boilerplate_mask(outlet, out.paragraphs)
        out.paragraphs = [p for p, flagged in zip(out.paragraphs, mask, strict=True) if not flagged]
    out.removed = len(paragraphs) - len(out.paragraphs)
    return out
