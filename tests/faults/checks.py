"""The fault suite's bookkeeping: phases, recovery times, and the end-of-run accounting of every article."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from shared.eventstore import EventReader


@dataclass
class Phase:
    """One injected fault: when it started, how long the pipeline took to recover."""

    fault: str
    started: float
    recovery_s: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SinkState:
    """What the sink holds at the end: article → event rows and every live event's source ids."""

    rows: dict[str, list[str]]
    live_sources: dict[str, frozenset[str]]

    @classmethod
    def read(cls, db_url: str) -> SinkState:
        store = EventReader(db_url)
        try:
            rows: dict[str, list[str]] = {}
            for article_id, event_id in store.execute("SELECT article_id, event_id FROM articles").fetchall():
                rows.setdefault(str(article_id), []).append(str(event_id))
            live = {}
            for (doc,) in store.execute("SELECT doc FROM events WHERE merged_into IS NULL").fetchall():
                event = json.loads(doc)
                live[str(event["event_id"])] = frozenset(str(s["article_id"]) for s in event.get("sources", []))
        finally:
            store.close()
        return cls(rows, live)

    def events_per_article(self) -> Counter[str]:
        return Counter(a for ids in self.live_sources.values() for a in ids)

    def identical_source_sets(self) -> int:
        """Live events whose source set equals another live event's (a replay that created an event twice)."""
        counts = Counter(self.live_sources.values())
        return sum(n - 1 for n in counts.values() if n > 1)


def account(
    phases: list[Phase],
    sent: dict[str, float],
    sink: SinkState,
    dead: dict[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Per phase: articles sent during it, and how many are stored, dead-lettered, lost, duplicated."""
    in_events = sink.events_per_article()
    bounds = [p.started for p in phases[1:]] + [float("inf")]
    out = []
    for phase, end in zip(phases, bounds, strict=True):
        ids = [a for a, at in sent.items() if phase.started <= at < end]
        stored = {a for a in ids if a in sink.rows}
        dead_lettered = {a for a in ids if a in dead}
        reasons = Counter(f"{dead[a][0].get('service')}:{dead[a][0].get('reason')}" for a in dead_lettered - stored)
        out.append(
            {
                "fault": phase.fault,
                "recovery_s": None if phase.recovery_s is None else round(phase.recovery_s, 1),
                "sent": len(ids),
                "stored": len(stored),
                "in_events": sum(1 for a in ids if in_events[a] >= 1),
                "dead_lettered": len(dead_lettered - stored),
                "dead_letter_reasons": dict(reasons),
                "lost": len(set(ids) - stored - dead_lettered),
                "duplicated": sum(1 for a in ids if in_events[a] > 1 or len(sink.rows.get(a, [])) > 1),
                **phase.detail,
            }
        )
    return out
