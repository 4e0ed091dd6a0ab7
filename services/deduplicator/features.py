"""Stateless featurisation: everything the assignment step needs, computed from one article.

``featurize`` is pure (no shared state, no document frequencies), so it can run
on as many workers as needed; its result is small and JSON-serialisable
(:meth:`ArticleFeatures.to_record`) so it can travel on a topic to the single
stateful assignment step. Inverse document frequencies are applied later, by
the assigner, from the stream it has seen.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import repeat
from typing import Any
from urllib.parse import parse_qsl, urlencode

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from services.deduplicator.config import DedupConfig
from shared.contracts.articles import EnrichedArticle, Precision
from shared.errors import RejectedInput
from shared.urls import is_tracking_param

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_MERSENNE = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
_MAX_TOKENS = 20_000  # longer texts are cut: their head says what they are about
_STOP = frozenset(ENGLISH_STOP_WORDS) | {"said", "says", "just", "like", "told", "new", "year", "also", "according"}
_DAY_PRECISIONS = frozenset({Precision.MINUTE.value, Precision.HOUR.value, Precision.DAY.value})

UInt32Array = npt.NDArray[np.uint32]


@lru_cache(maxsize=1 << 18)
def token_hash(token: str) -> int:
    """A stable 64-bit hash of a token (Python's ``hash`` changes between processes)."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


@lru_cache(maxsize=8)
def _permutations(perms: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    rng = np.random.default_rng(20240613)
    a = rng.integers(1, 1 << 32, size=perms, dtype=np.uint64)
    b = rng.integers(0, 1 << 32, size=perms, dtype=np.uint64)
    return a, b


def normalise_text(text: str) -> str:
    """Unicode-fold, lowercase, and keep words only, so whitespace/punctuation edits do not matter."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_WORD.findall(folded))


@lru_cache(maxsize=1 << 16)
def _short_text_key(text: str) -> str:
    """:func:`normalise_text` of a key phrase or a date mention: short strings that recur across
    articles, so their normal form is remembered."""
    return normalise_text(text)


def _stem(token: str) -> str:
    """A deliberately light stemmer: plural and possessive endings only."""
    if token.endswith("'s"):
        token = token[:-2]
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


@dataclass(frozen=True, slots=True)
class ArticleFeatures:
    """What the assigner needs to know about one article; see :func:`featurize`."""

    article_id: str
    version: int
    outlet: str | None
    url_key: str | None
    stream_time: datetime
    fingerprint: str
    signature: UInt32Array
    n_shingles: int
    terms: dict[int, float]  # hashed term bucket -> sublinear term frequency
    entities: dict[str, float]  # canonical entity id -> weight (salience based)
    phrases: frozenset[str]
    event_type: str
    event_date: date | None
    date_precision: str
    date_confidence: float
    weekday: int | None = None  # 0 = Monday; the day of week the article says its event happens on
    published: bool = False  # stream_time is a publication time, not just a fetch time
    received: datetime | None = None  # fetch time: what retention counts from (None = stream_time)
    title_terms: dict[int, float] = field(default_factory=dict)  # the headline's terms
    lead_terms: dict[int, float] = field(default_factory=dict)  # the first sentences' terms
    numbers: frozenset[str] = frozenset()  # counts, ages, amounts the text states
    entity_kinds: dict[str, str] = field(default_factory=dict)  # entity key -> person / org / place / other

    @property
    def retained_from(self) -> datetime:
        """When the retention window starts for this article: the later of fetch and publication
        time, so back-filled old news is still kept for the window after it arrived."""
        return max(self.stream_time, self.received) if self.received else self.stream_time

    @property
    def day_date(self) -> date | None:
        """The event date when it is known to the day, else None."""
        if self.event_date is not None and self.date_precision in _DAY_PRECISIONS:
            return self.event_date
        return None

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable form, for a topic between featurisation and assignment."""
        return {
            "article_id": self.article_id,
            "version": self.version,
            "outlet": self.outlet,
            "url_key": self.url_key,
            "stream_time": self.stream_time.isoformat(),
            "fingerprint": self.fingerprint,
            "signature": self.signature.tolist(),
            "n_shingles": self.n_shingles,
            "terms": [[k, v] for k, v in self.terms.items()],
            "entities": self.entities,
            "phrases": sorted(self.phrases),
            "event_type": self.event_type,
            "event_date": self.event_date.isoformat() if self.event_date else None,
            "date_precision": self.date_precision,
            "date_confidence": self.date_confidence,
            "weekday": self.weekday,
            "published": self.published,
            "received": self.received.isoformat() if self.received else None,
            "title_terms": [[k, v] for k, v in self.title_terms.items()],
            "lead_terms": [[k, v] for k, v in self.lead_terms.items()],
            "numbers": sorted(self.numbers),
            "entity_kinds": self.entity_kinds,
        }

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> ArticleFeatures:
        return cls(
            article_id=str(rec["article_id"]),
            version=int(rec["version"]),
            outlet=rec.get("outlet"),
            url_key=rec.get("url_key"),
            stream_time=datetime.fromisoformat(rec["stream_time"]),
            fingerprint=str(rec["fingerprint"]),
            signature=np.asarray(rec["signature"], dtype=np.uint32),
            n_shingles=int(rec["n_shingles"]),
            terms={int(k): float(v) for k, v in rec["terms"]},
            entities={str(k): float(v) for k, v in rec["entities"].items()},
            phrases=frozenset(rec.get("phrases", [])),
            event_type=str(rec.get("event_type", "other")),
            event_date=date.fromisoformat(rec["event_date"]) if rec.get("event_date") else None,
            date_precision=str(rec.get("date_precision", Precision.UNKNOWN.value)),
            date_confidence=float(rec.get("date_confidence", 0.0)),
            weekday=None if rec.get("weekday") is None else int(rec["weekday"]),
            published=bool(rec.get("published", False)),
            received=datetime.fromisoformat(rec["received"]) if rec.get("received") else None,
            title_terms={int(k): float(v) for k, v in rec.get("title_terms", [])},
            lead_terms={int(k): float(v) for k, v in rec.get("lead_terms", [])},
            numbers=frozenset(str(x) for x in rec.get("numbers", [])),
            entity_kinds={str(k): str(v) for k, v in rec.get("entity_kinds", {}).items()},
        )


def minhash_signature(tokens: list[str], shingle_size: int, perms: int) -> tuple[UInt32Array, int]:
    """MinHash signature of the set of word ``shingle_size``-grams, and that set's size."""
    hashes = np.fromiter(map(token_hash, tokens), dtype=np.uint64, count=len(tokens))
    k = min(shingle_size, len(hashes))
    if k == 0:
        return np.full(perms, 0xFFFFFFFF, dtype=np.uint32), 0
    n = len(hashes) - k + 1
    combined = hashes[:n].copy()
    mult = np.uint64(0x9E3779B97F4A7C15)
    for i in range(1, k):
        combined = combined * mult + hashes[i : i + n]  # wraps modulo 2**64 on purpose
    shingles = np.unique((combined >> np.uint64(32)) ^ (combined & _MASK32))
    a, b = _permutations(perms)
    permuted = _mod_mersenne(np.outer(shingles, a) + b)  # a, x < 2**32 so no overflow
    return (permuted & _MASK32).min(axis=0).astype(np.uint32), len(shingles)


def _mod_mersenne(y: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """``y % (2**61 - 1)`` without a division: 2**61 is 1 modulo the prime, so the high bits fold
    onto the low ones; the sum is below twice the prime, so one conditional subtraction ends it."""
    r = (y & _MERSENNE) + (y >> np.uint64(61))
    r[r >= _MERSENNE] -= _MERSENNE
    return r


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def reliable_event_date(article: EnrichedArticle) -> bool:
    """Whether the event date can be trusted to the day: it is, when the article has a
    publication time or the date was written out in full; a date resolved against the
    fetch time of an undated article ("on Tuesday", "Sept. 8") may be off by years."""
    ed = article.event_date
    if ed is None:
        return False
    if article.article.published_at is not None:
        return True
    refs = {t.reference for t in article.temporals if ed.evidence and t.text == ed.evidence}
    return "absolute" in refs


def event_weekday(article: EnrichedArticle) -> int | None:
    """The day of week of the article's event: from a day-precision event date, else from the
    first temporal mention that names a weekday ("on Thursday"). A weekday survives when the
    year or the reference time is unknown, so it still tells apart two look-alike events."""
    ed = article.event_date
    if ed is not None and ed.precision.value in _DAY_PRECISIONS and reliable_event_date(article):
        return ed.date.weekday()
    for mention in sorted(article.temporals, key=lambda t: t.start):
        words = set(_short_text_key(mention.text).split(" "))
        for i, name in enumerate(_WEEKDAYS):
            if name in words:
                return i
    return None


#: Entity kinds the small NER model confuses with each other ("Maurice Cheeks" tagged as a
#: place in one article, a person in the next): they are compared by name alone.
_NAMED_KINDS = frozenset({"person", "org", "place"})


def entity_key(entity_id: str) -> str:
    """The key an entity is compared by: ``name:<slug>`` for people, organisations and places
    (one name, whatever kind the model gave it), the id itself for groups and other kinds."""
    kind, sep, name = entity_id.lower().partition(":")
    return f"name:{name}" if sep and kind in _NAMED_KINDS else entity_id.lower()


def _url_key(url: str | None) -> str | None:
    """The URL an article is recognised by across versions: scheme, ``www.``, fragment, a trailing
    slash and tracking parameters ignored, the other query parameters kept (sorted): on many
    sites they name the article (``story?id=2066717``, WordPress ``?p=123``)."""
    if not url:
        return None
    base, _, query = url.strip().split("#", 1)[0].partition("?")
    key = base.lower().rstrip("/")
    for prefix in ("https://", "http://"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    key = key.removeprefix("www.")
    params = sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_tracking_param(k))
    if params:
        key += "?" + urlencode(params)
    return key or None


_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_LEAD_WORDS = 60  # about the first two sentences: who, where, when


@lru_cache(maxsize=1 << 18)
def _term_bucket(token: str, buckets: int) -> int:
    """The hashed bucket of a token's stem; -1 for single letters and stop words (not terms)."""
    if len(token) <= 1 or token in _STOP:
        return -1
    return token_hash(_stem(token)) % buckets


def _term_counts(tokens: Iterable[str], buckets: int) -> Counter[int]:
    counts = Counter(map(_term_bucket, tokens, repeat(buckets)))
    counts.pop(-1, None)
    return counts


def _sublinear(counts: Counter[int], keep: int) -> dict[int, float]:
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:keep]
    return {bucket: 1.0 + math.log(tf) for bucket, tf in top}


def _numbers(tokens: list[str]) -> frozenset[str]:
    """The figures a text states (tolls, ages, counts), digits or number words; years are
    left out (they say when, which the date features compare)."""
    found: set[str] = set()
    for tok in set(tokens):  # a set of figures comes out: each distinct token is looked at once
        value = _NUMBER_WORDS.get(tok, tok)
        if value.isdigit() and len(value) <= 7 and not (len(value) == 4 and value[:2] in {"19", "20"}):
            found.add(value.lstrip("0") or "0")
    return frozenset(found)


def _kind(entity_id: str) -> str:
    kind = entity_id.lower().partition(":")[0]
    return kind if kind in _NAMED_KINDS else "other"


def featurize(article: EnrichedArticle, config: DedupConfig | None = None) -> ArticleFeatures:
    """Compute an article's features; raises RejectedInput when it has no words at all."""
    cfg = config or DedupConfig()
    clean = article.article
    normalised = normalise_text(clean.text)
    if not normalised:
        raise RejectedInput(f"article {clean.article_id} has no words to deduplicate on", reason="no_words")
    tokens = normalised.split(" ")[:_MAX_TOKENS]
    signature, n_shingles = minhash_signature(tokens, cfg.shingle_size, cfg.minhash_perms)

    counts = _term_counts(tokens, cfg.term_buckets)
    title = normalise_text(clean.title) if clean.title else ""
    title_counts = _term_counts(title.split(" "), cfg.term_buckets) if title else Counter()
    if title and cfg.title_boost > 0 and not normalised.startswith(title):
        counts.update(title_counts)
    terms = _sublinear(counts, cfg.max_terms_per_article)
    title_terms = _sublinear(title_counts, cfg.max_terms_per_article)
    lead_terms = _sublinear(_term_counts(tokens[:_LEAD_WORDS], cfg.term_buckets), cfg.max_terms_per_article)

    entities: dict[str, float] = {}
    kinds: dict[str, str] = {}
    for ent in article.entities:
        if not ent.id:
            continue
        weight = 0.25 + ent.salience if ent.salience > 0 else min(1.0, 0.25 + 0.15 * ent.count)
        key = entity_key(ent.id)
        if weight > entities.get(key, 0.0):
            entities[key] = weight
            kinds[key] = _kind(ent.id)

    phrases = frozenset(p for p in map(_short_text_key, article.key_phrases[:40]) if p)
    # an unanchored date (resolved against the fetch time of an undated article) can be off by
    # days or years, so it must not veto a join: its weekday (below) is what survives of it
    ed = article.event_date if reliable_event_date(article) else None
    received = clean.fetched_at if clean.fetched_at.tzinfo else clean.fetched_at.replace(tzinfo=UTC)
    stream_time = clean.published_at or received
    if stream_time.tzinfo is None:
        stream_time = stream_time.replace(tzinfo=UTC)
    return ArticleFeatures(
        article_id=clean.article_id,
        version=clean.version,
        outlet=(clean.outlet or clean.site_name or "").strip().lower() or None,
        url_key=_url_key(clean.canonical_url or clean.url),
        stream_time=stream_time,
        fingerprint=hashlib.sha1(normalised.encode("utf-8")).hexdigest()[:24],
        signature=signature,
        n_shingles=n_shingles,
        terms=terms,
        entities=entities,
        phrases=phrases,
        event_type=(article.event_type or "other").lower(),
        event_date=ed.date if ed else None,
        date_precision=ed.precision.value if ed else Precision.UNKNOWN.value,
        date_confidence=ed.confidence if ed else 0.0,
        weekday=event_weekday(article),
        published=clean.published_at is not None,
        received=received,
        title_terms=title_terms,
        lead_terms=lead_terms,
        numbers=_numbers(tokens),
        entity_kinds=kinds,
    )
