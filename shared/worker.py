"""Start a faust worker for one service with the project's logging left in place."""

from __future__ import annotations

import faust

from shared.logging import configure_logging
from shared.settings import BaseServiceSettings


def run_worker(app: faust.App, settings: BaseServiceSettings) -> None:
    """Run the service until SIGINT/SIGTERM; offsets are committed on a clean stop."""
    configure_logging(settings.log_level, settings.log_format)
    worker = faust.Worker(
        app,
        loglevel=settings.log_level,
        override_logging=False,
        redirect_stdouts=True,
        quiet=True,
    )
    worker.execute_from_commandline()
