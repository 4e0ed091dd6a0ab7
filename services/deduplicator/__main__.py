"""`python -m services.deduplicator`: run one deduplicator worker (more copies stand by).

The single-partition assignment topic is created before the worker joins its group:
if the group's first assignment ran before faust declared it, no worker would own it.
"""

import asyncio

import structlog

from services.deduplicator.app import app, settings
from shared.admin import ensure_topics
from shared.contracts import ASSIGN_TOPIC
from shared.worker import run_worker

if __name__ == "__main__":
    try:
        asyncio.run(ensure_topics(settings, [ASSIGN_TOPIC]))
    except Exception as exc:  # noqa: BLE001 - the worker still declares it; log why it was not made up front
        structlog.get_logger(__name__).warning("assign_topic_not_created", error=repr(exc)[:300])
    run_worker(app, settings)
