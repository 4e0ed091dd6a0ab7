"""The sink's stage: articles.dedup → event store upserts → events (one EventUpdate per changed event)."""

from __future__ import annotations

from functools import cache

from services.sink.apply import apply_decision
from services.sink.settings import SinkSettings
from shared.contracts import DedupDecision, EventUpdate, Message
from shared.eventstore import EventWriter
from shared.stage import BuildContext, DeadLetterPolicy, Stage, Step


def build(settings: SinkSettings, context: BuildContext) -> Step:
    @cache
    def store() -> EventWriter:
        """Opened on the first decision: starting a worker creates no database file."""
        return EventWriter(settings.database_url.get_secret_value())

    def handle(decision: DedupDecision) -> list[Message]:
        return list(apply_decision(store(), decision))

    return Step(handle)


STAGE = Stage(
    name="sink",
    settings=SinkSettings,
    source=DedupDecision,
    outputs=(EventUpdate,),
    build=build,
    dead_letters=DeadLetterPolicy(service="sink"),
)
