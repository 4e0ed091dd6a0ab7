"""Exact-string spotting of names the model missed or did not see.

Why: the small NER model misses well-known names in short or odd sentences
("Separatists in the Donbass region accused Kyiv…"). That is fixed by finding
known surface forms as whole words: the alias table's names (a gazetteer), or
any other table of names the caller builds a :class:`Spotter` from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from services.extractor.entities import RawMention
from shared.contracts import EntityKind

#: Words that may precede a name without being part of it ("President Putin", "in Kyiv").
_TITLE_WORDS = frozenset({
    "president", "prime", "minister", "secretary", "chancellor", "spokesman", "spokeswoman", "spokesperson",
    "foreign", "defence", "defense", "mr", "mrs", "ms", "dr", "general", "the", "in", "at", "of", "from",
    "to", "and", "or", "with", "for", "by", "on", "as", "but", "while", "when", "after", "before", "said",
    "says", "told", "a", "an", "this", "that", "these", "those", "its", "his", "her", "their", "our",
})  # fmt: skip
MIN_GAZETTEER_CHARS = 4


def _prev_word(text: str, start: int) -> str:
    match = re.search(r"([A-Za-z][\w.'-]*)[ \t]*$", text[max(0, start - 40) : start])
    return match.group(1) if match else ""


def _next_word(text: str, end: int) -> str:
    match = re.match(r"[ \t]*([A-Za-z][\w'-]*)", text[end : end + 40])
    return match.group(1) if match else ""


def _part_of_longer_name(text: str, start: int, end: int) -> bool:
    """Whether the hit is glued to other capitalised words ("Latin America", "Moscow Exchange")."""
    prev, nxt = _prev_word(text, start), _next_word(text, end)
    sentence_start = not text[:start].rstrip(" \t") or text[:start].rstrip(" \t")[-1] in '.!?\n"“'
    if prev and prev[0].isupper() and prev.lower().rstrip(".") not in _TITLE_WORDS and not sentence_start:
        return True
    return bool(nxt and nxt[0].isupper() and nxt.lower() not in _TITLE_WORDS)


class Spotter:
    """Finds given surface forms as whole words, outside spans already claimed."""

    def __init__(self, surfaces: Mapping[str, EntityKind]) -> None:
        self.kinds = dict(surfaces)
        names = sorted(self.kinds, key=len, reverse=True)
        self.pattern = (
            re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-])") if names else None
        )

    @classmethod
    def from_table(cls, table: Mapping[EntityKind, Iterable[str]]) -> Spotter:
        """A gazetteer of table names: multi-word or at least ``MIN_GAZETTEER_CHARS`` long, not all lowercase."""
        surfaces: dict[str, EntityKind] = {}
        for kind, names in table.items():
            for name in names:
                if len(name) >= MIN_GAZETTEER_CHARS and name[0].isupper() and not name.isupper():
                    surfaces.setdefault(name, kind)
        return cls(surfaces)

    def spot(self, text: str, taken: Sequence[RawMention]) -> list[RawMention]:
        if self.pattern is None:
            return []
        claimed = sorted((m.start, m.end) for m in taken)
        found: list[RawMention] = []
        for match in self.pattern.finditer(text):
            s, e = match.span()
            if any(cs < e and s < ce for cs, ce in claimed) or _part_of_longer_name(text, s, e):
                continue
            found.append(RawMention(match.group(0), s, e, self.kinds[match.group(0)]))
        return found


def echoes(text: str, found: Sequence[RawMention], start: int) -> list[RawMention]:
    """Mentions, from ``start`` on, of the names the model ``found`` before it.

    Why: when the model reads only the top of an article (``Extractor``'s ``ner_chars``), the
    names it found there are spotted again, as whole words, in the part it did not read, with the
    kind it gave them; a person's surname alone counts as that person ("Joe Biden" … "Biden"),
    so that counts, and with them salience, stay close to a full reading.
    """
    surfaces: dict[str, EntityKind] = {}
    for m in found:
        surfaces.setdefault(m.text, m.kind)
    for m in found:
        words = m.text.split()
        if m.kind is EntityKind.PERSON and len(words) > 1 and len(words[-1]) >= 3 and words[-1][0].isupper():
            surfaces.setdefault(words[-1], EntityKind.PERSON)
    if not surfaces or start >= len(text):
        return []
    return [m for m in Spotter(surfaces).spot(text, found) if m.start >= start]
