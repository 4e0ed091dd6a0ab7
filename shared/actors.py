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
_LOWER_WORD = re.compile(r"[a-z][a-z-]+")  # the shape of every word _WORD finds


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: how names are compared here.

    Cached: the rule folds each entity name several times, and the sink applies it to every entity
    of an event on every rebuild (the names are short; 65,536 of them are a few MB)."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9'-]+", " ", ascii_text.lower()).split())


#: A text's memo for :meth:`TextContext.full_form`: cut name → its longest continuation in that text.
FullForms = dict[str, str | None]
#: A text's memo for :meth:`TextContext.writes_lower`: word → whether the text writes it in lower case.
LowerWords = dict[str, bool]


@dataclass(frozen=True)
class TextContext:
    """What the rule reads from an event's article texts (empty when only the event record is at hand)."""

    texts: tuple[str, ...] = ()
    credits: frozenset[str] = frozenset()  # "(JEN)" in a dateline: an agency credit, not an actor
    _full: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    # one memo per text each, kept by a caller that builds contexts of the same texts again and again
    _forms: tuple[FullForms, ...] = field(default=(), compare=False, repr=False)
    _lower: tuple[LowerWords, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def of(cls, texts: Iterable[str]) -> TextContext:
        kept = tuple(t for t in texts if t)
        return cls.joined(kept, [text_credits(t) for t in kept])

    @classmethod
    def joined(
        cls,
        texts: tuple[str, ...],
        credits: Iterable[frozenset[str]],
        forms: tuple[FullForms, ...] = (),
        lower: tuple[LowerWords, ...] = (),
    ) -> TextContext:
        """The context of these texts from their :func:`text_credits` (one per text, read beforehand)
        and, optionally, a :data:`FullForms` and a :data:`LowerWords` memo per text that
        :meth:`full_form` and :meth:`writes_lower` read and fill."""
        if (forms and len(forms) != len(texts)) or (lower and len(lower) != len(texts)):
            raise ValueError(f"{len(forms)} full-form and {len(lower)} lower-case memos for {len(texts)} texts")
        return cls(texts, frozenset[str]().union(*credits), _forms=forms, _lower=lower)

    @property
    def lower_words(self) -> frozenset[str]:
        """Every word written in lower case somewhere in the texts: common words (reads every text;
        the rule asks :meth:`writes_lower` instead)."""
        return frozenset(w for text in self.texts for w in _WORD.findall(text))

    def writes_lower(self, word: str) -> bool:
        """Whether ``word in self.lower_words``, reading the texts only until one writes it.

        ``_WORD`` finds exactly the maximal runs of ``[a-z-]`` that start with a letter and have no
        word character, apostrophe or hyphen on either side, so a word of that shape is among them
        iff a search for it between such boundaries finds it."""
        if not _LOWER_WORD.fullmatch(word):
            return False
        for i, text in enumerate(self.texts):
            memo = self._lower[i] if self._lower else None
            if memo is not None and word in memo:
                found = memo[word]
            else:
                found = word in text and _bounded_word(word).search(text) is not None
                if memo is not None:
                    memo[word] = found
            if found:
                return True
        return False

    def full_form(self, name: str) -> str | None:
        """The longest way the texts continue a cut name ("Ursula Von" → "Ursula Von der Leyen"), if any;
        of several as long, the first in the texts' order."""
        if name in self._full:
            return self._full[name]
        best: str | None = None
        for i, text in enumerate(self.texts):
            memo = self._forms[i] if self._forms else None
            if memo is not None and name in memo:
                found = memo[name]
            else:
                found = _longest_continuation(name, text)
                if memo is not None:
                    memo[name] = found
            # the first text's longest wins a tie, as the first match does inside one text
            if found is not None and (best is None or len(found) > len(best)):
                best = found
        self._full[name] = best
        return best


_CONTINUATION_AFTER = _CONTINUATION.format(particles="|".join(sorted(PARTICLES)))


def _longest_continuation(name: str, text: str) -> str | None:
    """The longest continuation of a cut name in one text (the first of several as long), if any."""
    pattern = re.compile(r"(?<![\w-])" + re.escape(name) + _CONTINUATION_AFTER)
    best: str | None = None
    for match in pattern.finditer(text):
        candidate = " ".join((name + match.group(1)).split())
        if fold(candidate.split()[-1]) not in PARTICLES and (best is None or len(candidate) > len(best)):
            best = candidate
    return best


@lru_cache(maxsize=4096)
def _bounded_word(word: str) -> re.Pattern[str]:
    """``word`` where ``_WORD`` would find it whole: no word character, apostrophe or hyphen on either side."""
    return re.compile(r"(?<![\w'’-])" + re.escape(word) + r"(?![\w'’-])")


def text_credits(text: str) -> frozenset[str]:
    """The agency credits in a text's dateline ("(JEN):"), which :class:`TextContext` reads from it."""
    return frozenset(_DATELINE_CREDIT.findall(text[:2000]))


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
    if single and not name.isupper() and entity.kind is EntityKind.ORG and context.writes_lower(folded):
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
