"""Extractor wiring: articles.clean → Extractor.extract() → articles.enriched."""

from __future__ import annotations

from typing import Any

import faust

from services.extractor.logic import Extractor
from services.extractor.settings import ExtractorSettings
from shared.contracts import CleanArticle, EnrichedArticle, Message
from shared.streaming import Outputs, make_app, run_stage, topic_for

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


def handle(article: CleanArticle) -> list[Message]:
    return [extractor().extract(article)]


@app.agent(source)
async def extract_articles(stream: faust.StreamT[Any]) -> None:
    await run_stage(SERVICE, outputs, handle, stream.events(), CleanArticle)
