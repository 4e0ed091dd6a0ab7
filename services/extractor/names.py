"""Name normalisation: matching keys, slugs and the alias table.

Why: the same real-world entity is written differently across outlets and
languages ("Peskov"/"Peskow", "Dmitry"/"Dmitri", "Kiev"/"Kyiv", "U.S."/"America").
Canonical ids must be *deterministic functions of the name* so that two workers
(or a restart) give the same id without shared state; hence a transliteration
key for people plus a small hand-written alias table, fuzzy-matched with a
threshold, for everything that a key cannot unify.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

from shared.contracts import EntityKind

ALIAS_FILE = Path(__file__).with_name("data") / "aliases.json"

#: Similarity (difflib ratio on transliteration keys) above which two person names are one person.
PERSON_FUZZY_THRESHOLD = 0.88
#: Same for places and organisations, which are shorter and need a stricter threshold.
OTHER_FUZZY_THRESHOLD = 0.92

_APOSTROPHES = "'’`´ʼ"
_LEADING_THE = re.compile(r"^(?:the)\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Slavic/Germanic transliteration endings that vary between outlets: -i, -y, -iy, -ii, -yy, -ij, -yj, -yi.
_Y_ENDING = re.compile(r"(?:iy|yy|ij|yj|ii|yi|i|y)$")


def ascii_fold(text: str) -> str:
    """Lowercase ASCII version of ``text`` (accents stripped, ß→ss, apostrophes dropped)."""
    text = text.replace("ß", "ss").replace("ø", "o").replace("ł", "l").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    out = "".join(c for c in decomposed if not unicodedata.combining(c) and c not in _APOSTROPHES)
    return out.encode("ascii", "ignore").decode("ascii").lower()


def clean_surface(text: str) -> str:
    """Strip what is not part of a name: a leading "the", a possessive, surrounding punctuation."""
    text = " ".join(text.split())
    text = _LEADING_THE.sub("", text)
    text = _POSSESSIVE.sub("", text)
    return text.strip(" \t\"“”‘’'.,;:()[]-–—•·|*#@")


@lru_cache(maxsize=65_536)
def plain_key(text: str) -> str:
    """Space-separated lowercase ASCII words: the key for places, organisations and groups."""
    return " ".join(_NON_WORD.sub(" ", ascii_fold(clean_surface(text))).split())


_W_ENDING = re.compile(r"(?<=[eo])w(a|s|na)?$")


def _translit_word(word: str) -> str:
    word = _W_ENDING.sub(lambda m: "v" + (m.group(1) or ""), word)
    if len(word) > 3:
        word = _Y_ENDING.sub("y", word)
    return word


@lru_cache(maxsize=65_536)
def person_key(text: str) -> str:
    """Transliteration-normalising key of a person's name.

    Lowercase ASCII, the German/Polish -ow/-ew(a) endings as -ov/-ev(a), and every -i/-y/-iy/-ij…
    ending folded to -y, so that "Dmitri Peskow" and "Dmitry Peskov" share a key.
    Initials ("R.") are dropped: they are written inconsistently.
    """
    words = [w for w in plain_key(text).split() if len(w) > 1]
    return " ".join(_translit_word(w) for w in words)


def slug(key: str) -> str:
    """The id-safe form of a key: words joined by hyphens."""
    return "-".join(key.split()) or "unknown"


def similarity(a: str, b: str) -> float:
    """Similarity of two keys in 0..1 (difflib ratio: cheap and deterministic)."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@dataclass(frozen=True)
class Canonical:
    """Where a surface form resolved to: its kind, its canonical display name and its key."""

    kind: EntityKind
    name: str
    key: str

    @property
    def id(self) -> str:
        return f"{self.kind.value}:{slug(self.key)}"


def key_for(kind: EntityKind, text: str) -> str:
    return person_key(text) if kind is EntityKind.PERSON else plain_key(text)


