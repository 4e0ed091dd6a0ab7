"""What the model sees: a vector of similarities between one article and each candidate event.

Every feature is a plain measurement (a cosine, a share of names found, a gap in days); none
carries a weight or a threshold: how much each one counts, and when an article starts a new
event, is what the model learns (:mod:`services.deduplicator.model`). ``-1`` marks a feature
one side cannot give (no headline, no date); the trees learn what that means.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from services.deduplicator.features import ArticleFeatures
from services.deduplicator.index import DocFreq
from services.deduplicator.state import EventState
from services.deduplicator.vectors import TermVector, norms

K = TypeVar("K", int, str)
FloatArray = npt.NDArray[np.float64]

_DAY = {"minute", "hour", "day"}
_MONTH = _DAY | {"week", "month"}
_KINDS = ("person", "org", "place")
_LEADING_SHARE = 0.8  # a participant weighing this share of the heaviest one leads
_MINOR_SHARE = 0.5  # below this share of the other side's heaviest, a name is only mentioned in passing
_SUPPORT_SHARE = 0.25  # an event's days holding this share of its top day's votes are its days

#: The columns of the pair matrix, in order; the model file lists them too and loading checks
#: that they are the same.
FEATURE_NAMES: tuple[str, ...] = (
    "content_link",  # dot with the event's summed unit vectors / n^0.75
    "content_mean",  # the same / n: the mean cosine to the members
    "content_centroid",  # cosine to the summed vector
    "title_link",
    "lead_link",
    "entity_link",
    "person_found",  # idf-weighted share of the article's people the event names
    "org_found",
    "place_found",
    "leaders_differ",  # each side's leading participant absent or minor on the other
    "article_leader_share",  # the article's leading participant's weight in the event, relative
    "numbers_shared",
    "numbers_overlap",
    "pub_gap_first_days",  # log1p of days to the event's first publication
    "pub_gap_last_days",
    "date_gap_days",  # log1p of days between extracted event dates (nearest supported day)
    "month_conflict",
    "weekday_gap",
    "same_type",
    "event_size",
    "phrase_overlap",
    "key_hits",  # index keys the article shares with the event (retrieval)
    "content_vs_best_other",  # this candidate minus the best other candidate (-1 counted as 0)
    "entity_vs_best_other",
    "title_vs_best_other",
    "content_rank",
    "n_candidates",
)
N_FEATURES = len(FEATURE_NAMES)
_WEEKDAY_GAP = FEATURE_NAMES.index("weekday_gap")
_DATE_GAP = FEATURE_NAMES.index("date_gap_days")


def timing_conflicts(x: FloatArray) -> npt.NDArray[np.bool_]:
    """Candidates the article cannot belong to: it states a weekday for its event two or more days
    from every well-supported weekday of the event, and no anchored dates compare the two.

    A constraint, not a learned weight: one phone call, summit or shooting happens on its day, and
    the labelled streams hold too few such conflicts for the model to learn it (the two seed calls,
    Thursday and Saturday, same leaders and wording, scored 0.99 as one event). Multi-day events
    keep every day that holds a quarter of the votes, so their later days are not in conflict."""
    return (x[:, _WEEKDAY_GAP] >= 2.0) & (x[:, _DATE_GAP] < 0.0)


_REL = {
    "content_vs_best_other": "content_link",
    "entity_vs_best_other": "entity_link",
    "title_vs_best_other": "title_link",
}


def unit_vector(vec: Mapping[K, float], weight: Callable[[K], float]) -> dict[K, float]:
    """``vec`` weighted by ``weight`` and scaled to unit length (empty stays empty)."""
    weighted = {k: v * weight(k) for k, v in vec.items()}
    norm = math.sqrt(sum(x * x for x in weighted.values()))
    return {k: x / norm for k, x in weighted.items()} if norm else {}


class ArticleView:
    """The article's idf-weighted unit vectors, computed once and compared with every candidate."""

    def __init__(self, feats: ArticleFeatures, term_df: DocFreq[int], entity_idf: Callable[[str], float]):
        self.feats = feats
        idf = term_df.idfs((*feats.terms, *feats.title_terms, *feats.lead_terms))
        self.term_idf = idf
        self.terms = TermVector.from_mapping(unit_vector(feats.terms, idf.__getitem__))
        self.title = TermVector.from_mapping(unit_vector(feats.title_terms, idf.__getitem__))
        self.lead = TermVector.from_mapping(unit_vector(feats.lead_terms, idf.__getitem__))
        self.entities = unit_vector(feats.entities, entity_idf)
        self.index_terms: list[int] | None = None  # its postings keys, once ranked (store.py)
        self.leaders = _leading(feats.entities)
        self.words = _by_word(feats.entities)
        self.kind_idf: dict[str, list[tuple[str, float]]] = {k: [] for k in _KINDS}
        for key, kind in feats.entity_kinds.items():
            if kind in self.kind_idf:
                self.kind_idf[kind].append((key, entity_idf(key)))


