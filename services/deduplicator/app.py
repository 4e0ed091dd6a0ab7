"""Deduplicator wiring: articles.enriched → one consistent assignment view → articles.dedup.

Two agents. ``route`` consumes ``articles.enriched`` on every worker (all
partitions, in parallel), validates each article and forwards it to the
internal single-partition topic ``articles.enriched.assign``. ``assign`` owns
that partition: exactly one worker of the consumer group runs the
assignment, so two workers decide exactly as one does; the others keep a
standby copy of the state table and take over on failure or rebalance.

The deduplicator's state lives in the ``dedup-state`` table, backed by its
changelog topic: every decision's state changes are written there, and a
worker that takes over rebuilds the in-memory index from the table.
"""

from __future__ import annotations

import time
from typing import Any

import faust
import structlog

from services.deduplicator.logic import Deduplicator
from services.deduplicator.settings import DeduplicatorSettings, configured_model
from shared.contracts import ASSIGN_TOPIC, DedupDecision, EnrichedArticle, Message, utcnow
from shared.streaming import Outputs, make_app, run_stage, send_durably, topic_for

SERVICE = "deduplicator"
EVICT_EVERY_S = 60.0

log = structlog.get_logger(__name__)
settings = DeduplicatorSettings()
app = make_app(SERVICE, settings, table_standby_replicas=1)
source = topic_for(app, EnrichedArticle)
assign_topic = topic_for(app, EnrichedArticle, name=ASSIGN_TOPIC, partitions=1, internal=True)
route_outputs = Outputs(app, [])
assign_outputs = Outputs(app, [DedupDecision])
state = app.Table(
    "dedup-state",
    partitions=1,
    schema=faust.Schema(key_type=str, key_serializer="raw", value_serializer="json"),
    help="Deduplicator records (articles, events) keyed by record id; compacted changelog.",
)


class _View:
    """The in-memory index, rebuilt from the table after start-up or a rebalance."""

    def __init__(self) -> None:
        # a missing or corrupt model file stops the service here (ModelError), never a fallback
        model = configured_model(settings)
        log.info("dedup_model_loaded", path=str(settings.deduplicator_model), version=model.version)
        self.dedup = Deduplicator(model=model)
        self.loaded = False
        self.last_evict = time.monotonic()

    def ensure_loaded(self) -> None:
        if not self.loaded:
            self.dedup.load((str(k), v) for k, v in state.items() if v is not None)
            self.loaded = True
            log.info("dedup_state_loaded", articles=self.dedup.n_articles, events=self.dedup.n_events)

    def persist(self) -> None:
        for key, record in self.dedup.drain_changes().items():
            if record is None:
                state.pop(key, None)
            else:
                state[key] = record


view = _View()


@app.on_partitions_revoked.connect
def _on_revoked(_sender: Any, /, *_args: Any, signal: Any, **_kwargs: Any) -> None:
    view.loaded = False


async def _forward(article: EnrichedArticle) -> list[Message]:
    # Wait for the broker's ack before the input offset can be committed (see send_durably).
    await send_durably(assign_topic, "all", article)
    return []


def assign(article: EnrichedArticle) -> list[Message]:
    view.ensure_loaded()
    if time.monotonic() - view.last_evict > EVICT_EVERY_S:
        evicted = view.dedup.evict(utcnow())
        view.last_evict = time.monotonic()
        if evicted:
            log.info("dedup_evicted", count=evicted)
    decision = view.dedup.process(article)
    moved = view.dedup.drain_reassignments()  # earlier articles folded into a grown event
    view.persist()
    return [decision, *moved]


@app.agent(source)
async def route(stream: faust.StreamT[Any]) -> None:
    await run_stage(SERVICE, route_outputs, _forward, stream.events(), EnrichedArticle)


@app.agent(assign_topic)
async def assign_articles(stream: faust.StreamT[Any]) -> None:
    await run_stage(SERVICE, assign_outputs, assign, stream.events(), EnrichedArticle)
