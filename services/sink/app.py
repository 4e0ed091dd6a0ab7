"""Sink worker: the faust side of the sink's stage (see :mod:`services.sink.stage`)."""

from __future__ import annotations

from services.sink.stage import STAGE
from shared.stageapp import StageWorker

settings = STAGE.settings()
worker = StageWorker(STAGE, settings)
app = worker.app
outputs = worker.outputs
store_decisions = worker.agent