class AliasTable:
    """Canonical names and their variants, loaded once from ``data/aliases.json``."""

    def __init__(self, raw: dict[str, dict[str, list[str]]]) -> None:
        self._exact: dict[EntityKind, dict[str, Canonical]] = {}
        self._surfaces: dict[EntityKind, set[str]] = {}
        for kind_name, table in raw.items():
            if kind_name.startswith("_"):
                continue
            kind = EntityKind(kind_name)
            index: dict[str, Canonical] = {}
            for name, variants in table.items():
                canon = Canonical(kind, name, key_for(kind, name))
                self._surfaces.setdefault(kind, set()).update((name, *variants))
                for variant in (name, *variants):
                    for key in {key_for(kind, variant), plain_key(variant)}:
                        if key:
                            index.setdefault(key, canon)
            self._exact[kind] = index
        # Surnames of the known people, when only one known person bears them ("Putin", "Zelenskyy").
        surnames: dict[str, set[Canonical]] = {}
        for canon in set(self._exact.get(EntityKind.PERSON, {}).values()):
            for key, hit in self._exact[EntityKind.PERSON].items():
                if hit == canon and len(key.split()) >= 1:
                    surnames.setdefault(key.split()[-1], set()).add(canon)
        self._surnames = {name: next(iter(c)) for name, c in surnames.items() if len(c) == 1 and len(name) >= 4}

    @classmethod
    def load(cls, path: Path = ALIAS_FILE) -> AliasTable:
        with path.open(encoding="utf-8") as fh:
            return cls(json.load(fh))

    def lookup(self, kind: EntityKind, text: str, *, other_kinds: bool = True) -> Canonical | None:
        """Exact (key) lookup in ``kind``'s table, then in the others; ``None`` when unknown.

        Cross-kind lookup fixes the model's label confusions ("U.S." tagged as a
        nationality, "Kremlin" as a place) by trusting the table's kind.
        """
        kinds = [kind, *(k for k in self._exact if k is not kind)] if other_kinds else [kind]
        for k in kinds:
            index = self._exact.get(k)
            if not index:
                continue
            hit = index.get(key_for(k, text))
            if hit is None and text.isupper() and len(text) <= 6:
                hit = index.get(plain_key(text))
            if hit is not None:
                return hit
        return None

    def names_by_kind(self) -> dict[EntityKind, list[str]]:
        """Every canonical name and variant as written in the table, per kind (for the gazetteer)."""
        return {kind: list(names) for kind, names in self._surfaces.items()}

    def surname(self, text: str) -> Canonical | None:
        """The one known person whose surname (any spelling in the table) this single word is."""
        key = person_key(text)
        return self._surnames.get(key) if key and " " not in key else None

    def fuzzy(self, kind: EntityKind, text: str) -> Canonical | None:
        """Closest canonical name of the same kind above the kind's threshold, if any.

        Only names of at least two words (or 6 letters) are fuzzy-matched: short
        strings are too close to each other for a ratio to mean anything.
        """
        key = key_for(kind, text)
        if len(key) < 6:
            return None
        threshold = PERSON_FUZZY_THRESHOLD if kind is EntityKind.PERSON else OTHER_FUZZY_THRESHOLD
        best: Canonical | None = None
        best_score = threshold
        matcher = SequenceMatcher(None, key, "", autojunk=False)  # the same a and b as ``similarity``
        for variant_key, canon in self._exact.get(kind, {}).items():
            if abs(len(variant_key) - len(key)) > 3 or variant_key[:1] != key[:1]:
                continue
            matcher.set_seq2(variant_key)
            # quick_ratio bounds ratio from above: a pair it rules out could not have scored (same result,
            # a third of the time: most of the table is far from any given name)
            if matcher.quick_ratio() < best_score:
                continue
            score = matcher.ratio()
            if score >= best_score:
                best, best_score = canon, score
        return best


@lru_cache(maxsize=1)
def default_aliases() -> AliasTable:
    return AliasTable.load()
