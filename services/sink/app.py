"""Sink wiring: articles.dedup → store upserts → events (one EventUpdate per changed event)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from shared.contracts import DedupDecision, EventUpdate, Message
from shared.settings import SinkSettings
from shared.streaming import Outputs, make_app, run_stage, topic_for
from services.sink.apply import apply_decision
from services.sink.store import EventStore

SERVICE = "sink"
settings = SinkSettings()
app = make_app(SERVICE, settings)
source = topic_for(app, DedupDecision)
outputs = Outputs(app, [EventUpdate])
_store: EventStore | None = None


def store() -> EventStore:
    global _store
    if _store is None:
        _store = EventStore(settings.database_url.get_secret_value())
    return _store


def handle(decision: DedupDecision) -> list[Message]:
    return list(apply_decision(store(), decision))


@app.agent(source)
async def store_decisions(stream: AsyncIterator[Any]) -> None:
    await run_stage(SERVICE, outputs, handle, stream.events(), DedupDecision)  # type: ignore[attr-defined]
