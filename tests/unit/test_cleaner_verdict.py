"""Which pages hold an article: short news items pass, pages without a story are rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.cleaner.logic import clean
from services.cleaner.plaintext import clean_plain
from services.replay import read_inputs
from shared.contracts.articles import RawArticle
from shared.errors import RejectedInput

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cleaner"
GALLERY = FIXTURES / "gallery_captions.jsonl"  # first 4 of 17 lines of a 16-image gallery page (gva00969)


def test_page_whose_every_line_is_removed_does_not_crash() -> None:
    [raw] = list(read_inputs([GALLERY]))
    assert isinstance(raw, RawArticle)
    result = clean_plain(raw.body)  # every line is a credited caption: all are removed
    assert result.paragraphs == []
    with pytest.raises(RejectedInput) as info:
        clean(raw)
    assert info.value.reason == "not_an_article"
