"""How similar an article is to an event: content, entities, key phrases, type, dates, time.

Each signal is a number in [0, 1]; signals a side does not have (no entities,
no key phrases) are left out and the weights of the others renormalised, so
articles from a thin extractor are judged on what they do have. Dates act as a
veto rather than as evidence of sameness: two well-resolved days that are
several days apart almost always mean two events with the same actors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TypeVar

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import ArticleFeatures
from services.deduplicator.state import EventState
from services.deduplicator.vectors import TermVector

K = TypeVar("K", int, str)

_DAY = {"minute", "hour", "day"}
_MONTH = _DAY | {"week", "month"}
_YEAR = _MONTH | {"year"}


@dataclass(frozen=True, slots=True)
class Score:
    """A combined similarity and the parts it was made of (kept for explanations and tests)."""

    total: float
    content: float
    entities: float | None
    phrases: float | None
    date_factor: float
    decay: float


def unit_vector(vec: Mapping[K, float], weight: Callable[[K], float]) -> dict[K, float]:
    """``vec`` weighted by ``weight`` and scaled to unit length (empty stays empty)."""
    weighted = {k: v * weight(k) for k, v in vec.items()}
    norm = math.sqrt(sum(x * x for x in weighted.values()))
    return {k: x / norm for k, x in weighted.items()} if norm else {}


def link_similarity(dot: float, n: int, alpha: float) -> float:
    """Similarity of an article to a group from the dot product of the article's unit vector
    with the sum of the group's ``n`` unit vectors.

    ``alpha`` = 1 gives the average of the article's cosine to each member (average link);
    0.5 behaves like the cosine to the centroid, which favours large groups."""
    if n <= 0 or dot <= 0.0:
        return 0.0
    return float(min(1.0, dot / float(n) ** alpha))


def _top(votes: Mapping[str, float]) -> str | None:
    return max(votes.items(), key=lambda kv: (kv[1], kv[0]))[0] if votes else None


def _supported(votes: Mapping[str, float], share: float) -> list[str]:
    """The values holding at least ``share`` of the strongest one's votes: an event that
    runs over several days (riots, a manhunt, a summit) is reported on each of them, so an
    article is compared with every well-supported day, not only the most reported one."""
    top = max(votes.values(), default=0.0)
    return [k for k, v in votes.items() if top > 0 and v >= share * top]


def date_factor(feat: ArticleFeatures, event: EventState, cfg: DedupConfig) -> float:
    """1 without evidence; a bonus above 1 for the same day; a veto factor for a clear conflict."""
    if feat.event_date is None or feat.date_confidence < cfg.min_date_confidence:
        return weekday_factor(feat, event, cfg)
    prec = feat.date_precision
    days = _supported(event.day_votes, cfg.date_support_share) if prec in _DAY else []
    if days:
        gap = min(abs((feat.event_date - date.fromisoformat(d)).days) for d in days)
        if gap > cfg.far_date_days:  # weeks apart: a different occurrence, whatever the words
            return cfg.far_date_conflict_factor
        if gap > cfg.date_conflict_days:
            return cfg.date_conflict_factor
        return 1.0 + cfg.same_day_bonus if gap <= 1 else 1.0
    return min(_month_year_factor(feat, event, cfg), weekday_factor(feat, event, cfg))


def weekday_factor(feat: ArticleFeatures, event: EventState, cfg: DedupConfig) -> float:
    """A softer veto when the article names a day of the week two or more days from every
    well-supported one of the event."""
    if feat.weekday is None:
        return 1.0
    days = _supported(event.weekday_votes, cfg.date_support_share)
    if not days:
        return 1.0
    gap = min(min(g, 7 - g) for g in (abs(feat.weekday - int(d)) % 7 for d in days))
    return cfg.weekday_conflict_factor if gap >= 2 else 1.0


def _month_year_factor(feat: ArticleFeatures, event: EventState, cfg: DedupConfig) -> float:
    if feat.event_date is None:
        return 1.0
    prec = feat.date_precision
    if prec in _MONTH and event.month_votes:
        top = _top(event.month_votes)
        if top is not None and top != feat.event_date.strftime("%Y-%m"):
            # a neighbouring month is weak evidence (month-end events, loose resolution)
            y, m = (int(x) for x in top.split("-"))
            months_apart = abs((feat.event_date.year - y) * 12 + feat.event_date.month - m)
            return 0.8 if months_apart <= 1 else cfg.coarse_date_conflict_factor
    if prec in _YEAR and event.year_votes:
        top = _top(event.year_votes)
        if top is not None and abs(int(top) - feat.event_date.year) >= 1:
            return cfg.coarse_date_conflict_factor
    return 1.0


def _publication_gap_days(published: datetime, event: EventState) -> float:
    """Days from ``published`` to the event's span of publication times (0 inside it): an article
    delivered late, or back-filled, is not penalised for arriving after newer coverage."""
    last = event.last_published
    if last is None:
        return 0.0
    first = event.first_published or last
    if published < first:
        return (first - published).total_seconds() / 86400.0
    return max(0.0, (published - last).total_seconds() / 86400.0)


def score_event(
    feat: ArticleFeatures,
    event: EventState,
    cfg: DedupConfig,
    unit_terms: TermVector,
    unit_entities: Mapping[str, float],
) -> Score:
    """Similarity of an article to an event, in [0, ~1.1]; the article's vectors come
    already idf-weighted and normalised (:func:`unit_vector`), computed once per article."""
    n = max(1, event.n_content)
    content = link_similarity(unit_terms.dot(event.terms), n, cfg.link_alpha)
    parts = [(cfg.weight_content, content)]
    ents: float | None = None
    if feat.entities and event.entities:
        dot = sum(x * event.entities.get(k, 0.0) for k, x in unit_entities.items())
        ents = link_similarity(dot, n, cfg.link_alpha)
        parts.append((cfg.weight_entities, ents))
    phr: float | None = None
    if feat.phrases and event.phrases:
        shared = sum(1 for p in feat.phrases if p in event.phrases)
        phr = shared / min(len(feat.phrases), len(event.phrases))
        parts.append((cfg.weight_phrases, phr))
    total = sum(w * s for w, s in parts) / sum(w for w, _ in parts)
    if feat.event_type != "other" and event.event_types:
        top_type = event.event_types.most_common(1)[0][0]
        if top_type != "other":
            total += cfg.event_type_bonus if top_type == feat.event_type else -cfg.event_type_bonus
    factor = date_factor(feat, event, cfg)
    decay = 1.0
    if feat.published and event.last_published is not None:  # fetch times say nothing about the event
        decay = 0.5 ** (_publication_gap_days(feat.stream_time, event) / cfg.decay_days)
    if max(0.0, total) * factor * decay >= min(cfg.join_threshold, cfg.merge_threshold):
        # only a score that could join or merge needs the (costlier) participant check
        factor *= participant_factor(feat, event, cfg)
    return Score(max(0.0, total) * factor * decay, content, ents, phr, factor, decay)


#: "name:" is what features.entity_key gives people, organisations and places; the kinds
#: themselves are still read from state written before that.
_PARTICIPANT_KINDS = ("name:", "person:", "org:", "place:")


@lru_cache(maxsize=1 << 16)
def _name_tokens(entity_id: str) -> frozenset[str]:
    """The words of an entity id ("person:hasim-rahman" -> {"hasim", "rahman"}): two spellings
    of one participant ("rahman", "hasim-rahman") share a word, so they are not a mismatch."""
    return frozenset(t for t in entity_id.split(":", 1)[-1].split("-") if len(t) > 2)


def _leading(weights: Mapping[str, float], share: float) -> list[str]:
    """The participants (person, organisation, place) weighing at least ``share`` of the heaviest one."""
    parts = {e: w for e, w in weights.items() if e.startswith(_PARTICIPANT_KINDS)}
    top = max(parts.values(), default=0.0)
    return [e for e, w in parts.items() if top > 0 and w >= share * top]


def participant_factor(feat: ArticleFeatures, event: EventState, cfg: DedupConfig) -> float:
    """A veto factor when the article and the event are led by different participants.

    Two look-alike events (two title fights of one boxer, two rehab stays, two ship
    hijackings off one coast) share most of their vocabulary and secondary actors but
    differ in a main participant: the article's leading person/organisation/place is
    absent from the event or named there only in passing (a past opponent), *and* the
    event's leading one is absent from or minor in the article. Either alone is common
    within one event (an article adds a new actor, or leaves one out), so both are
    required. Both sides use salience weights without idf (the event sums its members'),
    so "leading" means most talked about, not rarest. Names are compared word by word so
    "Rahman" and "Hasim Rahman" count as the same participant."""
    if cfg.participant_conflict_factor >= 1.0 or not feat.entities or not event.participants:
        return 1.0
    return cfg.participant_conflict_factor if participants_differ(feat.entities, event.participants, cfg) else 1.0


def participants_differ(mine: Mapping[str, float], theirs: Mapping[str, float], cfg: DedupConfig) -> bool:
    """Whether each side has a leading participant that the other names at most in passing
    (see :func:`participant_factor`)."""
    my_key = _leading(mine, cfg.participant_min_share)
    their_key = _leading(theirs, cfg.participant_min_share)
    if not my_key or not their_key:
        return False
    share = cfg.participant_minor_share
    return _minor_in(my_key, theirs, share) and _minor_in(their_key, mine, share)


def _minor_in(keys: list[str], other: Mapping[str, float], share: float) -> bool:
    """Whether some of ``keys`` is absent from ``other`` or weighs less than ``share`` of its
    heaviest entity (an entity of ``other`` stands for a key when they share a name word)."""
    by_word: dict[str, float] = {}
    for entity, weight in other.items():
        for word in _name_tokens(entity):
            if weight > by_word.get(word, 0.0):
                by_word[word] = weight
    floor = share * max(other.values(), default=0.0)
    return any(max((by_word.get(w, 0.0) for w in _name_tokens(k)), default=0.0) < floor for k in keys)
