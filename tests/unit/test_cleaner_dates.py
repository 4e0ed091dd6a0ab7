"""services.cleaner.dates: dates in URLs."""

from __future__ import annotations

from datetime import UTC, datetime

from services.cleaner.dates import url_date


def test_url_date() -> None:
    assert url_date("https://x.example/2023/03/14/story") == datetime(2023, 3, 14, tzinfo=UTC)
    assert url_date("https://x.example/news/story-20211230.html") == datetime(2021, 12, 30, tzinfo=UTC)
    assert url_date("https://x.example/news/12345") is None
