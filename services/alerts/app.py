"""Alerts worker: the faust side of the alerts stage (see :mod:`services.alerts.stage`)."""

from __future__ import annotations

from services.alerts.stage import STAGE
from shared.stageapp import StageWorker

settings = STAGE.settings()
worker = StageWorker(STAGE, settings)
app = worker.app
outputs = worker.outputs
fired = worker.table
watch_events = worker.agent
