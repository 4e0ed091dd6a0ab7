"""Apply one dedup decision to the store and return the event records that changed."""

from __future__ import annotations

from services.sink.logic import consolidate, same_content
from shared.contracts import DedupDecision, EventUpdate
from shared.eventstore import EventWriter


def _refresh(store: EventWriter, event_id: str) -> EventUpdate | None:
    """Rebuild one event from its articles; store and return it only if it changed."""
    previous = store.event(event_id)
    articles = store.articles_of(event_id)
    if not articles:
        return None
    merged_from = store.merged_from(event_id)
    revision = previous.revision + 1 if previous else 1
    current = consolidate(event_id, articles, revision=revision, merged_from=merged_from)
    if previous is not None and same_content(previous, current):
        return None
    store.put_event(current)
    return current


def _retire(store: EventWriter, event_id: str, into: str) -> EventUpdate | None:
    """Mark an event that lost all its articles to ``into`` as merged, keeping its last record."""
    previous = store.event(event_id)
    if previous is None or previous.merged_into == into:
        return None
    retired = previous.model_copy(update={"merged_into": into, "revision": previous.revision + 1})
    store.put_event(retired)
    return retired


def apply_decision(store: EventWriter, decision: DedupDecision) -> list[EventUpdate]:
    """Upsert the article, fold merged events, and rebuild every event it touched.

    Idempotent: applying the same decision twice returns nothing the second time.
    A decision for an older version of an article already stored is ignored.
    """
    changed: list[EventUpdate] = []
    with store.transaction():
        existing = store.article(decision.article_id)
        if existing is not None and existing.article.article.version > decision.article.article.version:
            return []
        store.put_article(decision)
        touched = [decision.event_id]
        for merged in decision.merged_event_ids:
            if merged != decision.event_id:
                store.move_articles(merged, decision.event_id)
        if existing is not None and existing.event_id != decision.event_id:
            touched.append(existing.event_id)
        for event_id in touched:
            update = _refresh(store, event_id)
            if update is not None:
                changed.append(update)
        for merged in decision.merged_event_ids:
            if merged != decision.event_id:
                retired = _retire(store, merged, decision.event_id)
                if retired is not None:
                    changed.append(retired)
    return changed
