"""Main-text quality and CPU cost of the cleaner next to its base library on the article extraction benchmark.

Usage: .venv/bin/python bench/bench_clean.py [--corpus PATH] [--limit N] [--losses N] [--folds K]

Scoring follows the benchmark's authors (see the corpus README): word 4-gram
shingles (``\\w+`` tokens, case kept) of prediction and gold, per-page
precision/recall, averaged over pages with a non-empty prediction (precision)
or gold (recall), F1 of the two averages.

Every page is run through the cleaner and through plain ``trafilatura.extract``
(the library the cleaner builds on, default settings). The report lists the
pages where the cleaner keeps less of the gold text than the library alone
(its recall is lower), because that is where the cleaner's own refinements
lose text on sites they were not written for. Figures are also given per fold
of *sites* (a stable hash of the host name picks the fold), so a rule that
only pays on a few sites shows up as a fold where the cleaner falls behind.
CPU time is ``time.process_time`` (the box is shared; wall time is noise).
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.cleaner.logic import clean
from shared.contracts.articles import RawArticle
from shared.errors import RejectedInput

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "article-extraction-benchmark"
_TOKEN = re.compile(r"\w+")
_LOSS_MARGIN = 0.005  # recall differences below this are rounding, not lost text


@dataclass(frozen=True)
class Page:
    """One benchmark page: its HTML, gold article text and URL."""

    page_id: str
    html: str
    gold: str
    url: str | None


def load_pages(corpus: Path, limit: int = 0) -> list[Page]:
    """The benchmark's pages in id order (only the first ``limit`` when it is above 0)."""
    truth: dict[str, dict[str, str]] = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        Page(
            page_id,
            gzip.decompress((corpus / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8"),
            truth[page_id].get("articleBody") or "",
            truth[page_id].get("url"),
        )
        for page_id in sorted(truth)[: limit or None]
    ]


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


def site_of(url: str | None) -> str:
    """Host name without ``www.``: the unit the folds split on."""
    return (urlsplit(url or "").hostname or "").removeprefix("www.") or "unknown"


def fold_of(site: str, folds: int) -> int:
    """Stable fold of a site (hash of its name, so neither file order nor page ids decide it)."""
    return int.from_bytes(hashlib.blake2b(site.encode("utf-8"), digest_size=4).digest(), "big") % folds


@dataclass(frozen=True)
class PageResult:
    page_id: str
    site: str
    cleaner: tuple[float | None, float | None]
    base: tuple[float | None, float | None]


def aggregate(scores: list[tuple[float | None, float | None]]) -> dict[str, float]:
    """The authors' F1: mean precision over non-empty predictions, mean recall over non-empty gold."""
    precisions = [p for p, _ in scores if p is not None]
    recalls = [r for _, r in scores if r is not None]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": round(f1, 4), "precision": round(precision, 4), "recall": round(recall, 4)}


def recall_losses(results: list[PageResult]) -> list[tuple[float, PageResult]]:
    """Pages where the cleaner's recall is below the base library's, largest loss first."""
    losses = []
    for page in results:
        rc, rb = page.cleaner[1], page.base[1]
        if rc is not None and rb is not None and rc < rb - _LOSS_MARGIN:
            losses.append((rb - rc, page))
    return sorted(losses, key=lambda item: -item[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--losses", type=int, default=30, help="list up to N pages where the cleaner keeps less")
    parser.add_argument("--folds", type=int, default=5, help="report figures per fold of sites")
    args = parser.parse_args()
    truth_path = args.corpus / "ground-truth.json"
    if not truth_path.exists():
        print(f"corpus not found at {args.corpus}; pass --corpus", file=sys.stderr)
        return 2
    results: list[PageResult] = []
    cpu = {"cleaner": 0.0, "base": 0.0}
    for page in load_pages(args.corpus, args.limit):
        scores = {}
        for system in ("cleaner", "base"):
            start = time.process_time()
            pred = predict(page.html, page.url, baseline=system == "base")
            cpu[system] += time.process_time() - start
            scores[system] = page_scores(pred, page.gold)
        results.append(PageResult(page.page_id, site_of(page.url), scores["cleaner"], scores["base"]))
    losses = recall_losses(results)
    print(f"pages where the cleaner keeps less gold text than trafilatura.extract: {len(losses)} of {len(results)}")
    for loss, page in losses[: args.losses]:
        print(f"  -{loss:.3f} {page.page_id[:12]} {page.site}: recall base {page.base[1]:.3f}", end="")
        print(f" cleaner {page.cleaner[1]:.3f}")
    folds = []
    for k in range(max(1, args.folds)):
        members = [r for r in results if fold_of(r.site, args.folds) == k]
        if members:
            sites = len({r.site for r in members})
            cleaner = aggregate([r.cleaner for r in members])
            base = aggregate([r.base for r in members])
            folds.append({"fold": k, "pages": len(members), "sites": sites, "cleaner": cleaner, "base": base})
            print(
                f"  fold {k}: {len(members)} pages / {sites} sites"
                f"  cleaner F1 {cleaner['f1']:.4f} R {cleaner['recall']:.4f}"
                f"  base F1 {base['f1']:.4f} R {base['recall']:.4f}"
            )
    figures = {
        "system": "cleaner.clean",
        "pages": len(results),
        **aggregate([r.cleaner for r in results]),
        "base": {"system": "trafilatura.extract", **aggregate([r.base for r in results])},
        "pages_below_base_recall": len(losses),
        "recall_lost_vs_base": round(sum(loss for loss, _ in losses) / max(1, len(results)), 4),
        "cpu_ms_per_page": round(1000 * cpu["cleaner"] / max(1, len(results)), 1),
        "base_cpu_ms_per_page": round(1000 * cpu["base"] / max(1, len(results)), 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "site_folds": folds,
    }
    print(
        f"cleaner F1 {figures['f1']:.4f} P {figures['precision']:.4f} R {figures['recall']:.4f}"
        f" {figures['cpu_ms_per_page']} ms CPU/page;  trafilatura.extract F1 {figures['base']['f1']:.4f}"  # type: ignore[index]
        f" R {figures['base']['recall']:.4f} {figures['base_cpu_ms_per_page']} ms CPU/page"  # type: ignore[index]
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
