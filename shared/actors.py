"""Which of an event's entities are actors: one rule for the sink, the API and the alerts service.

The extractor keeps every span the NER model labels, which is right for the
deduplicator (a shared "Russians" is evidence two articles are related) but not
for a reader: an analyst's "actors" are people, organisations and places, not
nationalities ("French", "Westerners"), time zones ("GMT"), agency credits in a
dateline ("(JEN):"), lone adjectives or common nouns ("Transatlantic",
"Defence") or spans the model cut short ("Ursula Von", "Ministry of Foreign
Affairs of"). The sink applies :func:`clean_entities` with the event's article
texts when it builds an event; the alerts service applies it again, without
texts, to whatever event it receives (records stored by an older sink
included), so both read the same list. Cut spans are repaired from the
article texts when the full form is written there, and dropped otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from shared.contracts import EntityKind, EventEntity

#: Time zones as news writes them: never an actor, whatever the model called them.
TIME_ZONES = frozenset(
    [
        "utc",
        "gmt",
        "et",
        "est",
        "edt",
        "ct",
        "cst",
        "cdt",
        "mt",
        "mst",
        "mdt",
        "pt",
        "pst",
        "pdt",
        "bst",
        "wet",
        "cet",
        "cest",
        "eet",
        "eest",
        "msk",
        "ist",
        "jst",
        "kst",
        "hkt",
        "sgt",
        "aest",
        "aedt",
        "awst",
        "wat",
        "eat",
        "sast",
        "pkt",
        "wib",
    ]
) | {
    "greenwich mean time",
    "coordinated universal time",
    "eastern time",
    "pacific time",
    "central time",
    "moscow time",
    "kyiv time",
    "kiev time",
    "eastern standard time",
    "british summer time",
    "central european time",
}
#: Words that continue a name and cannot end one: a span ending in one was cut short.
PARTICLES = frozenset(
    [
        "of",
        "the",
        "and",
        "for",
        "von",
        "van",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "du",
        "la",
        "le",
        "al",
        "bin",
        "ibn",
        "el",
        "y",
        "zu",
    ]
)
#: A nationality or other demonym: the word shapes of "French", "Russians", "Westerners", "Britons".
_DEMONYM = re.compile(
    r"^(?:(?:north|south|east|west|central|northern|southern|eastern|western|pro|anti|non|ethnic|native)[- ])*"
    r"[a-z]+(?:an|ans|ian|ians|ean|eans|ese|ish|ch|i|is|ic|er|ers|ite|ites|ot|ots|on|ons|ets|ks|s)$"
)
#: Groups the model labels like nationalities that are organised actors (parties, movements).
GROUP_ACTORS = frozenset(
    [
        "democrats",
        "republicans",
        "conservatives",
        "tories",
        "labour",
        "liberals",
        "socialists",
        "communists",
        "greens",
        "taliban",
        "hamas",
        "hezbollah",
        "houthis",
        "isis",
        "al-qaeda",
    ]
)
#: Words that alone name a department or a field, not an actor ("Defence" from "Defence Minister").
GENERIC_WORDS = frozenset(
    [
        "defence",
        "defense",
        "foreign",
        "interior",
        "health",
        "finance",
        "justice",
        "education",
        "security",
        "state",
        "affairs",
        "ministry",
        "department",
        "government",
        "office",
        "agency",
        "committee",
        "council",
        "administration",
        "public",
        "national",
        "international",
        "federal",
    ]
)
#: Adjective endings: a lone adjective the model tagged as an organisation ("Transatlantic").
_ADJECTIVE = re.compile(r"^[a-z-]+(?:ic|ical|ive|ous|ary|ible|able)$")
_DATELINE_CREDIT = re.compile(r"(?:^|\n)[^\n]{0,120}?\(([A-Z][A-Za-z&.]{1,9})\)\s*[:\u2013\u2014-]")
# the words that may continue a cut name: particles, capitalised words, initials; never across a
# sentence end ("Leyen. The") or a line break
_CONTINUATION = r"((?:[ \t]+(?:{particles})|[ \t]+(?:[A-Z]\.|[A-Z][\w'’-]*))*[ \t]+(?:[A-Z]\.|[A-Z][\w'’-]*))"
_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z-]+(?![\w'’-])")


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: how names are compared here."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9'-]+", " ", ascii_text.lower()).split())


@dataclass(frozen=True)
class TextContext:
    """What the rule reads from an event's article texts (empty when only the event record is at hand)."""

    texts: tuple[str, ...] = ()
    lower_words: frozenset[str] = frozenset()  # words written in lower case somewhere: common words
    credits: frozenset[str] = frozenset()  # "(JEN)" in a dateline: an agency credit, not an actor
    _full: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, texts: Iterable[str]) -> TextContext:
        kept = tuple(t for t in texts if t)
        marks = [_marks(t) for t in kept]
        lower = frozenset[str]().union(*(m[0] for m in marks))
        credits = frozenset[str]().union(*(m[1] for m in marks))
        return cls(kept, lower, credits)

    def full_form(self, name: str) -> str | None:
        """The longest way the texts continue a cut name ("Ursula Von" → "Ursula Von der Leyen"), if any."""
        if name in self._full:
            return self._full[name]
        pattern = re.compile(
            r"(?<![\w-])" + re.escape(name) + _CONTINUATION.format(particles="|".join(sorted(PARTICLES)))
        )
        best: str | None = None
        for text in self.texts:
            for match in pattern.finditer(text):
                candidate = " ".join((name + match.group(1)).split())
                if fold(candidate.split()[-1]) not in PARTICLES and (best is None or len(candidate) > len(best)):
                    best = candidate
        self._full[name] = best
        return best


