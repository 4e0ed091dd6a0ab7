"""The faust wiring of the fetcher, without a broker: the timer publishes each sample once."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock, patch

import pytest

import services.fetcher.app as fetcher_app_module
from services.fetcher.runner import Fetcher
from shared.contracts import RawArticle

SAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "samples"


def _changelog_future(*args: Any, **kwargs: Any) -> Any:
    fut = MagicMock()
    fut.message.partition = 0
    return fut


@pytest.fixture
def fetcher_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    monkeypatch.setenv("WIREWATCH_FETCHER_WATCH_DIR", str(folder))
    monkeypatch.delenv("WIREWATCH_FETCHER_SOURCES_FILE", raising=False)
    module = importlib.reload(fetcher_app_module)
    module.app.conf.store = "memory://"
    return module


async def test_timer_publishes_each_sample_once(fetcher_app: Any, tmp_path: Path) -> None:
    module = fetcher_app
    send = AsyncMock()
    with (
        patch.object(module.outputs, "send", send),
        patch.object(type(module.seen_table), "send_changelog", side_effect=_changelog_future),
    ):
        await module.poll_due_sources()
        await module.fetcher.wait_idle()
        await module.poll_due_sources()
        await module.fetcher.wait_idle()
        # a restart: a new scheduler over the same (changelog-restored) table
        again = Fetcher(module.settings, module.publish, seen_table=module.seen_table)
        await again.run_once()
        await again.aclose()
        await module.fetcher.aclose()
    sent = [call.args[0] for call in send.await_args_list]
    assert all(isinstance(m, RawArticle) for m in sent)
    ids = sorted(m.article_id for m in sent)
    expected = sorted(p.name.removesuffix(".txt") for p in SAMPLES.glob("*.txt"))
    assert ids == expected
    assert all(m.version == 1 and m.content_type == "text/plain" for m in sent)
    assert module.seen_table.data  # the seen-state went through the table
    assert module.health_table.data["samples"]["items_published"] == len(expected)
