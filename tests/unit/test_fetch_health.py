"""services.fetcher.health: per-source health and failure backoff (with http.parse_retry_after)."""

from __future__ import annotations

from typing import Any

import pytest

from services.fetcher.health import HealthBook, backoff_delay
from services.fetcher.http import parse_retry_after


def test_retry_after_and_backoff() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 - 30) == pytest.approx(30.0)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert backoff_delay(60, 0, 3600) == 60
    assert backoff_delay(60, 1, 3600) == 120 and backoff_delay(60, 3, 3600) == 480
    assert backoff_delay(60, 30, 3600) == 3600 and backoff_delay(7200, 2, 3600) == 7200


def test_health_book_counts() -> None:
    table: dict[str, Any] = {}
    book = HealthBook(table)
    book.record_http("s", 200)
    book.record_http("s", 200)
    book.success("s", published=3, now=10.0)
    book.record_http("s", 503)
    book.failure("s", "HTTP 503", now=20.0)
    book.failure("s", "HTTP 503", now=30.0)
    health = HealthBook(table).get("s")
    assert health.http_status == {"200": 2, "503": 1}
    assert (health.items_published, health.consecutive_failures, health.last_success) == (3, 2, 10.0)
    assert health.status == "failing"
    book.success("s", published=0, now=40.0)
    assert HealthBook(table).get("s").consecutive_failures == 0
