"""What the model sees: a vector of similarities between one article and each candidate event.

Every feature is a plain measurement (a cosine, a share of names found, a gap in days); none
carries a weight or a threshold: how much each one counts, and when an article starts a new
event, is what the model learns (:mod:`services.deduplicator.model`). ``-1`` marks a feature
one side cannot give (no headline, no date); the trees learn what that means.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from itertools import repeat

import numpy as np
import numpy.typing as npt

from services.deduplicator.features import ArticleFeatures
from services.deduplicator.state import EventState
from services.deduplicator.vectors import stacked_dots
from services.deduplicator.views import KINDS as _KINDS
from services.deduplicator.views import ArticleView, EventSummary, leader_tokens, month_key, summary, unit_vector
from services.deduplicator.views import by_word as _by_word
from services.deduplicator.views import leading as _leading

__all__ = ["FEATURE_NAMES", "N_FEATURES", "ArticleView", "pair_matrix", "timing_conflicts", "unit_vector"]

FloatArray = npt.NDArray[np.float64]

_MINOR_SHARE = 0.5  # below this share of the other side's heaviest, a name is only mentioned in passing

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


def _days(since: datetime | None, when: datetime, published: bool) -> float:
    if since is None or not published:
        return -1.0
    return math.log1p(abs((when - since).total_seconds()) / 86400.0)


def _date_features(f: ArticleFeatures, ev: EventState, s: EventSummary | None = None) -> tuple[float, float, float]:
    """Day gap to the nearest well-supported day, month conflict, weekday gap (-1 = unknown)."""
    return _date_gaps(f.day_date, month_key(f), f.weekday, s or summary(ev))


def _date_gaps(day: date | None, month: str | None, weekday: int | None, s: EventSummary) -> tuple[float, float, float]:
    """The date columns from the article's day, month ("YYYY-MM") and weekday, each None when unknown."""
    gap = conflict = wday = -1.0
    if day is not None and s.days:
        gap = math.log1p(min(abs((day - d).days) for d in s.days))
    if month is not None and s.top_month is not None:
        conflict = float(s.top_month != month)
    if weekday is not None and s.weekdays:
        wday = float(min(min(g, 7 - g) for g in (abs(weekday - d) % 7 for d in s.weekdays)))
    return gap, conflict, wday


def _share(tokens: list[tuple[str, ...]], other: tuple[dict[str, float], float]) -> float:
    """The lowest weight, relative to the other side's heaviest entity, that it gives one of the
    leaders whose name words are ``tokens`` (views.leader_tokens; an entity stands for a leader
    when they share a name word); -1 when unknown."""
    by_word, top = other
    if not tokens or top <= 0:
        return -1.0
    get = by_word.get
    return min(max(map(get, words, repeat(0.0)), default=0.0) for words in tokens) / top


def participants_differ(mine: Mapping[str, float], theirs: Mapping[str, float]) -> bool:
    """Whether each side has a leading participant the other names at most in passing."""
    return _differ(leader_tokens(_leading(mine)), _by_word(mine), leader_tokens(_leading(theirs)), _by_word(theirs))


def _differ(
    a: list[tuple[str, ...]],
    a_words: tuple[dict[str, float], float],
    b: list[tuple[str, ...]],
    b_words: tuple[dict[str, float], float],
    a_share: float | None = None,
) -> bool:
    """:func:`participants_differ` from each side's leaders' name words and name-word weights;
    ``a_share``: ``_share(a, b_words)`` when the caller has it already."""
    if not a or not b:
        return False
    ab = _share(a, b_words) if a_share is None else a_share
    return 0 <= ab < _MINOR_SHARE and 0 <= _share(b, a_words) < _MINOR_SHARE


def _links(dot: FloatArray, n_075: FloatArray) -> FloatArray:
    """``min(1, dot / n^0.75)`` of each candidate, 0 where the dot or n is not positive."""
    positive = n_075 > 0.0  # (n = 0 only for a headline-less event, whose column the caller sets to -1)
    return np.where((dot > 0.0) & positive, np.minimum(1.0, dot / np.where(positive, n_075, 1.0)), 0.0)


def _entity_columns(
    view: ArticleView, names: list[list[float]], n_075: FloatArray, named: npt.NDArray[np.bool_]
) -> FloatArray:
    """entity_link and the three ``*_found`` columns from ``names``: each candidate event's weight
    of each of the article's names (nan where it has none). The sums run left to right over the
    article's names as the plain Python sums did (``cumsum``; the names a sum skipped add 0), so
    every value is the same."""
    out = np.full((len(names), 1 + len(_KINDS)), -1.0)
    if not view.entity_keys:
        return out
    w = np.array(names, dtype=np.float64)
    found = ~np.isnan(w)
    weights = view.entity_sum_weights
    terms = np.empty((len(weights), *w.shape), dtype=np.float64)
    terms[0] = np.where(found, w, 0.0) * weights[0]
    terms[1:] = found * weights[1:, None, :]
    sums = np.cumsum(terms, axis=2)[:, :, -1]
    if view.entities:  # ``named``: the event has names
        out[:, 0] = np.where(named, _links(sums[0], n_075), -1.0)
    for j, total in enumerate(view.kind_totals, 1):
        if total:
            out[:, j] = sums[j] / total
    return out


