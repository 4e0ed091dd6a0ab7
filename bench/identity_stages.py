"""The pipeline with identity stage logic: what the plumbing alone costs (the benchmark's ceiling).

``python -m bench.identity_stages <service>`` runs one worker of a consuming
stage exactly as ``python -m services.<service>`` does (same declaration, same
StageWorker, topics, codecs, batches, acked sends before commit, the
deduplicator's route through its single-partition topic), except that the
declaration's ``build`` is replaced by one whose handler turns each input into
a valid message of the stage's output type as cheaply as it can:

* cleaner: the raw body's first ``CLEAN_CHARS`` characters become the text (no HTML or
  boilerplate pass; cut so that the messages after it are the size of a cleaned article, as in the
  real pipeline, not of a raw HTML page);
* extractor: the clean article, with no entities, dates or quantities;
* deduplicator: every article is its own new event (the state table is left unused);
* sink: one ``EventUpdate`` per decision, listing that article (no database).

Bench-only: nothing in the services switches to this.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Callable
from typing import Any

from shared.contracts import (
    CleanArticle,
    DedupDecision,
    EnrichedArticle,
    EventDecision,
    EventUpdate,
    Message,
    RawArticle,
    SourceRef,
)
from shared.settings import BaseServiceSettings
from shared.stage import BuildContext, Stage, Step
from shared.stageapp import StageWorker
from shared.worker import run_worker

CLEAN_CHARS = 4000  # about a cleaned article (the ECB+ seeds, plain text, average 1.9 KB)


def _clean(raw: RawArticle) -> list[Message]:
    return [
        CleanArticle(
            article_id=raw.article_id,
            version=raw.version,
            source_id=raw.source_id,
            url=raw.url,
            canonical_url=raw.canonical_url,
            outlet=raw.outlet,
            text=raw.body[:CLEAN_CHARS] or "-",
            fetched_at=raw.fetched_at,
        )
    ]


def _extract(clean: CleanArticle) -> list[Message]:
    return [EnrichedArticle(article=clean)]


def _decide(article: EnrichedArticle) -> list[Message]:
    return [DedupDecision(article=article, event_id=f"ev-{article.article_id}", event_decision=EventDecision.NEW_EVENT)]


def _consolidate(decision: DedupDecision) -> list[Message]:
    clean = decision.article.article
    source = SourceRef(article_id=clean.article_id, outlet=clean.outlet, url=clean.url, fetched_at=clean.fetched_at)
    return [EventUpdate(event_id=decision.event_id, first_seen=clean.fetched_at, sources=[source])]


IDENTITY: dict[str, Callable[[Any], list[Message]]] = {
    "cleaner": _clean,
    "extractor": _extract,
    "deduplicator": _decide,
    "sink": _consolidate,
}
#: faust settings a service's app.py passes on top of the declaration's
APP_OVERRIDES: dict[str, dict[str, Any]] = {"deduplicator": {"table_standby_replicas": 1}}


def identity_stage(service: str) -> Stage[Any]:
    """The service's declared stage with the identity handler in place of its logic."""
    declared: Stage[Any] = importlib.import_module(f"services.{service}.stage").STAGE
    handle = IDENTITY[service]

    def build(_settings: BaseServiceSettings, _context: BuildContext) -> Step:
        return Step(handle)

    return dataclasses.replace(declared, build=build)


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in IDENTITY:
        sys.exit(f"usage: python -m bench.identity_stages {{{','.join(IDENTITY)}}}")
    service = sys.argv[1]
    stage = identity_stage(service)
    settings = stage.settings()
    worker = StageWorker(stage, settings, **APP_OVERRIDES.get(service, {}))
    run_worker(worker.app, settings)


if __name__ == "__main__":
    main()
