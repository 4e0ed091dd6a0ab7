"""The sink's consolidation as it was before :mod:`services.sink.facts`: the oracle of test_sink_replay.

Kept verbatim from the version that decoded every stored article on every rebuild (only this
docstring, :func:`same_content` and :func:`refresh`, the former ``apply._refresh``, are added),
so the tests can show that the sink's records and updates are the same as that version's, byte
for byte, on a long stream.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from shared.actors import TextContext, clean_entities
from shared.contracts import (
    ArticleRole,
    DedupDecision,
    EntityKind,
    EventEntity,
    EventQuantity,
    EventUpdate,
    Precision,
    SourceRef,
    StatusChange,
    Tense,
)
from shared.eventstore import EventWriter

SUMMARY_CHARS = 400
TITLE_WORDS = 14  # a title made from the lead sentence when no article has a headline
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“‘(\[]?[A-Z0-9])")
ACTOR_KINDS = {EntityKind.PERSON, EntityKind.ORG, EntityKind.GROUP}
_PRECISION_RANK = {p: i for i, p in enumerate(Precision)}


def _seen_at(decision: DedupDecision) -> datetime:
    clean = decision.article.article
    return clean.published_at or clean.fetched_at


def _summary(decision: DedupDecision) -> str | None:
    clean = decision.article.article
    paragraphs = clean.paragraphs or [clean.text]
    text = ""
    for paragraph in paragraphs:
        if paragraph.strip() == (clean.title or "").strip():
            continue
        text = f"{text} {paragraph}".strip()
        if len(text) >= SUMMARY_CHARS // 2:
            break
    if len(text) > SUMMARY_CHARS:
        text = text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
    return text or None


def _lead_title(decision: DedupDecision) -> str | None:
    """For an event none of whose articles has a headline: the first sentence of its lead
    article, cut to ``TITLE_WORDS`` words."""
    clean = decision.article.article
    text = next((p.strip() for p in clean.paragraphs or [clean.text] if p.strip()), "")
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0].strip()
    words = sentence.split()
    if not words:
        return None
    if len(words) > TITLE_WORDS:
        return " ".join(words[:TITLE_WORDS]) + " …"
    return sentence


def _event_date(decisions: Sequence[DedupDecision]) -> tuple[date | None, Precision]:
    """The date most articles agree on, weighted by confidence; finer precision breaks ties."""
    votes: dict[tuple[date, Precision], float] = defaultdict(float)
    for d in decisions:
        ed = d.article.event_date
        if ed is not None and ed.precision != Precision.UNKNOWN:
            votes[(ed.date, ed.precision)] += max(ed.confidence, 0.05)
    if not votes:
        return None, Precision.UNKNOWN
    (best, precision), _ = max(votes.items(), key=lambda kv: (kv[1], -_PRECISION_RANK[kv[0][1]], kv[0][0]))
    return best, precision


def _entities(decisions: Sequence[DedupDecision]) -> tuple[list[EventEntity], list[EventEntity]]:
    """Actors and places, most salient first (salience summed over the articles), by :mod:`shared.actors`."""
    mentions: Counter[str] = Counter()
    articles: Counter[str] = Counter()
    salience: defaultdict[str, float] = defaultdict(float)
    info: dict[str, tuple[str, EntityKind]] = {}
    for d in decisions:
        for entity in d.article.entities:
            mentions[entity.id] += entity.count
            articles[entity.id] += 1
            salience[entity.id] += entity.salience
            info.setdefault(entity.id, (entity.name, entity.kind))
    ranked = sorted(mentions, key=lambda eid: (-round(salience[eid], 3), -articles[eid], -mentions[eid], eid))
    made = [
        EventEntity(
            id=eid,
            name=info[eid][0],
            kind=info[eid][1],
            mentions=mentions[eid],
            articles=articles[eid],
            salience=round(salience[eid], 3),
        )
        for eid in ranked
    ]
    texts = TextContext.of(t for d in decisions for t in (d.article.article.title or "", d.article.article.text))
    kept = clean_entities(made, texts)
    actors = [e for e in kept if e.kind in ACTOR_KINDS]
    places = [e for e in kept if e.kind == EntityKind.PLACE]
    return actors, places


def _quantities(decisions: Sequence[DedupDecision]) -> list[EventQuantity]:
    grouped: dict[tuple[float, str | None], list[str]] = defaultdict(list)
    first: dict[tuple[float, str | None], tuple[str, str | None]] = {}
    for d in decisions:
        for q in d.article.quantities:
            k = (q.value, q.unit)
            if d.article_id not in grouped[k]:
                grouped[k].append(d.article_id)
            first.setdefault(k, (q.text, q.qualifier))
    return [
        EventQuantity(text=first[k][0], value=k[0], unit=k[1], qualifier=first[k][1], article_ids=sorted(ids))
        for k, ids in sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0][0]))
    ]


def _timeline(decisions: Sequence[DedupDecision]) -> list[StatusChange]:
    """Announced → reported: each status with the first time it was seen and the articles that moved it."""
    steps: dict[Tense, list[DedupDecision]] = defaultdict(list)
    for d in decisions:
        if d.article.tense != Tense.UNKNOWN:
            steps[d.article.tense].append(d)
    changes = [
        StatusChange(status=tense, at=min(_seen_at(d) for d in ds), article_ids=sorted(d.article_id for d in ds))
        for tense, ds in steps.items()
    ]
    return sorted(changes, key=lambda c: (c.at, c.status != Tense.ANNOUNCED))


def _source(d: DedupDecision) -> SourceRef:
    clean = d.article.article
    return SourceRef(
        article_id=clean.article_id,
        outlet=clean.outlet or clean.site_name,
        url=clean.canonical_url or clean.url,
        title=clean.title,
        published_at=clean.published_at,
        fetched_at=clean.fetched_at,
        role=d.role,
        duplicate_of=d.duplicate_of,
    )


def consolidate(
    event_id: str,
    decisions: Sequence[DedupDecision],
    *,
    revision: int = 1,
    merged_from: Sequence[str] = (),
) -> EventUpdate:
    """Build the event record from all the articles assigned to it."""
    if not decisions:
        raise ValueError(f"event {event_id} has no articles")
    ordered = sorted(decisions, key=lambda d: (_seen_at(d), d.article_id))
    originals = [d for d in ordered if d.role == ArticleRole.ORIGINAL] or ordered
    titled = [d for d in originals if d.article.article.title] or [d for d in ordered if d.article.article.title]
    lead = titled[0] if titled else originals[0]
    types = Counter(d.article.event_type for d in ordered if d.article.event_type != "other")
    event_date, precision = _event_date(ordered)
    actors, places = _entities(ordered)
    timeline = _timeline(ordered)
    return EventUpdate(
        event_id=event_id,
        revision=revision,
        title=lead.article.article.title or _lead_title(lead),
        summary=_summary(lead),
        event_type=types.most_common(1)[0][0] if types else "other",
        event_date=event_date,
        event_date_precision=precision,
        status=timeline[-1].status if timeline else Tense.UNKNOWN,
        timeline=timeline,
        first_seen=min(d.article.article.fetched_at for d in ordered),
        last_updated=max(d.decided_at for d in ordered),
        actors=actors,
        places=places,
        quantities=_quantities(ordered),
        sources=[_source(d) for d in ordered],
        merged_from=sorted(set(merged_from)),
    )


def same_content(a: EventUpdate, b: EventUpdate) -> bool:
    """Whether two records differ only in bookkeeping (revision, last_updated)."""
    skip = {"revision", "last_updated"}
    return a.model_dump(exclude=skip) == b.model_dump(exclude=skip)


def refresh(store: EventWriter, event_id: str, *_: object) -> EventUpdate | None:
    """The former ``services.sink.apply._refresh``: every article decoded again, then consolidated."""
    previous = store.event(event_id)
    articles = store.articles_of(event_id)
    if not articles:
        return None
    merged_from = store.merged_from(event_id)
    revision = previous.revision + 1 if previous else 1
    current = consolidate(event_id, articles, revision=revision, merged_from=merged_from)
    if previous is not None and same_content(previous, current):
        return previous
    store.put_event(current)
    return current
