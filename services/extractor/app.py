"""Extractor worker: the faust side of the extractor's stage (see :mod:`services.extractor.stage`)."""

from __future__ import annotations

from services.extractor.stage import STAGE
from shared.stageapp import StageWorker

settings = STAGE.settings()
worker = StageWorker(STAGE, settings)
app = worker.app
outputs = worker.outputs
extract_articles = worker.agent
