"""The five seed articles: news paragraphs kept, boilerplate gone, stamps read as metadata."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from services.cleaner.decoding import normalise_line, repair_text
from services.cleaner.logic import clean, content_hash
from services.cleaner.patterns import TRAILING_LINKS
from shared.contracts.articles import CleanArticle, DateSource, RawArticle

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cleaner"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "seeds_expected.json").read_text(encoding="utf-8"))
SEEDS = sorted(name for name in EXPECTED if not name.startswith("_"))
_WORD = re.compile(r"\w+")


def _key(text: str) -> str:
    return " ".join(_WORD.findall(normalise_line(text).casefold()))


def _clean(name: str) -> tuple[str, CleanArticle]:
    source = (FIXTURES / "seeds" / name).read_text(encoding="utf-8")
    return source, clean(RawArticle(article_id=name, body=source, content_type="text/plain"))


@pytest.mark.parametrize("name", SEEDS)
def test_seed_keeps_news_paragraphs(name: str) -> None:
    source, article = _clean(name)
    text_key = _key(article.text)
    boiler = {_key(b) for b in EXPECTED[name]["boilerplate"]}
    kept = 0
    for raw_line in repair_text(source).split("\n"):
        line = raw_line.strip()
        if _key(line) in boiler or len(_WORD.findall(line)) < 12 or line == EXPECTED[name]["title"]:
            continue
        assert _key(TRAILING_LINKS.sub("", line)) in text_key, f"news paragraph lost: {line[:80]!r}"
        kept += 1
    assert kept >= 4


@pytest.mark.parametrize("name", SEEDS)
def test_seed_drops_boilerplate(name: str) -> None:
    _, article = _clean(name)
    paragraphs = {_key(p) for p in article.paragraphs}
    for line in EXPECTED[name]["boilerplate"]:
        assert _key(line) not in paragraphs, f"boilerplate kept: {line!r}"
    for marker in ("Advertisement", "scorecardresearch", "Leave a", "source site", "Read Also", "Google News Icon"):
        assert marker not in article.text
    assert article.removed_lines >= len(EXPECTED[name]["boilerplate"]) - 2


@pytest.mark.parametrize("name", SEEDS)
def test_seed_metadata(name: str) -> None:
    _, article = _clean(name)
    expected = EXPECTED[name]
    assert article.title == (normalise_line(expected["title"]) if expected["title"] else None)
    assert article.language == "en"
    assert article.text == "\n\n".join(article.paragraphs)
    assert article.content_hash == content_hash(article.text)
    if expected["published_at"] is None:
        assert article.published_at is None
        assert article.published_at_source == DateSource.UNKNOWN
        return
    assert article.published_at == datetime.fromisoformat(expected["published_at"])
    assert article.published_at_source == DateSource.TEXT_STAMP
    assert article.published_tz == expected["published_tz"]
    assert article.published_tz_known is expected["published_tz_known"]
    for key in ("authors", "site_name"):
        if key in expected:
            assert getattr(article, key) == expected[key]


def test_seed_001_update_stamp_is_modified_at() -> None:
    _, article = _clean("001_49524e8554e2d548.txt")
    assert article.modified_at == datetime.fromisoformat("2022-02-12T02:47:00+00:00")


def test_seed_003_lost_byte_emoji_repaired() -> None:
    _, article = _clean("003_f28817352efe0b87.txt")
    assert "\u2757" in article.text
    assert "â—" not in article.text
    assert "ï¸" not in article.text
