"""From spaCy entity spans to canonical entities with ids, counts and salience.

Why a separate step after NER: the model finds *mentions*; the deduplicator
needs *entities* that are equal across articles. Within an article, partial
person names ("Biden", "President Biden") are linked to the longest full name
with the same surname; across articles, ids come from deterministic keys
(``names.person_key`` / ``names.plain_key``) and the alias table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from services.extractor.names import (
    PERSON_FUZZY_THRESHOLD,
    AliasTable,
    Canonical,
    clean_surface,
    key_for,
    person_key,
    plain_key,
    similarity,
)
from shared.contracts import Entity, EntityKind, Mention

#: spaCy (OntoNotes) labels we keep, and the contract kind each becomes.
LABEL_KINDS: dict[str, EntityKind] = {
    "PERSON": EntityKind.PERSON,
    "ORG": EntityKind.ORG,
    "GPE": EntityKind.PLACE,
    "LOC": EntityKind.PLACE,
    "FAC": EntityKind.PLACE,
    "NORP": EntityKind.GROUP,
    "EVENT": EntityKind.OTHER,
}

_TITLES = re.compile(
    r"^(?:(?:US|U\.S\.|Russian|Ukrainian|former|ex-|then-|acting|deputy|vice|prime|foreign|defence|defense|"
    r"president|presidential|minister|secretary|chancellor|premier|senator|sen\.|rep\.|governor|gov\.|general|"
    r"gen\.|colonel|col\.|mr\.?|mrs\.?|ms\.?|dr\.?|prof\.?|sir|dame|lord|lady|king|queen|prince|princess|pope|"
    r"spokesman|spokeswoman|spokesperson|chief|ambassador|mayor|judge|justice|state|of|the)\s+)+",
    re.IGNORECASE,
)
_HAS_LETTER = re.compile(r"[^\W\d_]")
MAX_MENTION_CHARS = 80
CACHE_SIZE = 50_000


@dataclass
class RawMention:
    """One entity span after cleaning, before canonicalisation."""

    text: str
    start: int
    end: int
    kind: EntityKind


@dataclass
class _Group:
    canon: Canonical
    mentions: list[RawMention] = field(default_factory=list)


def clean_mention(text: str, start: int, label: str) -> RawMention | None:
    """Trim a span to the name itself (no "the", titles or possessive); ``None`` for noise."""
    kind = LABEL_KINDS.get(label)
    if kind is None or "\n" in text:
        return None  # spans across lines are layout accidents (captions, menus), not names
    cleaned = clean_surface(text)
    if kind is EntityKind.PERSON:
        cleaned = _TITLES.sub("", cleaned)
    if not cleaned or len(cleaned) > MAX_MENTION_CHARS or not _HAS_LETTER.search(cleaned):
        return None
    if kind in (EntityKind.PERSON, EntityKind.ORG, EntityKind.PLACE) and cleaned[0].islower():
        return None
    offset = text.find(cleaned)
    if offset < 0:
        return None  # whitespace inside the name was not a single space: keep offsets exact
    begin = start + offset
    return RawMention(cleaned, begin, begin + len(cleaned), kind)


def _acronyms(text: str, mentions: Sequence[RawMention]) -> dict[str, str]:
    """Acronyms introduced in the text as "Long Name (LN)": acronym key → long form."""
    found: dict[str, str] = {}
    for m in mentions:
        tail = text[m.end : m.end + 14]
        match = re.match(r"\s*\(([A-Z][A-Za-z.&]{1,9})\)", tail)
        if not match:
            continue
        acronym = match.group(1).replace(".", "")
        initials = "".join(w[0] for w in re.findall(r"[A-Z][\w'-]*", m.text))
        if acronym.upper() == initials.upper() or acronym.upper() in initials.upper():
            found[plain_key(acronym)] = m.text
    return found


@dataclass
class _FullName:
    """One written form of a person's full name in an article."""

    text: str
    words: int
    tagged: bool  # the model called it a person at least once
    initial_only: bool = True  # every mention starts a sentence
    miscut: bool = False


_SENTENCE_END = re.compile(r"(?:^|[.!?\n][\"'\u201d\u2019)]*)\s*$")


def _starts_sentence(text: str, start: int) -> bool:
    return bool(_SENTENCE_END.search(text[max(0, start - 4) : start])) if start else True


