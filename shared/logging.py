"""structlog configured once, routed through stdlib logging.

The faust worker redirects stdout into logging, so structlog renders into
stdlib log records: JSON lines when stderr is not a TTY (or when asked),
readable console lines otherwise. Timestamps are ISO 8601 in UTC.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import structlog

_configured = False
NOISY_LOGGERS = ("aiokafka", "kafka", "faust", "mode")


class RateLimitFilter(logging.Filter):
    """Lets one record per (logger, message template) of the Kafka client and faust through every
    ``interval`` seconds; records of other loggers always pass.

    The Kafka client logs a line per reconnect attempt while a broker is down (thousands a
    minute); the first one says what is wrong, the rest only fill the disk. The next record
    let through says how many were suppressed.
    """

    def __init__(self, interval: float = 10.0) -> None:
        super().__init__()
        self.interval = interval
        self._last: dict[tuple[str, str], float] = {}
        self._suppressed: dict[tuple[str, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".", 1)[0] not in NOISY_LOGGERS:
            return True
        key = (record.name, str(record.msg))
        now = time.monotonic()
        if now - self._last.get(key, -1e9) < self.interval:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return False
        self._last[key] = now
        if len(self._last) > 10_000:  # bounded: forget the oldest templates
            for old in sorted(self._last, key=self._last.__getitem__)[:5_000]:
                self._last.pop(old, None)
                self._suppressed.pop(old, None)
        skipped = self._suppressed.pop(key, 0)
        if skipped:
            record.msg = f"{record.msg} [{skipped} similar messages suppressed]"
        return True


def configure_logging(level: str = "INFO", fmt: str = "auto", service: str | None = None) -> None:
    """Configure structlog and the root logger. Safe to call more than once."""
    global _configured
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Any = structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=False)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(RateLimitFilter())  # on the handler: child loggers (aiokafka.conn, ...) pass here
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    if not _configured:
        structlog.configure(
            processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )
        _configured = True
    if service:
        structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
