"""Main-text extraction quality and speed of the cleaner on the article extraction benchmark.

Usage: .venv/bin/python bench/bench_clean.py [--corpus PATH] [--baseline] [--limit N]

Scoring follows the benchmark's authors (see the corpus README): word 4-gram
shingles (``\\w+`` tokens, case kept) of prediction and gold, per-page
precision/recall, averaged over pages with a non-empty prediction (precision)
or gold (recall), F1 of the two averages. ``--baseline`` scores plain
``trafilatura.extract`` for comparison. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.cleaner.logic import clean
from shared.contracts.articles import RawArticle
from shared.errors import RejectedInput

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "article-extraction-benchmark"
_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + n]) for i in range(max(0, len(tokens) - n + 1)))


def page_scores(pred: str, gold: str) -> tuple[float | None, float | None]:
    """(precision, recall) of one page; None where the side is empty and the page is not averaged."""
    p, g = shingles(pred), shingles(gold)
    tp = sum((p & g).values())
    fp = sum(p.values()) - tp
    fn = sum(g.values()) - tp
    precision = tp / (tp + fp) if pred.strip() and tp + fp else (0.0 if pred.strip() else None)
    recall = tp / (tp + fn) if gold.strip() and tp + fn else (0.0 if gold.strip() else None)
    return precision, recall


def predict(html: str, url: str | None, baseline: bool) -> str:
    if baseline:
        return trafilatura.extract(html, url=url) or ""
    try:
        article = clean(RawArticle(article_id="bench", body=html, content_type="text/html", url=url))
    except RejectedInput:
        return ""
    return article.text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--baseline", action="store_true", help="score trafilatura.extract alone")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--worst", type=int, default=0, help="list the N pages with the lowest F1")
    args = parser.parse_args()
    truth_path = args.corpus / "ground-truth.json"
    if not truth_path.exists():
        print(f"corpus not found at {args.corpus}; pass --corpus", file=sys.stderr)
        return 2
    truth: dict[str, dict[str, str]] = json.loads(truth_path.read_text(encoding="utf-8"))
    ids = sorted(truth)[: args.limit or None]
    precisions: list[float] = []
    recalls: list[float] = []
    per_page: list[tuple[float, str, float | None, float | None]] = []
    elapsed = 0.0
    for page_id in ids:
        html = gzip.decompress((args.corpus / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8")
        gold = truth[page_id].get("articleBody") or ""
        start = time.perf_counter()
        pred = predict(html, truth[page_id].get("url"), args.baseline)
        elapsed += time.perf_counter() - start
        precision, recall = page_scores(pred, gold)
        if precision is not None:
            precisions.append(precision)
        if recall is not None:
            recalls.append(recall)
        pp, rr = precision or 0.0, recall or 0.0
        per_page.append((2 * pp * rr / (pp + rr) if pp + rr else 0.0, page_id, precision, recall))
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    for score, page_id, p, r in sorted(per_page)[: args.worst]:
        print(f"  {score:.3f} {page_id} P={p} R={r}")
    figures = {
        "system": "trafilatura.extract" if args.baseline else "cleaner.clean",
        "pages": len(ids),
        "f1": round(f1, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "pages_per_s": round(len(ids) / elapsed, 2) if elapsed else None,
    }
    print(f"F1 {f1:.4f}  precision {precision:.4f}  recall {recall:.4f}  pages/s {figures['pages_per_s']}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