def _full_name_forms(
    mentions: Sequence[RawMention], text: str, known_non_person: Callable[[RawMention], bool]
) -> dict[str, _FullName]:
    """The multi-word person names of an article, each written form once.

    A two-word name the model called an organisation or a place counts too when the
    article also names a person by its last word alone ("Hugh Jackman" tagged as a place,
    then "Jackman" five times as a person): the small model mislabels names out of context.
    A form is *mis-cut* when it only ever starts a sentence and its first word is written in
    lower case elsewhere in the article ("Having Jackman host was bold"): the model took a
    capitalised sentence opener into the name; so is one that starts with a lower-case word
    longer than a name particle ("real Bettie Page", but not "de Gaulle").
    """
    lower = set(re.findall(r"(?<![\w'-])[a-z]+(?![\w'-])", text))
    bare = {
        person_key(m.text) for m in mentions if m.kind is EntityKind.PERSON and len(person_key(m.text).split()) == 1
    }
    forms: dict[str, _FullName] = {}
    for m in mentions:
        words = person_key(m.text).split()
        if len(words) < 2:
            continue
        if m.kind is EntityKind.PERSON or (
            m.kind in (EntityKind.ORG, EntityKind.PLACE)
            and len(words) == 2  # a first name and a surname; longer spans are titles, books, offices
            and words[-1] in bare
            # not a team ("Jacksonville Jaguars") nor a title or common noun the article also
            # writes in lower case ("County Sheriff"), whatever the model called the bare word
            and not words[-1].endswith("s")
            and words[-1] not in lower
            and "," not in m.text  # "Tonys, Jackman": a span run across two names
            and not known_non_person(m)
        ):
            form = forms.setdefault(m.text, _FullName(m.text, len(words), tagged=m.kind is EntityKind.PERSON))
            form.tagged = form.tagged or m.kind is EntityKind.PERSON
            form.initial_only = form.initial_only and _starts_sentence(text, m.start)
    for form in forms.values():
        first = form.text.split()[0]
        form.miscut = (form.initial_only and first.lower() in lower) or (first.islower() and len(first) > 3)
    return forms


