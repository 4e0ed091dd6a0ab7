"""services.fetcher.sources: the sources file (parsing, validation, reload on change, sources added and removed)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from services.fetcher.runner import Fetcher
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceKind, SourcesLoader, parse_sources
from shared.contracts import RawArticle
from shared.errors import ConfigError


def test_parse_sources(tmp_path: Path) -> None:
    text = """
    [defaults]
    interval = 120
    [[sources]]
    id = "bbc"
    kind = "rss"
    url = "https://feeds.bbci.co.uk/news/world/rss.xml"
    [[sources]]
    id = "drop"
    kind = "folder"
    path = "incoming"
    interval = 5
    [[sources]]
    id = "replay"
    kind = "jsonl"
    path = "/data/ecb.jsonl"
    rate = 200
    """
    sources = parse_sources(text, base_dir=tmp_path)
    assert [s.kind for s in sources] == [SourceKind.FEED, SourceKind.FOLDER, SourceKind.JSONL]
    assert sources[0].interval == 120 and sources[1].interval == 5
    assert sources[1].path == tmp_path / "incoming" and sources[2].path == Path("/data/ecb.jsonl")


def test_example_sources_file_parses() -> None:
    path = Path(__file__).resolve().parents[2] / "deploy" / "sources.example.toml"
    sources = parse_sources(path.read_text(encoding="utf-8"), base_dir=path.parent)
    assert {s.kind for s in sources} == set(SourceKind)
    samples = next(s for s in sources if s.id == "samples")
    assert samples.path is not None and samples.path.resolve() == (path.parent / "samples").resolve()


@pytest.mark.parametrize(
    "text",
    [
        "[[sources]]\nid='a'\nkind='feed'\n",  # no url
        "[[sources]]\nid='a'\nkind='telepathy'\nurl='x'\n",
        "[[sources]]\nid='a b'\nkind='feed'\nurl='https://x'\n",
        "[[sources]]\nid='a'\nkind='feed'\nurl='https://x'\n[[sources]]\nid='a'\nkind='feed'\nurl='https://y'\n",
        "[[sources]]\nid='a'\nkind='feed'\nurl='https://x'\nallow_networks=['not a cidr']\n",
        "[[sources]\n",
    ],
)
def test_invalid_sources_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_sources(text)


def test_sources_file_reloaded_on_change_and_bad_edit_keeps_previous(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text("[[sources]]\nid='a'\nkind='folder'\npath='.'\n", encoding="utf-8")
    loader = SourcesLoader(path, tmp_path)
    first, changed = loader.load()
    assert changed and [s.id for s in first] == ["a"]
    assert loader.load() == (first, False)
    path.write_text("[[sources]]\nid='a'\nkind='folder'\npath='.'\n[[sources]]\nid='b'\nkind='folder'\npath='x'\n")
    os.utime(path, (time.time() + 10, time.time() + 10))
    second, changed = loader.load()
    assert changed and [s.id for s in second] == ["a", "b"]
    path.write_text("[[sources]\nbroken")
    os.utime(path, (time.time() + 20, time.time() + 20))
    assert loader.load() == (second, False)
    assert [s.id for s in SourcesLoader(None, tmp_path).load()[0]] == ["samples"]


async def test_adding_and_removing_a_source_takes_effect_without_restart(tmp_path: Path) -> None:
    folder_a, folder_b = tmp_path / "a", tmp_path / "b"
    folder_a.mkdir()
    folder_b.mkdir()
    (folder_a / "one.txt").write_text("one", encoding="utf-8")
    (folder_b / "two.txt").write_text("two", encoding="utf-8")
    path = tmp_path / "sources.toml"
    path.write_text("[[sources]]\nid='a'\nkind='folder'\npath='a'\n", encoding="utf-8")
    published: list[RawArticle] = []

    async def publish(article: RawArticle) -> None:
        published.append(article)

    settings = FetcherSettings(_env_file=None, sources_file=path)  # type: ignore[call-arg]
    fetcher = Fetcher(settings, publish, seen_table={})
    await fetcher.tick()
    await fetcher.wait_idle()
    assert [a.article_id for a in published] == ["one"]
    path.write_text("[[sources]]\nid='b'\nkind='folder'\npath='b'\n", encoding="utf-8")
    os.utime(path, (time.time() + 10, time.time() + 10))
    await fetcher.tick()
    await fetcher.wait_idle()
    assert [a.article_id for a in published] == ["one", "two"] and list(fetcher.sources) == ["b"]
    await fetcher.aclose()
