"""The two sides of a pair, prepared for many comparisons: an article's idf-weighted vectors
(:class:`ArticleView`) and an event's derived quantities (:class:`EventSummary`).

Scoring is the deduplicator's hot path: an article is scored once on arrival and, while it is
alone in its event, again by the delayed re-checks and the merge on update, each time against a
handful of candidate events. So what does not change between those calls is computed once:

* :class:`ArticleBasis`: what depends on the article alone (its keys, sort orders, names); a
  founder keeps it for its re-checks. Its idf weights depend on the document frequencies, which
  every new article changes, so the view itself is rebuilt at each scoring, from the basis.
* :class:`EventSummary`: what depends on the event alone (leading participants, stacked vectors,
  vector length, supported days); kept on the event until its content changes.

The arithmetic is the plain-Python one, element by element and in the same order (sums run left
to right, via ``cumsum``), so every feature is the same float as before, to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import chain, pairwise, repeat
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from services.deduplicator.features import ArticleFeatures
from services.deduplicator.index import DocFreq
from services.deduplicator.state import EventState
from services.deduplicator.vectors import PART, Stacked, TermVector, norms, stack

K = TypeVar("K", int, str)
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

KINDS = ("person", "org", "place")
_MONTH = frozenset({"minute", "hour", "day", "week", "month"})  # date precisions that name the month
_LEADING_SHARE = 0.8  # a participant weighing this share of the heaviest one leads
_SUPPORT_SHARE = 0.25  # an event's days holding this share of its top day's votes are its days


def unit_vector(vec: Mapping[K, float], weight: Callable[[K], float]) -> dict[K, float]:
    """``vec`` weighted by ``weight`` and scaled to unit length (empty stays empty)."""
    weighted = {k: v * weight(k) for k, v in vec.items()}
    norm = math.sqrt(sum(x * x for x in weighted.values()))
    return {k: x / norm for k, x in weighted.items()} if norm else {}


@lru_cache(maxsize=1 << 16)
def name_tokens(entity_id: str) -> frozenset[str]:
    """The words of an entity key ("name:hasim-rahman" -> {"hasim", "rahman"})."""
    return frozenset(t for t in entity_id.split(":", 1)[-1].split("-") if len(t) > 2)


def leading(weights: Mapping[str, float]) -> list[str]:
    parts = {e: w for e, w in weights.items() if e.startswith(("name:", "person:", "org:", "place:"))}
    top = max(parts.values(), default=0.0)
    return [e for e, w in parts.items() if top > 0 and w >= _LEADING_SHARE * top]


def leader_tokens(leaders: list[str]) -> list[tuple[str, ...]]:
    return [tuple(name_tokens(k)) for k in leaders]


def by_word(weights: Mapping[str, float]) -> tuple[dict[str, float], float]:
    """Each name word's heaviest weight, and the heaviest weight overall."""
    words: dict[str, float] = {}
    for entity, weight in weights.items():
        for word in name_tokens(entity):
            if weight > words.get(word, 0.0):
                words[word] = weight
    return words, max(weights.values(), default=0.0)


def month_key(f: ArticleFeatures) -> str | None:
    """The article's event month ("YYYY-MM") when its date is known to the month."""
    if f.event_date is None or f.date_precision not in _MONTH:
        return None
    return f"{f.event_date.year:04d}-{f.event_date.month:02d}"


def supported(votes: Mapping[str, float]) -> list[str]:
    top = max(votes.values(), default=0.0)
    return [k for k, v in votes.items() if top > 0 and v >= _SUPPORT_SHARE * top]


