"""Extractor wiring: articles.clean → Extractor.extract_each() (batched) → articles.enriched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import faust

from services.extractor.logic import Extractor
from services.extractor.settings import ExtractorSettings
from shared.contracts import CleanArticle, EnrichedArticle, Message
from shared.streaming import Outputs, make_app, run_batched_stage, topic_for

SERVICE = "extractor"
settings = ExtractorSettings()
app = make_app(SERVICE, settings)
source = topic_for(app, CleanArticle)
outputs = Outputs(app, [EnrichedArticle])
_extractor: Extractor | None = None


def extractor() -> Extractor:
    """The spaCy pipeline loads once per process, on first use (not at import)."""
    global _extractor
    if _extractor is None:
        _extractor = Extractor(settings.extractor_model, ner_context=settings.extractor_ner_context)
    return _extractor


def handle_many(articles: Sequence[CleanArticle]) -> list[list[Message] | Exception]:
    """One model pass for the batch; a failed article's exception becomes its dead letter."""
    return [r if isinstance(r, Exception) else [r] for r in extractor().extract_each(articles)]


@app.agent(source)
async def extract_articles(stream: faust.StreamT[Any]) -> None:
    await run_batched_stage(
        SERVICE,
        outputs,
        handle_many,
        stream,
        CleanArticle,
        max_batch=settings.extractor_batch,
        within_s=settings.extractor_batch_wait_s,
    )