def _link(dot: float, n: int) -> float:
    return 0.0 if n <= 0 or dot <= 0.0 else min(1.0, dot / n**0.75)


def _supported(votes: Mapping[str, float]) -> list[str]:
    top = max(votes.values(), default=0.0)
    return [k for k, v in votes.items() if top > 0 and v >= _SUPPORT_SHARE * top]


def _days(since: datetime | None, when: datetime, published: bool) -> float:
    if since is None or not published:
        return -1.0
    return math.log1p(abs((when - since).total_seconds()) / 86400.0)


def _date_features(f: ArticleFeatures, ev: EventState) -> tuple[float, float, float]:
    """Day gap to the nearest well-supported day, month conflict, weekday gap (-1 = unknown)."""
    gap = month = wday = -1.0
    days = _supported(ev.day_votes) if f.day_date is not None else []
    if f.event_date is not None and days:
        gap = math.log1p(min(abs((f.event_date - date.fromisoformat(d)).days) for d in days))
    if f.event_date is not None and f.date_precision in _MONTH and ev.month_votes:
        top = max(ev.month_votes.items(), key=lambda kv: (kv[1], kv[0]))[0]
        month = float(top != f"{f.event_date.year:04d}-{f.event_date.month:02d}")
    wdays = _supported(ev.weekday_votes) if f.weekday is not None else []
    if f.weekday is not None and wdays:
        wday = float(min(min(g, 7 - g) for g in (abs(f.weekday - int(d)) % 7 for d in wdays)))
    return gap, month, wday


@lru_cache(maxsize=1 << 16)
def _name_tokens(entity_id: str) -> frozenset[str]:
    """The words of an entity key ("name:hasim-rahman" -> {"hasim", "rahman"})."""
    return frozenset(t for t in entity_id.split(":", 1)[-1].split("-") if len(t) > 2)


def _leading(weights: Mapping[str, float]) -> list[str]:
    parts = {e: w for e, w in weights.items() if e.startswith(("name:", "person:", "org:", "place:"))}
    top = max(parts.values(), default=0.0)
    return [e for e, w in parts.items() if top > 0 and w >= _LEADING_SHARE * top]


def _by_word(weights: Mapping[str, float]) -> tuple[dict[str, float], float]:
    """Each name word's heaviest weight, and the heaviest weight overall."""
    by_word: dict[str, float] = {}
    for entity, weight in weights.items():
        for word in _name_tokens(entity):
            if weight > by_word.get(word, 0.0):
                by_word[word] = weight
    return by_word, max(weights.values(), default=0.0)


def _share_in(keys: list[str], other: tuple[dict[str, float], float]) -> float:
    """The lowest weight, relative to the other side's heaviest entity, that it gives one of
    ``keys`` (an entity stands for a key when they share a name word); -1 when unknown."""
    by_word, top = other
    if not keys or top <= 0:
        return -1.0
    return min(max((by_word.get(w, 0.0) for w in _name_tokens(k)), default=0.0) for k in keys) / top


def participants_differ(mine: Mapping[str, float], theirs: Mapping[str, float]) -> bool:
    """Whether each side has a leading participant the other names at most in passing."""
    return _differ(_leading(mine), _by_word(mine), _leading(theirs), _by_word(theirs))


def _differ(
    a: list[str], a_words: tuple[dict[str, float], float], b: list[str], b_words: tuple[dict[str, float], float]
) -> bool:
    if not a or not b:
        return False
    return 0 <= _share_in(a, b_words) < _MINOR_SHARE and 0 <= _share_in(b, a_words) < _MINOR_SHARE


def _found(pairs: list[tuple[str, float]], ev: EventState) -> float:
    total = sum(w for _, w in pairs)
    return sum(w for k, w in pairs if k in ev.entities) / total if total else -1.0


