"""How the cleaner's HTML text variant was chosen: folds by site on the article extraction benchmark.

Usage: .venv/bin/python bench/tune_clean.py [--corpus PATH] [--folds K] [--min-f1 F]

Variants (32): the text is the precise trafilatura pass (the default pass
when the precise one lost half the words) or :func:`main_span` of the two,
and each of four former refinement rules is on or off (drop embedded-post
attributions, photo credits, lines of punctuation or underscores, repeated
long paragraphs). The pages' sites (host without ``www.``) are split into
folds by :func:`bench_clean.fold_of`; for each fold the variant with the
highest recall among those with F1 >= ``--min-f1`` on the *other* folds is
chosen and scored on the held-out fold, next to plain ``trafilatura.extract``.
The rest of the cleaner (refinement, verdict) runs as in ``clean()``; the
former rules are applied before it, so figures can differ from those of the
code that had them by a page's rounding. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_clean import DEFAULT_CORPUS, aggregate, fold_of, load_pages, page_scores, site_of
from services.cleaner import patterns as pat
from services.cleaner.html_extract import _FALLBACK_RATIO, _lines, _parse, _title, main_span
from services.cleaner.refine import refine_paragraphs
from services.cleaner.settings import DEFAULT_LIMITS
from services.cleaner.verdict import caption_story, check_article, has_story, is_notice_line
from shared.errors import RejectedInput

_WORD = re.compile(r"\w+")
_OPTIONS: dict[str, Any] = {"include_comments": False, "include_tables": True}
RULES: dict[str, Callable[[str], bool]] = {
    "embed": lambda line: bool(pat.EMBED_ATTRIBUTION.match(line)),
    "credit": lambda line: bool(pat.IMAGE_CREDIT.match(line)) and len(_WORD.findall(line)) <= 30,
    "separator": lambda line: bool(pat.NO_TEXT.match(line)),
}
_DEDUP_MIN_WORDS = 15


def passes(html: str, url: str | None) -> tuple[list[str], list[str], str | None]:
    """(precise lines, default lines, title) as the cleaner computes them."""
    tree = _parse(html)
    doc = trafilatura.bare_extraction(tree, url=url, favor_precision=True, with_metadata=True, **_OPTIONS)
    default = trafilatura.bare_extraction(tree, url=url, **_OPTIONS)
    if doc is None or isinstance(doc, dict):
        return [], [], None
    default_text = "" if default is None or isinstance(default, dict) else default.text or ""
    return _lines(doc.text or ""), _lines(default_text), _title(doc.title, doc.sitename, doc.url or url)


def variant_text(precise: list[str], default: list[str], title: str | None, variant: dict[str, bool]) -> str:
    """The cleaner's output text for one variant."""
    words = sum(len(_WORD.findall(line)) for line in precise)
    if words < _FALLBACK_RATIO * sum(len(_WORD.findall(line)) for line in default):
        lines = default
    else:
        lines = main_span(precise, default) if variant["span"] else precise
    seen: set[str] = set()
    kept = []
    for line in lines:
        if any(variant[name] and rule(line) for name, rule in RULES.items()):
            continue
        key = " ".join(_WORD.findall(line.casefold()))
        if variant["dedup"] and len(key.split()) >= _DEDUP_MIN_WORDS and key in seen:
            continue
        seen.add(key)
        kept.append(line)
    paragraphs = refine_paragraphs(kept, title, None, None).paragraphs
    if not has_story(paragraphs):
        paragraphs = caption_story(lines) or paragraphs
    try:
        check_article(paragraphs, title, DEFAULT_LIMITS)
    except RejectedInput:
        return ""
    return "\n\n".join(p for p in paragraphs if not is_notice_line(p))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--min-f1", type=float, default=0.965)
    args = parser.parse_args()
    names = ["span", *RULES, "dedup"]
    variants = [dict(zip(names, bits, strict=True)) for bits in itertools.product([True, False], repeat=len(names))]
    scores: list[dict[str, tuple[float | None, float | None]]] = [{} for _ in variants]
    base: dict[str, tuple[float | None, float | None]] = {}
    sites: dict[str, str] = {}
    for page in load_pages(args.corpus):
        sites[page.page_id] = site_of(page.url)
        precise, default, title = passes(page.html, page.url)
        for i, variant in enumerate(variants):
            scores[i][page.page_id] = page_scores(variant_text(precise, default, title, variant), page.gold)
        base[page.page_id] = page_scores(trafilatura.extract(page.html, url=page.url) or "", page.gold)
    report = []
    for k in range(args.folds):
        held = [p for p in sites if fold_of(sites[p], args.folds) == k]
        train = [p for p in sites if fold_of(sites[p], args.folds) != k]
        fitted = [(aggregate([s[p] for p in train]), i) for i, s in enumerate(scores)]
        eligible = [(fig["recall"], i) for fig, i in fitted if fig["f1"] >= args.min_f1] or [
            (fig["f1"], i) for fig, i in fitted
        ]
        chosen = max(eligible)[1]
        row = {
            "fold": k,
            "pages": len(held),
            "chosen": [name for name in names if variants[chosen][name]],
            "held_out": aggregate([scores[chosen][p] for p in held]),
            "trafilatura": aggregate([base[p] for p in held]),
        }
        report.append(row)
        print(json.dumps(row))
    print(json.dumps({"fitted_on": "other folds' sites", "measured_on": "held-out fold", "folds": report}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
