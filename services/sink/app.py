"""Sink wiring: articles.dedup → store upserts → events (one EventUpdate per changed event)."""

from __future__ import annotations

from typing import Any

import faust

from services.sink.apply import apply_decision
from services.sink.settings import SinkSettings
from shared.contracts import DedupDecision, EventUpdate, Message
from shared.eventstore import EventWriter
from shared.streaming import Outputs, make_app, run_stage, topic_for

SERVICE = "sink"
settings = SinkSettings()
app = make_app(SERVICE, settings)
source = topic_for(app, DedupDecision)
outputs = Outputs(app, [EventUpdate])
_store: EventWriter | None = None


def store() -> EventWriter:
    global _store
    if _store is None:
        _store = EventWriter(settings.database_url.get_secret_value())
    return _store


def handle(decision: DedupDecision) -> list[Message]:
    return list(apply_decision(store(), decision))


@app.agent(source)
async def store_decisions(stream: faust.StreamT[Any]) -> None:
    await run_stage(SERVICE, outputs, handle, stream.events(), DedupDecision)
