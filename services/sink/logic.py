"""Pure consolidation: the articles of one event in, one :class:`EventUpdate` out.

The sink stores every decided article (keyed by article id) and rebuilds the
event record from all of its articles on each change, so the record is a
function of the set of articles: replaying a decision changes nothing, and the
order in which articles arrive does not matter.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from math import copysign

from services.sink.facts import ArticleFacts
from shared.actors import TextContext, clean_entities
from shared.contracts import (
    ArticleRole,
    DedupDecision,
    EntityKind,
    EventEntity,
    EventQuantity,
    EventUpdate,
    Precision,
    StatusChange,
    Tense,
)

ACTOR_KINDS = {EntityKind.PERSON, EntityKind.ORG, EntityKind.GROUP}
_PRECISION_RANK = {p: i for i, p in enumerate(Precision)}


def _event_date(articles: Sequence[ArticleFacts]) -> tuple[date | None, Precision]:
    """The date most articles agree on, weighted by confidence; finer precision breaks ties."""
    votes: dict[tuple[date, Precision], float] = defaultdict(float)
    for a in articles:
        ed = a.event_date
        if ed is not None and ed.precision != Precision.UNKNOWN:
            votes[(ed.date, ed.precision)] += max(ed.confidence, 0.05)
    if not votes:
        return None, Precision.UNKNOWN
    (best, precision), _ = max(votes.items(), key=lambda kv: (kv[1], -_PRECISION_RANK[kv[0][1]], kv[0][0]))
    return best, precision


#: An event entity's fields, and the sign of its salience (a cache must not answer 0.0 for -0.0).
_EntityKey = tuple[str, str, EntityKind, int, int, float, float]


@lru_cache(maxsize=16384)
def _event_entity(key: _EntityKey) -> EventEntity:
    """One event entity; cached (records are frozen): a rebuild changes the counts of the entities of
    the articles that joined, and validating every other entity again was a tenth of the sink's CPU.
    This cache and :func:`_event_quantity`'s held 45 MB when full on the benchmark's stream."""
    eid, name, kind, mentions, articles, salience, _ = key
    return EventEntity(id=eid, name=name, kind=kind, mentions=mentions, articles=articles, salience=salience)


def _entities(articles: Sequence[ArticleFacts]) -> tuple[list[EventEntity], list[EventEntity]]:
    """Actors and places, most salient first (salience summed over the articles), by :mod:`shared.actors`."""
    mentions: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    salience: defaultdict[str, float] = defaultdict(float)
    info: dict[str, tuple[str, EntityKind]] = {}
    for a in articles:
        for entity in a.entities:
            mentions[entity.id] += entity.count
            counted[entity.id] += 1
            salience[entity.id] += entity.salience
            info.setdefault(entity.id, (entity.name, entity.kind))
    ranked = sorted(mentions, key=lambda eid: (-round(salience[eid], 3), -counted[eid], -mentions[eid], eid))
    made = []
    for eid in ranked:
        total = round(salience[eid], 3)
        made.append(_event_entity((eid, *info[eid], mentions[eid], counted[eid], total, copysign(1.0, total))))
    texts = TextContext.joined(
        tuple(t for a in articles for t in a.texts),
        (c for a in articles for c in a.credits),
        tuple(f for a in articles for f in a.forms),
        tuple(w for a in articles for w in a.lower),
    )
    kept = clean_entities(made, texts)
    actors = [e for e in kept if e.kind in ACTOR_KINDS]
    places = [e for e in kept if e.kind == EntityKind.PLACE]
    return actors, places


def _quantities(articles: Sequence[ArticleFacts]) -> list[EventQuantity]:
    grouped: dict[tuple[float, str | None], list[str]] = defaultdict(list)
    first: dict[tuple[float, str | None], tuple[str, str | None]] = {}
    for a in articles:
        for q in a.quantities:
            k = (q.value, q.unit)
            ids = grouped[k]
            if not ids or ids[-1] != a.article_id:  # an article's quantities come one after another
                ids.append(a.article_id)
            first.setdefault(k, (q.text, q.qualifier))
    return [
        _event_quantity((first[k][0], k[0], copysign(1.0, k[0]), k[1], first[k][1], tuple(sorted(ids))))
        for k, ids in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0][0]))
    ]


#: An event quantity's fields, the sign of its value after it (as in :data:`_EntityKey`).
_QuantityKey = tuple[str, float, float, str | None, str | None, tuple[str, ...]]


@lru_cache(maxsize=16384)
def _event_quantity(key: _QuantityKey) -> EventQuantity:
    """One event quantity; cached as :func:`_event_entity` is (most of them belong to one article)."""
    text, value, _, unit, qualifier, ids = key
    return EventQuantity(text=text, value=value, unit=unit, qualifier=qualifier, article_ids=list(ids))


def _timeline(articles: Sequence[ArticleFacts]) -> list[StatusChange]:
    """Announced → reported: each status with the first time it was seen and the articles that moved it."""
    steps: dict[Tense, list[ArticleFacts]] = defaultdict(list)
    for a in articles:
        if a.tense != Tense.UNKNOWN:
            steps[a.tense].append(a)
    changes = [
        StatusChange(status=tense, at=min(a.seen_at for a in group), article_ids=sorted(a.article_id for a in group))
        for tense, group in steps.items()
    ]
    return sorted(changes, key=lambda c: (c.at, c.status != Tense.ANNOUNCED))


def consolidate(
    event_id: str,
    decisions: Sequence[DedupDecision],
    *,
    revision: int = 1,
    merged_from: Sequence[str] = (),
) -> EventUpdate:
    """Build the event record from all the articles assigned to it."""
    return consolidate_facts(
        event_id, [ArticleFacts.of(d) for d in decisions], revision=revision, merged_from=merged_from
    )


def consolidate_facts(
    event_id: str,
    articles: Sequence[ArticleFacts],
    *,
    revision: int = 1,
    merged_from: Sequence[str] = (),
) -> EventUpdate:
    """:func:`consolidate` from the articles' :class:`ArticleFacts` (what the sink keeps decoded)."""
    if not articles:
        raise ValueError(f"event {event_id} has no articles")
    ordered = sorted(articles, key=lambda a: (a.seen_at, a.article_id))
    originals = [a for a in ordered if a.role == ArticleRole.ORIGINAL] or ordered
    titled = [a for a in originals if a.title] or [a for a in ordered if a.title]
    lead = titled[0] if titled else originals[0]
    types = Counter(a.event_type for a in ordered if a.event_type != "other")
    event_date, precision = _event_date(ordered)
    actors, places = _entities(ordered)
    timeline = _timeline(ordered)
    return EventUpdate(
        event_id=event_id,
        revision=revision,
        title=lead.title or lead.lead_title,
        summary=lead.summary,
        event_type=types.most_common(1)[0][0] if types else "other",
        event_date=event_date,
        event_date_precision=precision,
        status=timeline[-1].status if timeline else Tense.UNKNOWN,
        timeline=timeline,
        first_seen=min(a.fetched_at for a in ordered),
        last_updated=max(a.decided_at for a in ordered),
        actors=actors,
        places=places,
        quantities=_quantities(ordered),
        sources=[a.source for a in ordered],
        merged_from=sorted(set(merged_from)),
    )


_BOOKKEEPING = frozenset({"revision", "last_updated"})


def same_content(a: EventUpdate, b: EventUpdate) -> bool:
    """Whether two records differ only in bookkeeping (revision, last_updated).

    Field by field: the nested records are frozen models that compare by their fields, as their
    dumps would (without dumping both records on every rebuild)."""
    return all(getattr(a, f) == getattr(b, f) for f in EventUpdate.model_fields if f not in _BOOKKEEPING)
