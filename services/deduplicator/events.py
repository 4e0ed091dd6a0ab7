"""Event arithmetic on :class:`EventState`: adding an article's vectors and votes, folding one
event into another. Pure functions of the records; the indexes are the caller's business."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import ArticleFeatures
from services.deduplicator.pairs import ArticleView
from services.deduplicator.state import EventState

_DATED = frozenset({"minute", "hour", "day", "week", "month"})


def event_id_for(article_id: str, version: int) -> str:
    """Deterministic, so a replay from scratch names events the same way."""
    return "ev-" + hashlib.sha1(f"{article_id}#{version}".encode()).hexdigest()[:16]


def _vote(votes: dict[str, float], key: str, weight: float) -> None:
    votes[key] = votes.get(key, 0.0) + weight


def _add_into(mine: dict[str, float], theirs: Mapping[str, float]) -> None:
    for k, w in theirs.items():
        mine[k] = mine.get(k, 0.0) + w


def add_article(
    ev: EventState,
    feats: ArticleFeatures,
    seq: int,
    cfg: DedupConfig,
    *,
    view: ArticleView,
    with_content: bool,
) -> None:
    """Count one article into its event. Exact duplicates (``with_content`` False) add their id
    and times only, so a copy does not weigh twice."""
    ev.seq = seq
    if feats.article_id in ev.article_ids:  # a new version of an article already listed
        ev.article_ids.remove(feats.article_id)
    ev.article_ids.append(feats.article_id)
    ev.n_articles += 1
    ev.first_time = min(ev.first_time, feats.retained_from)
    ev.last_time = max(ev.last_time, feats.retained_from)
    if feats.published:
        ev.last_published = max(ev.last_published or feats.stream_time, feats.stream_time)
        ev.first_published = min(ev.first_published or feats.stream_time, feats.stream_time)
    if with_content:
        ev.n_content += 1
        if feats.weekday is not None:
            _vote(ev.weekday_votes, str(feats.weekday), 1.0)
        ev.terms = ev.terms.plus(view.terms)
        if feats.title_terms:
            ev.n_titled += 1
            ev.title_terms = ev.title_terms.plus(view.title)
        ev.lead_terms = ev.lead_terms.plus(view.lead)
        _add_into(ev.entities, view.entities)
        _add_into(ev.participants, feats.entities)
        ev.participant_cache = None
        ev.phrases.update(feats.phrases)
        ev.numbers.update(feats.numbers)
        ev.event_types[feats.event_type] += 1
        if feats.event_date is not None and feats.date_confidence >= cfg.min_date_confidence:
            d, conf = feats.event_date, feats.date_confidence
            if feats.day_date is not None:
                _vote(ev.day_votes, d.isoformat(), conf)
            if feats.date_precision in _DATED:
                _vote(ev.month_votes, d.strftime("%Y-%m"), conf)
            if feats.date_precision != "unknown":
                _vote(ev.year_votes, str(d.year), conf)
    ev.trim(cfg.max_terms_per_event, cfg.max_articles_per_event)


def fold(keep: EventState, gone: EventState, order: Callable[[str], int], cfg: DedupConfig) -> None:
    """Fold ``gone``'s sums, votes, articles and history into ``keep``; ``order`` sorts the
    article ids (by arrival)."""
    keep.terms = keep.terms.plus(gone.terms)
    keep.title_terms = keep.title_terms.plus(gone.title_terms)
    keep.lead_terms = keep.lead_terms.plus(gone.lead_terms)
    keep.n_titled += gone.n_titled
    _add_into(keep.entities, gone.entities)
    _add_into(keep.participants, gone.participants)
    keep.participant_cache = None
    keep.phrases.update(gone.phrases)
    keep.numbers.update(gone.numbers)
    keep.event_types.update(gone.event_types)
    if gone.last_published is not None:
        keep.last_published = max(keep.last_published or gone.last_published, gone.last_published)
    if gone.first_published is not None:
        keep.first_published = min(keep.first_published or gone.first_published, gone.first_published)
    for mine, theirs in (
        (keep.weekday_votes, gone.weekday_votes),
        (keep.day_votes, gone.day_votes),
        (keep.month_votes, gone.month_votes),
        (keep.year_votes, gone.year_votes),
    ):
        _add_into(mine, theirs)
    keep.article_ids = sorted(set(keep.article_ids) | set(gone.article_ids), key=order)
    keep.n_articles += gone.n_articles
    keep.n_content += gone.n_content
    keep.first_time = min(keep.first_time, gone.first_time)
    keep.last_time = max(keep.last_time, gone.last_time)
    keep.merged_from.extend([gone.event_id, *gone.merged_from])
    keep.trim(cfg.max_terms_per_event, cfg.max_articles_per_event)
