"""The deduplicator's stage: articles.enriched → one consistent assignment view → articles.dedup.

Every input is first forwarded to the internal single-partition topic
``articles.enriched.assign``: exactly one worker of the consumer group owns it
and decides, so two workers decide exactly as one does; the others keep a
standby copy of the state table and take over on failure or rebalance.

The state lives in the ``dedup-state`` table (a compacted changelog in a
worker, a dict in replay): every decision's state changes are written there,
and a worker that takes over rebuilds the in-memory index from it.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

import structlog

from services.deduplicator.logic import Deduplicator
from services.deduplicator.settings import DeduplicatorSettings, configured_model
from shared.contracts import ASSIGN_TOPIC, DedupDecision, EnrichedArticle, Message, utcnow
from shared.settings import BaseServiceSettings
from shared.stage import BuildContext, DeadLetterPolicy, Stage, StateTable, Step

log = structlog.get_logger(__name__)


class Assigner:
    """The in-memory index over the state table: decide, then fold in earlier articles that moved."""

    def __init__(self, dedup: Deduplicator, state: MutableMapping[str, Any], *, evict_every_s: float | None) -> None:
        self.dedup = dedup
        self.state = state
        self.loaded = False
        # Eviction follows the wall clock; replay's input is historic, so there it is off.
        self.evict_every_s = evict_every_s
        self.last_evict = time.monotonic()

    def reset(self) -> None:
        """After a rebalance another worker may have written the table: reload before the next decision."""
        self.loaded = False

    def _ensure_loaded(self) -> None:
        if not self.loaded:
            self.dedup.load((str(k), v) for k, v in self.state.items() if v is not None)
            self.loaded = True
            log.info("dedup_state_loaded", articles=self.dedup.n_articles, events=self.dedup.n_events)

    def _maybe_evict(self) -> None:
        if self.evict_every_s is None or time.monotonic() - self.last_evict <= self.evict_every_s:
            return
        evicted = self.dedup.evict(utcnow())
        self.last_evict = time.monotonic()
        if evicted:
            log.info("dedup_evicted", count=evicted)

    def _persist(self) -> None:
        for key, record in self.dedup.drain_changes().items():
            if record is None:
                self.state.pop(key, None)
            else:
                self.state[key] = record

    def __call__(self, article: EnrichedArticle) -> list[Message]:
        self._ensure_loaded()
        self._maybe_evict()
        decision = self.dedup.process(article)
        moved: list[DedupDecision] = self.dedup.drain_reassignments()  # earlier articles folded into a grown event
        self._persist()
        return [decision, *moved]


def build(settings: BaseServiceSettings, context: BuildContext) -> Step:
    assert isinstance(settings, DeduplicatorSettings)
    # a missing or corrupt model file stops the stage here (ModelError), never a silent fallback
    model = configured_model(settings)
    log.info("dedup_model_loaded", path=str(settings.deduplicator_model), version=model.version)
    dedup = Deduplicator(settings.deduplicator_config, model=model)
    evict_every_s = settings.deduplicator_evict_every_s if context.live else None
    assigner = Assigner(dedup, context.state, evict_every_s=evict_every_s)
    return Step(assigner, reset=assigner.reset)


STAGE = Stage(
    name="deduplicator",
    settings=DeduplicatorSettings,
    source=EnrichedArticle,
    outputs=(DedupDecision,),
    build=build,
    dead_letters=DeadLetterPolicy(service="deduplicator"),
    state=StateTable(
        "dedup-state",
        help="Deduplicator records (articles, events) keyed by record id; compacted changelog.",
        partitions=1,
    ),
    single_partition=ASSIGN_TOPIC,
)
