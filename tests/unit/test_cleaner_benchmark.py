"""Extraction quality floor on the team's article extraction benchmark (slow; skipped without the corpus)."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / ".." / "shared" / "corpus" / "article-extraction-benchmark"
sys.path.insert(0, str(ROOT / "bench"))

from bench_clean import page_scores, predict  # noqa: E402


def test_page_scores_follow_the_benchmark_definition() -> None:
    gold = "one two three four five six"
    assert page_scores(gold, gold) == (1.0, 1.0)
    precision, recall = page_scores("one two three four five six seven eight", gold)
    assert precision == pytest.approx(3 / 5) and recall == 1.0
    assert page_scores("", gold) == (None, 0.0)


@pytest.mark.slow
def test_main_text_f1_floor() -> None:
    if not (CORPUS / "ground-truth.json").exists():
        pytest.skip(f"extraction benchmark not found at {CORPUS}")
    truth = json.loads((CORPUS / "ground-truth.json").read_text(encoding="utf-8"))
    precisions: list[float] = []
    recalls: list[float] = []
    for page_id, entry in sorted(truth.items()):
        html = gzip.decompress((CORPUS / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8")
        p, r = page_scores(predict(html, entry.get("url"), baseline=False), entry.get("articleBody") or "")
        if p is not None:
            precisions.append(p)
        if r is not None:
            recalls.append(r)
    precision, recall = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= 0.96, f"F1 {f1:.4f} (P {precision:.4f}, R {recall:.4f}) below the 0.96 target"
