"""Second pass over trafilatura's paragraphs: what the extractor lets through.

trafilatura favours recall; the paragraphs it returns still contain share
labels, ad slots, credits, newsletter pitches, duplicated lines and, at the
end, lists of related headlines. The same generic patterns as for plain text
(plus the per-outlet learner) remove them here. Bylines found on the way
become authors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.cleaner import patterns as pat
from services.cleaner.learner import BoilerplateLearner
from services.cleaner.stamps import stamp_kind

_WORD = re.compile(r"\w+")


@dataclass
class Refined:
    paragraphs: list[str]
    removed: int = 0
    authors: list[str] = field(default_factory=list)


def _is_boilerplate(text: str, outlet: str | None, learner: BoilerplateLearner | None) -> bool:
    words = len(_WORD.findall(text))
    return bool(
        pat.FURNITURE.match(text)
        or (pat.TRACKER.search(text) and words <= 6)
        or pat.LINK_ONLY.match(text)
        or stamp_kind(text)
        or (learner is not None and outlet and learner.is_boilerplate(outlet, text))
    )


def refine_paragraphs(
    paragraphs: list[str], title: str | None, outlet: str | None, learner: BoilerplateLearner | None
) -> Refined:
    """Drop boilerplate paragraphs and exact repeats; keep order."""
    out = Refined(paragraphs=[])
    seen: set[str] = set()
    for text in paragraphs:
        byline = pat.BYLINE.match(text)
        if byline and len(_WORD.findall(text)) <= 8:
            out.authors.append(byline.group("name").strip())
            out.removed += 1
            continue
        if _is_boilerplate(text, outlet, learner):
            out.removed += 1
            continue
        key = " ".join(_WORD.findall(text.casefold()))
        if len(key) > 40 and key in seen:
            out.removed += 1
            continue
        seen.add(key)
        out.paragraphs.append(text)
    return out
