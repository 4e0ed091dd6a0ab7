"""Cleaner worker: the faust side of the cleaner's stage (see :mod:`services.cleaner.stage`)."""

from __future__ import annotations

from services.cleaner.stage import STAGE
from shared.stageapp import StageWorker

settings = STAGE.settings()
worker = StageWorker(STAGE, settings)
app = worker.app
outputs = worker.outputs
clean_articles = worker.agent
