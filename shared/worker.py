"""Start a faust worker for one service with the project's logging left in place."""

from __future__ import annotations

import asyncio

import faust
import structlog

from shared.admin import ensure_changelogs
from shared.logging import configure_logging
from shared.settings import BaseServiceSettings


def changelogs(app: faust.App) -> dict[str, int]:
    """The app's table changelog topics and their partition counts (a table's own, else the app's)."""
    return {table.changelog_topic_name: table.partitions or app.conf.topic_partitions for table in app.tables.values()}


def run_worker(app: faust.App, settings: BaseServiceSettings) -> None:
    """Run the service until SIGINT/SIGTERM; offsets are committed on a clean stop."""
    configure_logging(settings.log_level, settings.log_format)
    if tables := changelogs(app):
        try:
            asyncio.run(ensure_changelogs(settings, tables))
        except Exception as exc:  # noqa: BLE001 - faust still creates them itself; say why they were not made here
            structlog.get_logger(__name__).warning("changelogs_not_created", error=repr(exc)[:300])
    worker = faust.Worker(
        app,
        loglevel=settings.log_level,
        override_logging=False,
        redirect_stdouts=True,
        quiet=True,
    )
    worker.execute_from_commandline()