class EntityResolver:
    """Turns the cleaned mentions of one article into canonical ``Entity`` objects."""

    def __init__(self, aliases: AliasTable) -> None:
        self.aliases = aliases
        self._cache: dict[tuple[EntityKind, str], Canonical] = {}

    def canonical(self, kind: EntityKind, text: str) -> Canonical:
        """Alias table (exact, known surname, then fuzzy), else the name's own key. Cached: names repeat.

        A single word the model called an organisation or a place but which is the
        surname of exactly one known person ("Lavrov", "Scholz") is that person:
        the small model often mislabels bare surnames.
        """
        cached = self._cache.get((kind, text))
        if cached is not None:
            return cached
        hit = self.aliases.lookup(kind, text)
        if hit is None and (kind is EntityKind.PERSON or " " not in text.strip()):
            hit = self.aliases.surname(text)
        if hit is None:
            hit = self.aliases.fuzzy(kind, text)
        if hit is None and kind is not EntityKind.PERSON:
            hit = self._with_canonical_place(kind, text)
        canon = hit if hit is not None else Canonical(kind, text, key_for(kind, text))
        if len(self._cache) > CACHE_SIZE:
            self._cache.clear()
        self._cache[(kind, text)] = canon
        return canon

    def _with_canonical_place(self, kind: EntityKind, text: str) -> Canonical | None:
        """ "Kiev Oblast" → "Kyiv Oblast": a known place variant leading a longer name is respelled."""
        words = text.split()
        if len(words) < 2:
            return None
        for n in range(len(words) - 1, 0, -1):
            place = self.aliases.lookup(EntityKind.PLACE, " ".join(words[:n]), other_kinds=False)
            if place is not None and plain_key(place.name) != plain_key(" ".join(words[:n])):
                name = " ".join([place.name, *words[n:]])
                return Canonical(kind, name, key_for(kind, name))
        return None

    def resolve(self, text: str, title: str | None, mentions: Sequence[RawMention]) -> list[Entity]:
        mentions = [m for m in mentions if key_for(m.kind, m.text)]
        acronyms = _acronyms(text, mentions)
        persons = self._person_names(mentions, text)
        groups: dict[str, _Group] = {}
        memo: dict[tuple[EntityKind, str], Canonical] = {}
        for m in mentions:
            canon = memo.get((m.kind, m.text))
            if canon is None:
                canon = memo[(m.kind, m.text)] = self._resolve_one(m, persons, acronyms)
            group = groups.setdefault(canon.id, _Group(canon))
            group.mentions.append(m)
        return self._rank(text, title, groups.values())

    def _person_names(self, mentions: Sequence[RawMention], text: str) -> dict[str, Canonical]:
        """Full (multi-word) person names of the article, keyed by their person key.

        Variants of one name in the same article (same surname, fuzzy-equal keys,
        e.g. "Joe Biden" / "Joseph R. Biden") collapse onto the longest form the model tagged as
        a person. A mis-cut form (see :func:`_full_name_forms`) comes last and joins any form
        with its surname.
        """
        forms = _full_name_forms(mentions, text, self._is_known_non_person)
        ordered = sorted(forms.values(), key=lambda f: (not f.tagged, -f.words, f.miscut, -len(f.text), f.text))
        chosen: dict[str, Canonical] = {}
        for form in ordered:
            key = person_key(form.text)
            canon = self.canonical(EntityKind.PERSON, form.text)
            for existing in chosen.values():
                ek = existing.key.split()
                if ek[-1] == key.split()[-1] and (
                    form.miscut
                    or ek[0][0] == key.split()[0][0]
                    or similarity(existing.key, key) >= PERSON_FUZZY_THRESHOLD
                ):
                    canon = existing
                    break
            chosen[key] = canon
        return chosen

    def _is_known_non_person(self, m: RawMention) -> bool:
        return self.aliases.lookup(m.kind, m.text, other_kinds=False) is not None

    def _resolve_one(self, m: RawMention, persons: dict[str, Canonical], acronyms: dict[str, str]) -> Canonical:
        kind, surface = m.kind, m.text
        if kind is not EntityKind.PERSON:
            long_form = acronyms.get(plain_key(surface))
            if long_form is not None:
                surface = long_form
        key = person_key(surface)
        if key in persons:
            return persons[key]
        # A partial name ("Biden", "Peskow"), possibly mislabelled as ORG/GPE by the model:
        # link it to the article's full name with that surname (or first name), most specific first.
        if kind in (EntityKind.PERSON, EntityKind.ORG, EntityKind.PLACE) and key and len(key.split()) == 1:
            word = key
            for full_key, canon in persons.items():
                parts = full_key.split()
                surname_match = parts[-1] == word or (
                    len(word) >= 5
                    and parts[-1][0] == word[0]
                    and abs(len(parts[-1]) - len(word)) <= 2
                    and similarity(parts[-1], word) >= PERSON_FUZZY_THRESHOLD
                )
                known_other = kind is not EntityKind.PERSON and self.aliases.lookup(kind, surface, other_kinds=False)
                if surname_match and not known_other:
                    return canon
        return self.canonical(kind, surface)

    @staticmethod
    def _rank(text: str, title: str | None, groups: Iterable[_Group]) -> list[Entity]:
        """Entities with counts and salience, most salient first.

        Salience mixes frequency (relative to the most frequent entity), presence
        in the title, presence in the lead (first 400 characters) and how early
        the first mention comes: news puts the main actors up front.
        """
        groups = list(groups)
        if not groups:
            return []
        top = max(len(g.mentions) for g in groups)
        title_l = (title or "").lower()
        length = max(len(text), 1)
        entities: list[Entity] = []
        for g in groups:
            mentions = sorted(g.mentions, key=lambda m: m.start)
            first = mentions[0].start
            surfaces = {m.text.lower() for m in mentions} | {g.canon.name.lower()}
            in_title = bool(title_l) and any(
                s in title_l and re.search(rf"(?<!\w){re.escape(s)}(?!\w)", title_l) for s in surfaces if len(s) > 1
            )
            in_lead = first < 400
            score = 0.45 * len(mentions) / top + 0.25 * in_title + 0.15 * in_lead + 0.15 * (1 - first / length)
            entities.append(
                Entity(
                    id=g.canon.id,
                    name=g.canon.name,
                    kind=g.canon.kind,
                    count=len(mentions),
                    salience=round(min(max(score, 0.0), 1.0), 3),
                    mentions=[Mention(text=m.text, start=m.start, end=m.end) for m in mentions],
                )
            )
        entities.sort(key=lambda e: (-e.salience, e.id))
        return entities
