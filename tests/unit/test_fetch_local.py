"""services.fetcher.local: the JSONL replay source (rate limit, invalid lines)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from services.fetcher.runner import Fetcher
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceConfig, SourceKind, StaticSources
from shared.contracts import RawArticle


async def test_jsonl_replay_rate_limit_and_invalid_lines(tmp_path: Path) -> None:
    path = tmp_path / "replay.jsonl"
    rows = [json.dumps({"doc_id": f"d{i}", "text": f"text {i}"}) for i in range(10)]
    path.write_text("\n".join([*rows[:5], "garbage", *rows[5:]]) + "\n", encoding="utf-8")
    published: list[RawArticle] = []

    async def publish(article: RawArticle) -> None:
        published.append(article)

    source = SourceConfig(id="replay", kind=SourceKind.JSONL, path=path, rate=20.0)
    fetcher = Fetcher(FetcherSettings(_env_file=None), publish, seen_table={}, loader=StaticSources([source]))  # type: ignore[call-arg]
    started = time.monotonic()
    await fetcher.run_once()
    elapsed = time.monotonic() - started
    assert [a.article_id for a in published] == [f"d{i}" for i in range(10)]
    assert 0.4 <= elapsed < 2.0  # 10 records at 20/s
    assert fetcher.health.get("replay").invalid_items == 1
    with path.open("a", encoding="utf-8") as fh:  # appended lines are picked up, old ones not repeated
        fh.write(json.dumps({"doc_id": "d10", "text": "late"}) + "\n" + '{"doc_id": "partial"')
    await fetcher.run_once()
    assert [a.article_id for a in published][10:] == ["d10"]
    await fetcher.aclose()
