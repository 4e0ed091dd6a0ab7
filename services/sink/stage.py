"""The sink's stage: articles.dedup → event store upserts → events (one EventUpdate per changed event).

Decisions are applied a batch per transaction (``WIREWATCH_BATCH_MAX``); their outputs are sent after
the commit, and the offsets are committed after the broker acknowledged them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from services.sink.apply import apply_batch
from services.sink.settings import SinkSettings
from shared.contracts import DedupDecision, EventUpdate, Message
from shared.eventstore import EventWriter
from shared.stage import Batched, BuildContext, DeadLetterPolicy, Stage, Step


def build(settings: SinkSettings, context: BuildContext) -> Step:
    @cache
    def store() -> EventWriter:
        """Opened on the first decision: starting a worker creates no database file."""
        return EventWriter(settings.database_url.get_secret_value())

    def handle_many(decisions: Sequence[DedupDecision]) -> Sequence[Sequence[Message] | Exception]:
        """One transaction for the batch (a savepoint per decision, whose failure is its dead letter)."""
        return apply_batch(store(), decisions)

    return Step(Batched(handle_many, max_batch=settings.batch_max, within_s=settings.batch_wait_s))


STAGE = Stage(
    name="sink",
    settings=SinkSettings,
    source=DedupDecision,
    outputs=(EventUpdate,),
    build=build,
    dead_letters=DeadLetterPolicy(service="sink"),
)