def _event_row(view: ArticleView, ev: EventState, s: EventSummary) -> tuple[float, ...]:
    """The per-event scalars :func:`pair_rows` needs (n, n^0.75, the text vector's length, has a
    headline, n_titled^0.75, has names) and the columns leaders_differ to phrase_overlap."""
    f = view.feats
    share = _share(view.leader_tokens, s.words) if ev.participants else -1.0
    if f.entities and ev.participants:
        leaders = float(_differ(view.leader_tokens, view.words, s.leader_tokens, s.words, a_share=share))
    else:
        leaders = -1.0
    shared = len(f.numbers & ev.numbers.keys())
    gap, month, wday = _date_gaps(f.day_date, view.month_key, f.weekday, s)
    return (
        max(1, ev.n_content),
        s.n_075,
        s.norm,
        ev.n_titled > 0,
        s.titled_075,
        bool(ev.entities),
        leaders,
        share,
        float(shared),
        shared / min(len(f.numbers), len(ev.numbers)) if f.numbers and ev.numbers else -1.0,
        _days(ev.first_published, f.stream_time, f.published),
        _days(ev.last_published, f.stream_time, f.published),
        gap,
        month,
        wday,
        -1.0 if "other" in (f.event_type, s.top_type) else float(f.event_type == s.top_type),
        s.size,
        len(f.phrases & ev.phrases.keys()) / min(len(f.phrases), len(ev.phrases)) if f.phrases and ev.phrases else -1.0,
    )


def pair_rows(view: ArticleView, events: Sequence[EventState], hits: Sequence[int]) -> FloatArray:
    """The first columns of :data:`FEATURE_NAMES` (all but the candidate-relative ones) for every
    candidate, zero-padded to :data:`N_FEATURES`. Each column is the arithmetic of the one-row
    formula it replaced, element by element: the same floats."""
    sums = [summary(ev) for ev in events]
    cache = view.basis.pairs
    rows, names = [], []
    for ev, s in zip(events, sums, strict=True):
        hit = cache.get(ev.event_id)
        if hit is None or hit[0] is not s or hit[1] != ev.first_published or hit[2] != ev.last_published:
            nan = math.nan
            hit = (
                s,
                ev.first_published,
                ev.last_published,
                _event_row(view, ev, s),
                [ev.entities.get(k, nan) for k in view.entity_keys],
            )
            cache[ev.event_id] = hit
        rows.append(hit[3])
        names.append(hit[4])
    per_event = np.array(rows, dtype=np.float64)
    n, n_075, norm, titled, titled_075, named = per_event[:, :6].T
    dots = stacked_dots(view.vectors, [s.vectors for s in sums])
    dot = dots[:, 0]
    out = np.zeros((len(events), N_FEATURES), dtype=np.float64)
    out[:, 0] = _links(dot, n_075)
    out[:, 1] = np.maximum(0.0, dot / n)
    nonzero = norm != 0.0
    out[:, 2] = np.where(nonzero, np.maximum(0.0, dot / np.where(nonzero, norm, 1.0)), 0.0)
    out[:, 3] = np.where(titled > 0, _links(dots[:, 1], titled_075), -1.0) if len(view.title) else -1.0
    out[:, 4] = _links(dots[:, 2], n_075) if len(view.lead) else -1.0
    out[:, 5:9] = _entity_columns(view, names, n_075, named > 0)
    out[:, 9:21] = per_event[:, 6:]
    out[:, 21] = hits
    return out


_REL_SRC = [FEATURE_NAMES.index(src) for src in _REL.values()]
_REL_DST = [FEATURE_NAMES.index(name) for name in _REL]


def pair_matrix(view: ArticleView, events: Sequence[EventState], hits: Sequence[int]) -> tuple[list[int], FloatArray]:
    """The candidates the article can belong to (indexes into ``events``) and their rows, columns
    :data:`FEATURE_NAMES`. Candidates ruled out by :func:`timing_conflicts` are dropped before the
    candidate-relative columns are computed: an event the article cannot join must not make the
    right one look weak (a vetoed look-alike with more shared names did exactly that)."""
    if not len(events):
        return [], np.zeros((0, N_FEATURES), dtype=np.float64)
    out = pair_rows(view, events, hits)
    allowed = ~timing_conflicts(out)
    if allowed.all():
        kept = list(range(len(events)))
    else:
        idx = np.flatnonzero(allowed)
        kept, out = idx.tolist(), out[idx]
    if not kept:
        return kept, out
    # a side without a headline or names (-1) offers no evidence: it counts as 0 in the
    # margin, else 0.34 - (-1) reads as a lead of 1.34 and -1 - 0.34 as a huge deficit
    cols = np.maximum(out[:, _REL_SRC], 0.0)
    if len(cols) == 1:
        rel = cols.copy()
    else:  # each column minus the best other candidate's value in it
        order = np.argsort(-cols, axis=0, kind="stable")
        which = np.arange(cols.shape[1])
        best, second = cols[order[0], which], cols[order[1], which]
        rel = cols - np.where(np.arange(len(cols))[:, None] == order[0][None, :], second, best)
    out[:, _REL_DST] = rel
    content = out[:, 0]
    out[:, FEATURE_NAMES.index("content_rank")] = np.argsort(np.argsort(-content, kind="stable"), kind="stable")
    out[:, FEATURE_NAMES.index("n_candidates")] = len(kept)
    return kept, out
