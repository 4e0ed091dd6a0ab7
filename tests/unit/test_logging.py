"""Logging: the Kafka client's reconnect storms are rate-limited, other loggers are not."""

from __future__ import annotations

import logging

from shared.logging import RateLimitFilter, configure_logging


def _record(msg: str, name: str = "aiokafka.conn") -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, None, None)


def test_repeated_messages_are_suppressed_then_counted() -> None:
    limiter = RateLimitFilter(interval=60)
    assert limiter.filter(_record("Unable connect to node"))
    assert not any(limiter.filter(_record("Unable connect to node")) for _ in range(500))
    assert limiter.filter(_record("another problem"))
    limiter.interval = 0
    again = _record("Unable connect to node")
    assert limiter.filter(again)
    assert "500 similar messages suppressed" in str(again.msg)


def test_other_loggers_are_never_suppressed() -> None:
    limiter = RateLimitFilter(interval=60)
    assert all(limiter.filter(_record("article processed", name="services.sink")) for _ in range(50))


def test_configure_installs_one_limiter_on_the_handler() -> None:
    configure_logging("INFO", "json")
    configure_logging("INFO", "json")
    [handler] = logging.getLogger().handlers
    assert sum(isinstance(f, RateLimitFilter) for f in handler.filters) == 1
