"""Cleaner wiring: articles.raw → clean() → articles.clean (bad input → deadletter)."""

from __future__ import annotations

from typing import Any

import faust

from services.cleaner.logic import BoilerplateLearner, clean
from services.cleaner.settings import CleanerSettings
from shared.contracts import CleanArticle, Message, RawArticle
from shared.streaming import Outputs, make_app, run_stage, topic_for

SERVICE = "cleaner"
settings = CleanerSettings()
limits = settings.limits()
app = make_app(SERVICE, settings)
source = topic_for(app, RawArticle)
outputs = Outputs(app, [CleanArticle])
# Per-outlet boilerplate memory is a heuristic cache: each worker learns from what it sees.
learner = BoilerplateLearner.from_settings(settings)


def handle(raw: RawArticle) -> list[Message]:
    return [clean(raw, learner, limits=limits)]


@app.agent(source)
async def clean_articles(stream: faust.StreamT[Any]) -> None:
    await run_stage(SERVICE, outputs, handle, stream.events(), RawArticle)
