"""The extractor's stage: articles.clean → Extractor.extract_each() (batched) → articles.enriched."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from services.extractor.logic import Extractor
from services.extractor.settings import ExtractorSettings
from shared.contracts import CleanArticle, EnrichedArticle, Message
from shared.stage import Batched, BuildContext, DeadLetterPolicy, Stage, Step


def build(settings: ExtractorSettings, context: BuildContext) -> Step:
    @cache
    def extractor() -> Extractor:
        """The spaCy pipeline loads on first use, not at start-up (a worker joins its group at once)."""
        return Extractor(
            settings.extractor_model,
            ner_context=settings.extractor_ner_context,
            ner_chars=settings.extractor_ner_chars,
        )

    def handle_many(articles: Sequence[CleanArticle]) -> list[list[Message] | Exception]:
        """One model pass for the batch; a failed article's exception becomes its dead letter."""
        return [r if isinstance(r, Exception) else [r] for r in extractor().extract_each(articles)]

    return Step(Batched(handle_many, max_batch=settings.extractor_batch, within_s=settings.extractor_batch_wait_s))


STAGE = Stage(
    name="extractor",
    settings=ExtractorSettings,
    source=CleanArticle,
    outputs=(EnrichedArticle,),
    build=build,
    dead_letters=DeadLetterPolicy(service="extractor"),
)
