"""Apply one dedup decision to the store and return the event records that changed."""

from __future__ import annotations

from collections.abc import Sequence

from services.sink.logic import consolidate, same_content
from shared.contracts import DedupDecision, EventUpdate
from shared.eventstore import EventWriter


def _refresh(store: EventWriter, event_id: str) -> EventUpdate | None:
    """Rebuild one event from its articles; store it if it changed; return its current record.

    An unchanged event's stored record is returned as it is (same revision), not nothing: a decision
    that changes nothing is usually one redelivered after the sink crashed between committing it and
    having its update acknowledged, and that update must still reach the topic. Consumers see the
    same (event id, revision) twice, as at-least-once delivery allows.
    """
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


def _retire(store: EventWriter, event_id: str, into: str) -> EventUpdate | None:
    """Mark an event that lost all its articles to ``into`` as merged, keeping its last record.

    Already retired into ``into``: its record is returned again (see :func:`_refresh`)."""
    previous = store.event(event_id)
    if previous is None or previous.merged_into == into:
        return previous
    retired = previous.model_copy(update={"merged_into": into, "revision": previous.revision + 1})
    store.put_event(retired)
    return retired


def apply_decision(store: EventWriter, decision: DedupDecision) -> list[EventUpdate]:
    """Upsert the article, fold merged events, and rebuild every event it touched, in one transaction.

    Idempotent: applying the same decision twice changes no row the second time and returns the
    events' current records again (the first attempt's sends may not have reached the broker).
    A decision for an older version of an article already stored is ignored.
    """
    with store.transaction():
        return _apply(store, decision)


def apply_batch(store: EventWriter, decisions: Sequence[DedupDecision]) -> list[list[EventUpdate] | Exception]:
    """Apply a batch of decisions in one transaction: one result per decision, as :func:`apply_decision`.

    Each decision's rows are written in its own savepoint: one that fails is rolled back alone and its
    exception is its result (its dead letter), the others are committed together. Re-applying a batch
    after a crash changes no row (every write is an upsert keyed by article or event id) and sends the
    events' current records again. An event touched by several decisions is rebuilt once, after all of
    them, and sent with the last decision that touched it: under load most of a batch's decisions join
    a few growing events, and rebuilding one from all its articles per decision made the sink the
    pipeline's slowest stage. A batch that merges events is applied decision by decision instead (a
    merge retires an event that a later decision of the batch may join again), and so is any batch
    whose rebuild fails, so that failure stays with the decisions it belongs to.
    """
    if not any(d.merged_event_ids for d in decisions):
        try:
            with store.transaction():
                return _apply_grouped(store, decisions)
        except _RebuildFailed:
            pass  # rolled back: decision by decision below, where each failure is its own
    results: list[list[EventUpdate] | Exception] = []
    with store.transaction():
        for decision in decisions:
            try:
                with store.savepoint():
                    results.append(_apply(store, decision))
            except Exception as exc:  # noqa: BLE001 - becomes this decision's dead letter
                results.append(exc)
    return _latest_records(results)


class _RebuildFailed(Exception):
    """An event could not be rebuilt in the grouped pass; the batch is applied decision by decision."""


def _apply_grouped(store: EventWriter, decisions: Sequence[DedupDecision]) -> list[list[EventUpdate] | Exception]:
    results: list[list[EventUpdate] | Exception] = []
    last_toucher: dict[str, int] = {}  # event id -> index of the last decision that touched it
    for index, decision in enumerate(decisions):
        try:
            with store.savepoint():
                touched = _write(store, decision)
        except Exception as exc:  # noqa: BLE001 - becomes this decision's dead letter
            results.append(exc)
            continue
        results.append([])
        for event_id in touched:
            last_toucher.pop(event_id, None)  # re-inserted: events keep the order of their last touch
            last_toucher[event_id] = index
    for event_id, index in last_toucher.items():
        try:
            update = _refresh(store, event_id)
        except Exception as exc:
            raise _RebuildFailed(event_id) from exc
        result = results[index]
        if update is not None and isinstance(result, list):
            result.append(update)
    return results


def _latest_records(results: list[list[EventUpdate] | Exception]) -> list[list[EventUpdate] | Exception]:
    seen: set[str] = set()
    out: list[list[EventUpdate] | Exception] = []
    for result in reversed(results):
        if isinstance(result, Exception):
            out.append(result)
            continue
        kept = [u for u in reversed(result) if u.event_id not in seen]
        seen.update(u.event_id for u in kept)
        out.append(kept[::-1])
    return out[::-1]


def _write(store: EventWriter, decision: DedupDecision) -> list[str]:
    """Store the article and move merged events' articles; return the events to rebuild (none if stale)."""
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
    return touched


def _apply(store: EventWriter, decision: DedupDecision) -> list[EventUpdate]:
    touched = _write(store, decision)
    if not touched:
        return []  # a stale version: nothing was written
    changed: list[EventUpdate] = []
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
