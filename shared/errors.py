"""One exception base for the whole pipeline.

Every error a service raises on purpose derives from :class:`WirewatchError` and
carries a short machine-readable ``reason``; agents catch it and route the
message to the dead-letter topic instead of crashing or dropping it.
"""

from __future__ import annotations

import logging
import os


class WirewatchError(Exception):
    """Base of all pipeline errors."""

    reason: str = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class RejectedInput(WirewatchError):
    """Input that decodes fine but is not usable (empty, binary, not an article, too large)."""

    reason = "rejected_input"


class StoreNotReady(WirewatchError):
    """The event store exists but holds no tables yet: the sink creates them when it starts."""

    reason = "store_not_ready"


class ConfigError(WirewatchError):
    """Settings or configuration files are wrong."""

    reason = "config_error"


#: Exit status of a worker that cannot go on but should be started again (EX_TEMPFAIL): its
#: sends kept failing (shared/streaming.py) or it stayed stalled (shared/stall.py). It exits
#: without committing, so the records it held are redelivered; deploy/run_all.py restarts it.
EXIT_RESTART = 75


def exit_for_restart(status: int = EXIT_RESTART) -> None:
    """Exit at once, without committing (logs flushed first): the records the worker held are redelivered."""
    logging.shutdown()
    os._exit(status)
