"""Deduplicator worker: the faust side of the deduplicator's stage (see :mod:`services.deduplicator.stage`).

Two agents: ``route`` consumes ``articles.enriched`` on every worker and
forwards each article to the single-partition ``articles.enriched.assign``;
``assign_articles`` runs on the one worker that owns that partition. The other
workers keep a standby copy of the state table.
"""

from __future__ import annotations

from services.deduplicator.stage import STAGE
from shared.stageapp import StageWorker

settings = STAGE.settings()
worker = StageWorker(STAGE, settings, table_standby_replicas=1)
app = worker.app
route = worker.route
route_outputs = worker.route_outputs
assign_topic = worker.assign_topic
assign_outputs = worker.outputs
assign_articles = worker.agent
state = worker.table