@lru_cache(maxsize=4096)
def _marks(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """One text's lower-case words and dateline credits. Cached: the sink rebuilds an event from all
    its articles on every change, and scanning each text again made that quadratic in its size."""
    return frozenset(_WORD.findall(text)), frozenset(_DATELINE_CREDIT.findall(text[:2000]))


def is_cut(name: str) -> bool:
    """A span that ends in a word that only continues a name ("Ursula Von", "Ministry of Foreign Affairs of")."""
    words = fold(name).split()
    return len(words) >= 2 and words[-1] in PARTICLES


def reject_reason(entity: EventEntity, context: TextContext = TextContext()) -> str | None:
    """Why this entity is not an actor or place (a short reason), or ``None`` when it is one."""
    name = entity.name.strip()
    folded = fold(name)
    if not folded or not any(c.isalpha() for c in folded):
        return "no_name"
    if folded in TIME_ZONES:
        return "time_zone"
    if name[0].islower() and folded.split()[0] not in PARTICLES:
        return "not_a_name"  # "pro-Kremlin": the model's span starts inside a phrase
    if entity.kind is EntityKind.GROUP and folded not in GROUP_ACTORS and _DEMONYM.match(folded):
        return "demonym"
    single = " " not in folded
    if single and folded in GENERIC_WORDS and entity.kind is not EntityKind.PERSON:
        return "generic_word"
    if single and entity.kind in (EntityKind.ORG, EntityKind.GROUP) and _ADJECTIVE.match(folded):
        return "adjective"
    if name.isupper() and name in context.credits and entity.mentions <= max(entity.articles, 1):
        return "agency_credit"  # only ever seen as "(JEN):" at the head of an article
    if single and not name.isupper() and entity.kind is EntityKind.ORG and folded in context.lower_words:
        return "common_word"  # the texts also write it in lower case: "Defence" / "defence"
    return None


def _slug_id(kind: EntityKind, name: str) -> str:
    return f"{kind.value}:{'-'.join(re.sub(r'[^a-z0-9]+', ' ', fold(name)).split()) or 'unknown'}"


def _merge(into: EventEntity, other: EventEntity) -> EventEntity:
    return into.model_copy(
        update={
            "mentions": into.mentions + other.mentions,
            "articles": max(into.articles, other.articles),
            "salience": round(into.salience + other.salience, 3),
        }
    )


def clean_entities(entities: Sequence[EventEntity], context: TextContext = TextContext()) -> list[EventEntity]:
    """The entities that are actors or places, cut spans repaired or dropped, in the given order.

    A cut span is replaced by its full form when the texts write one; the full form joins an
    entity of that name already in the list, and for a person a lone word that is the full form's
    tail ("Leyen", the model's other half of "Ursula Von der Leyen") joins it too.
    """
    by_name = {fold(e.name): i for i, e in enumerate(entities)}
    out: list[EventEntity | None] = list(entities)
    for i, entity in enumerate(entities):
        if out[i] is None:
            continue
        if is_cut(entity.name):
            full = context.full_form(entity.name)
            if full is None:
                out[i] = None
                continue
            repaired = entity.model_copy(update={"name": full, "id": _slug_id(entity.kind, full)})
            # a person's surname alone is the model's other half of the name; "Ukraine" after
            # "Ministry of Foreign Affairs of" is an entity of its own
            tail = by_name.get(fold(full).split()[-1]) if entity.kind is EntityKind.PERSON else None
            for j in (by_name.get(fold(full)), tail):
                if j is not None and j != i and out[j] is not None:
                    other = out[j]
                    assert other is not None
                    repaired = _merge(repaired, other)
                    if other.kind is entity.kind and " " in fold(other.name):
                        repaired = repaired.model_copy(update={"id": other.id, "name": other.name})
                    out[j] = None
            out[i] = repaired
            continue
        if reject_reason(entity, context) is not None:
            out[i] = None
    kept = [e for e in out if e is not None]
    unique: dict[str, EventEntity] = {}
    for e in kept:
        unique[e.id] = _merge(unique[e.id], e) if e.id in unique else e
    return list(unique.values())