class ArticleBasis:
    """What an article's view needs that the stream does not change (see the module docstring)."""

    def __init__(self, feats: ArticleFeatures) -> None:
        self.feats = feats
        # every term key once, in first-seen order: the idf is looked up once per key
        parts = (feats.terms, feats.title_terms, feats.lead_terms)
        all_keys = list(chain(*parts))
        self.keys = list(dict.fromkeys(all_keys))
        position = {k: i for i, k in enumerate(self.keys)}
        # the three parts' term frequencies end to end, each in its mapping's order, with each
        # key's position in ``keys``; ``bounds`` delimit the parts
        n = len(all_keys)
        self.tf = np.fromiter(chain(*(p.values() for p in parts)), dtype=np.float64, count=n)
        self.at = np.fromiter(map(position.__getitem__, all_keys), dtype=np.int64, count=n)
        self.bounds = [0, len(parts[0]), len(parts[0]) + len(parts[1]), n]
        self.lens = np.diff(self.bounds)
        # the stacked (vectors.stack) layout: each part's keys ascending, parts apart
        keys = np.fromiter(all_keys, dtype=np.uint32, count=n)
        orders = [np.argsort(keys[lo:hi], kind="stable") for lo, hi in pairwise(self.bounds)]
        self.sorted_keys = [keys[lo:hi][o] for (lo, hi), o in zip(pairwise(self.bounds), orders, strict=True)]
        self.to_stacked = np.concatenate([o + lo for o, lo in zip(orders, self.bounds, strict=False)])
        self.stacked_keys = np.concatenate([k.astype(np.int64) + i * PART for i, k in enumerate(self.sorted_keys)])
        self.leaders = leading(feats.entities)
        self.leader_tokens = leader_tokens(self.leaders)
        self.words = by_word(feats.entities)
        self.month_key = month_key(feats)
        self.entity_idf_keys = list(dict.fromkeys((*feats.entities, *feats.entity_kinds)))
        # the names looked up in each candidate event (pairs.pair_rows): the weighted ones first,
        # in order, then names with a kind but no weight; per kind, its names' columns
        self.entity_keys = [*feats.entities, *(k for k in feats.entity_kinds if k not in feats.entities)]
        column = {k: i for i, k in enumerate(self.entity_keys)}
        self.kind_keys = {kind: [k for k, v in feats.entity_kinds.items() if v == kind] for kind in KINDS}
        self.kind_cols = [[column[k] for k in self.kind_keys[kind]] for kind in KINDS]
        # pairs.pair_rows' columns that depend on this article and one event only, by event id,
        # with what they were computed from (the event's summary and publication span): a
        # founder's re-checks reuse them while the event has not changed
        self.pairs: dict[str, tuple[Any, ...]] = {}