def pair_row(view: ArticleView, ev: EventState, hits: int, dots: tuple[float, float, float, float]) -> list[float]:
    """The first columns of :data:`FEATURE_NAMES` (all but the candidate-relative ones);
    ``dots``: the article's text, headline and lead vectors dotted with the event's, and the
    length of the event's text vector (computed for all candidates at once by :func:`pair_matrix`)."""
    f = view.feats
    n = max(1, ev.n_content)
    dot, title_dot, lead_dot, norm = dots
    title = _link(title_dot, ev.n_titled) if len(view.title) and ev.n_titled else -1.0
    ent_dot = sum(x * ev.entities.get(k, 0.0) for k, x in view.entities.items())
    shared = len(f.numbers & ev.numbers.keys())
    gap, month, wday = _date_features(f, ev)
    top_type = ev.event_types.most_common(1)[0][0] if ev.event_types else "other"
    if ev.participant_cache is None:  # reset whenever the participants change (events.py)
        ev.participant_cache = (_leading(ev.participants), _by_word(ev.participants))
    ev_leaders, ev_words = ev.participant_cache
    return [
        _link(dot, n),
        max(0.0, dot / n),
        max(0.0, dot / norm) if norm else 0.0,
        title,
        _link(lead_dot, n) if len(view.lead) else -1.0,
        _link(ent_dot, n) if view.entities and ev.entities else -1.0,
        *(_found(view.kind_idf[k], ev) for k in _KINDS),
        float(_differ(view.leaders, view.words, ev_leaders, ev_words)) if f.entities and ev.participants else -1.0,
        _share_in(view.leaders, ev_words) if ev.participants else -1.0,
        float(shared),
        shared / min(len(f.numbers), len(ev.numbers)) if f.numbers and ev.numbers else -1.0,
        _days(ev.first_published, f.stream_time, f.published),
        _days(ev.last_published, f.stream_time, f.published),
        gap,
        month,
        wday,
        -1.0 if "other" in (f.event_type, top_type) else float(f.event_type == top_type),
        math.log1p(ev.n_content),
        sum(1 for p in f.phrases if p in ev.phrases) / min(len(f.phrases), len(ev.phrases))
        if f.phrases and ev.phrases
        else -1.0,
        float(hits),
    ]


def pair_matrix(view: ArticleView, events: Sequence[EventState], hits: Sequence[int]) -> tuple[list[int], FloatArray]:
    """The candidates the article can belong to (indexes into ``events``) and their rows, columns
    :data:`FEATURE_NAMES`. Candidates ruled out by :func:`timing_conflicts` are dropped before the
    candidate-relative columns are computed: an event the article cannot join must not make the
    right one look weak (a vetoed look-alike with more shared names did exactly that)."""
    if not len(events):
        return [], np.zeros((0, N_FEATURES), dtype=np.float64)
    dots = zip(
        view.terms.dots([ev.terms for ev in events]).tolist(),
        view.title.dots([ev.title_terms for ev in events]).tolist(),
        view.lead.dots([ev.lead_terms for ev in events]).tolist(),
        norms([ev.terms for ev in events]).tolist(),
        strict=True,
    )
    rows = [pair_row(view, ev, h, d) for ev, h, d in zip(events, hits, dots, strict=True)]
    base = np.array(rows, dtype=np.float64)
    nb = base.shape[1]
    padded = np.zeros((len(events), N_FEATURES), dtype=np.float64)
    padded[:, :nb] = base
    kept = [int(i) for i in np.flatnonzero(~timing_conflicts(padded))]
    out = padded[kept]
    if not kept:
        return kept, out
    for name, src in _REL.items():
        # a side without a headline or names (-1) offers no evidence: it counts as 0 in the
        # margin, else 0.34 - (-1) reads as a lead of 1.34 and -1 - 0.34 as a huge deficit
        col = np.maximum(out[:, FEATURE_NAMES.index(src)], 0.0)
        if len(col) == 1:
            rel = col.copy()
        else:
            order = np.argsort(-col, kind="stable")
            best, second = col[order[0]], col[order[1]]
            rel = col - np.where(np.arange(len(col)) == order[0], second, best)
        out[:, FEATURE_NAMES.index(name)] = rel
    content = out[:, 0]
    out[:, FEATURE_NAMES.index("content_rank")] = np.argsort(np.argsort(-content, kind="stable"), kind="stable")
    out[:, FEATURE_NAMES.index("n_candidates")] = len(kept)
    return kept, out
