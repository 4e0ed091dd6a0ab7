"""The cleaner's stage: articles.raw → clean() → articles.clean (bad input → dead letter)."""

from __future__ import annotations

from services.cleaner.logic import BoilerplateLearner, clean
from services.cleaner.settings import CleanerSettings
from shared.contracts import CleanArticle, Message, RawArticle
from shared.stage import BuildContext, DeadLetterPolicy, Stage, Step


def build(settings: CleanerSettings, context: BuildContext) -> Step:
    limits = settings.limits()
    # Per-outlet boilerplate memory is a heuristic cache: each worker learns from what it sees.
    learner = BoilerplateLearner.from_settings(settings)

    def handle(raw: RawArticle) -> list[Message]:
        return [clean(raw, learner, limits=limits)]

    return Step(handle)


STAGE = Stage(
    name="cleaner",
    settings=CleanerSettings,
    source=RawArticle,
    outputs=(CleanArticle,),
    build=build,
    dead_letters=DeadLetterPolicy(service="cleaner"),
)
