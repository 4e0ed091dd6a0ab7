"""``python -m tests.e2e.stalling_worker SERVICE``: one service's worker whose consumer stops fetching.

Once the worker owns partitions it pauses every stream partition in faust's consumer, as
faust itself sometimes leaves a worker after a rebalance (records wait, nothing is
fetched, every agent idles on an empty queue), and logs ``test_fetching_stopped``. The
stall watch (shared/stall.py) must notice and get the worker going again.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import structlog

from shared.seekfence import ASSIGNOR_SUFFIX
from shared.worker import run_worker

log = structlog.get_logger("tests.e2e.stalling_worker")


def main(service: str) -> None:
    module: Any = importlib.import_module(f"services.{service}.app")
    app = module.app
    stopped = False

    @app.timer(interval=0.5)
    async def _stop_fetching() -> None:
        nonlocal stopped
        if stopped or app.rebalancing:
            return
        changelogs = app.tables.changelog_topics
        owned = app.consumer.assignment()
        streams = {tp for tp in owned if tp.topic not in changelogs and not tp.topic.endswith(ASSIGNOR_SUFFIX)}
        if streams:
            app.consumer.pause_partitions(streams)
            stopped = True
            log.warning("test_fetching_stopped", tps=sorted(str(tp) for tp in streams))

    run_worker(app, module.settings)


if __name__ == "__main__":
    main(sys.argv[1])