class ArticleView:
    """The article's idf-weighted unit vectors, computed once per scoring and compared with every
    candidate; ``basis``: the article's :class:`ArticleBasis` when one is kept (re-checks)."""

    def __init__(
        self,
        feats: ArticleFeatures,
        term_df: DocFreq[int],
        entity_idf: Callable[[str], float],
        basis: ArticleBasis | None = None,
    ) -> None:
        b = basis if basis is not None and basis.feats is feats else ArticleBasis(feats)
        self.basis = b
        self.feats = feats
        self._unit_vectors(b, term_df)
        ent_idf = {k: entity_idf(k) for k in b.entity_idf_keys}
        self.entities = unit_vector(feats.entities, ent_idf.__getitem__)
        self.index_terms: list[int] | None = None  # its postings keys, once ranked (store.py)
        self.leaders = b.leaders
        self.leader_tokens = b.leader_tokens
        self.words = b.words
        self.month_key = b.month_key
        self.kind_idf = {kind: [(k, ent_idf[k]) for k in keys] for kind, keys in b.kind_keys.items()}
        self.entity_keys = b.entity_keys
        # the weights the pair features sum over the event's share of the article's names: row 0
        # the article's unit entity weights (entity_link), rows 1-3 each kind's idf weights in its
        # columns (the *_found shares), 0 elsewhere; and each kind's total, summed left to right
        weights = np.zeros((1 + len(KINDS), len(b.entity_keys)), dtype=np.float64)
        weights[0, : len(self.entities)] = list(self.entities.values())
        self.kind_totals: list[float] = []
        for row, (cols, pairs) in enumerate(zip(b.kind_cols, self.kind_idf.values(), strict=True), 1):
            weights[row, cols] = [w for _, w in pairs]
            self.kind_totals.append(sum(w for _, w in pairs))
        self.entity_sum_weights = weights

    def _unit_vectors(self, b: ArticleBasis, term_df: DocFreq[int]) -> None:
        """The text, headline and lead vectors: ``TermVector.from_mapping(unit_vector(part, idf))``
        for each, by the same products, the squares summed left to right in the mapping's order,
        the same square root and quotients."""
        counts = list(map(term_df.counts.get, b.keys, repeat(0)))
        idf = term_df.idf_of_counts(counts)
        self.term_idf = dict(zip(b.keys, idf, strict=True))
        weighted = b.tf * np.array(idf, dtype=np.float64)[b.at]
        squares = weighted * weighted
        unit = np.empty(len(weighted), dtype=np.float64)
        zero = []
        for i, (lo, hi) in enumerate(pairwise(b.bounds)):
            if hi > lo:
                norm = math.sqrt(float(np.cumsum(squares[lo:hi])[-1]))
                unit[lo:hi] = weighted[lo:hi] / norm if norm else 0.0
                if not norm:
                    zero.append(i)
        vals = unit.astype(np.float32)[b.to_stacked]
        parts = [TermVector(k, vals[lo:hi]) for k, (lo, hi) in zip(b.sorted_keys, pairwise(b.bounds), strict=True)]
        if zero:  # a zero vector is empty, as unit_vector makes it (cannot happen: every idf is >= 1)
            parts = [TermVector.empty() if i in zero else p for i, p in enumerate(parts)]
            self.vectors = stack(parts)
        else:
            self.vectors = Stacked(b.stacked_keys, vals.astype(np.float64), b.lens)
        self.terms, self.title, self.lead = parts


@dataclass(frozen=True, slots=True)
class EventSummary:
    """What the pair features read from an event on every scoring call, derived once per change
    of its content: kept in ``EventState.participant_cache``, which ``events.add_article`` and
    ``events.fold`` reset whenever they change the event's vectors, names, votes or counts (the
    fields read here); an event is scored against many articles between two changes."""

    leaders: list[str]
    leader_tokens: list[tuple[str, ...]]  # each leader's name words
    words: tuple[dict[str, float], float]
    vectors: Stacked  # text, headline, lead
    norm: float  # length of the text vector
    n_075: float  # max(1, n_content) ** 0.75
    titled_075: float  # n_titled ** 0.75
    size: float  # log1p(n_content)
    top_type: str
    days: tuple[date, ...]  # well-supported extracted days
    top_month: str | None
    weekdays: tuple[int, ...]  # well-supported weekdays


def summary(ev: EventState) -> EventSummary:
    cached = ev.participant_cache
    if isinstance(cached, EventSummary):
        return cached
    n = max(1, ev.n_content)
    month = max(ev.month_votes.items(), key=lambda kv: (kv[1], kv[0]))[0] if ev.month_votes else None
    leaders = leading(ev.participants)
    made = EventSummary(
        leaders=leaders,
        leader_tokens=leader_tokens(leaders),
        words=by_word(ev.participants),
        vectors=stack((ev.terms, ev.title_terms, ev.lead_terms)),
        norm=float(norms([ev.terms])[0]),
        n_075=n**0.75,
        titled_075=ev.n_titled**0.75,
        size=math.log1p(ev.n_content),
        top_type=ev.event_types.most_common(1)[0][0] if ev.event_types else "other",
        days=tuple(date.fromisoformat(d) for d in supported(ev.day_votes)),
        top_month=month,
        weekdays=tuple(int(d) for d in supported(ev.weekday_votes)),
    )
    ev.participant_cache = made
    return made
