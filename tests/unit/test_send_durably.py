"""A failed send is retried and never lets its input be committed; persistent failure exits."""

from __future__ import annotations

import asyncio
import os
from typing import Any
from unittest.mock import patch

import pytest

from shared import streaming
from shared.contracts import RawArticle


class FlakyTopic:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def get_topic_name(self) -> str:
        return "articles.raw"

    async def send(self, **_kwargs: Any) -> asyncio.Future[None]:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("no metadata for topic yet")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_transient_failures_are_retried_until_acknowledged() -> None:
    topic = FlakyTopic(failures=2)
    with patch.object(streaming.asyncio, "sleep", return_value=None):
        await streaming.send_durably(topic, "k", RawArticle(article_id="a", body="x"))  # type: ignore[arg-type]
    assert topic.calls == 3


async def test_persistent_failure_exits_without_returning() -> None:
    topic = FlakyTopic(failures=10**6)

    def fake_exit(code: int) -> None:
        raise SystemExit(code)

    with (
        patch.object(streaming.asyncio, "sleep", return_value=None),
        patch.object(os, "_exit", side_effect=fake_exit),
        pytest.raises(SystemExit) as exited,
    ):
        await streaming.send_durably(topic, "k", RawArticle(article_id="a", body="x"), give_up_s=0)  # type: ignore[arg-type]
    assert exited.value.code == streaming.EXIT_SEND_FAILED
