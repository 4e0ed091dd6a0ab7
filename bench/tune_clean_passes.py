"""How the cleaner's trafilatura passes were chosen for speed (issue 16): folds by site on the extraction benchmark.

Usage: .venv/bin/python bench/tune_clean_passes.py [--corpus PATH] [--folds K] [--min-f1 F] [--slack R]

Each page is parsed once and run through four trafilatura passes: the
precision mode (with metadata) and the default mode, each in full and with
``fast=True`` (no readability/jusText comparison). The variants combine them
as :func:`services.cleaner.html_extract.extract_html` does (the default text
between the precise text's first and last paragraph, the default text whole
when the precise one lost half the words) or use one pass alone; two of them
run the precise pass fast and escalate to the full pass(es) only on pages
where it lost half the words against the default pass. The rest of
the cleaner runs as in ``bench/tune_clean.py`` (the shipped rules). A variant's
CPU is the process time of the passes it needs, per page.

For each fold of sites, the variants are scored on the *other* folds; those
with F1 >= ``--min-f1``, recall no more than ``--slack`` below the shipped
variant's and no more pages below trafilatura's recall than it are eligible,
and the cheapest of them is chosen and measured on the held-out fold. The last
line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_clean import _LOSS_MARGIN, DEFAULT_CORPUS, aggregate, fold_of, load_pages, page_scores, site_of
from bench.tune_clean import variant_text
from services.cleaner.html_extract import _DATE_PARAMS, _FALLBACK_RATIO, _lines, _parse, _title

_WORD = re.compile(r"\w+")
_OPTIONS: dict[str, Any] = {"include_comments": False, "include_tables": True}
_SHIPPED_RULES = {"span": True, "embed": False, "credit": False, "separator": False, "dedup": False}
Lines = list[str]
Pick = tuple[Lines, Lines, tuple[str, ...]]  # precise lines, default lines, the passes they took


def _words(lines: Lines) -> int:
    return sum(len(_WORD.findall(line)) for line in lines)


def _escalating(p: dict[str, Lines], default_fast: bool) -> Pick:
    """The precise pass in fast mode, both passes in full when it lost half the words (the fallback's test)."""
    reference = p["Df"] if default_fast else p["D"]
    if _words(p["Pf"]) < _FALLBACK_RATIO * _words(reference):
        return p["P"], p["D"], ("Pf", "Df", "P", "D") if default_fast else ("Pf", "P", "D")
    return (p["Pf"], p["Df"], ("Pf", "Df")) if default_fast else (p["Pf"], p["D"], ("Pf", "D"))


# variant -> its text's (precise, default) lines and the passes it needed
VARIANTS: dict[str, Callable[[dict[str, Lines]], Pick]] = {
    "precise full + default full (shipped)": lambda p: (p["P"], p["D"], ("P", "D")),
    "precise fast + default full": lambda p: (p["Pf"], p["D"], ("Pf", "D")),
    "precise full + default fast": lambda p: (p["P"], p["Df"], ("P", "Df")),
    "precise fast + default fast": lambda p: (p["Pf"], p["Df"], ("Pf", "Df")),
    "precise fast + default full, precise full when fast lost half": lambda p: _escalating(p, default_fast=False),
    "precise fast + default fast, both full when precise lost half": lambda p: _escalating(p, default_fast=True),
    "precise full alone": lambda p: (p["P"], p["P"], ("P",)),
    "precise fast alone": lambda p: (p["Pf"], p["Pf"], ("Pf",)),
    "default full alone (+ metadata)": lambda p: (p["D"], p["D"], ("D", "M")),
    "default fast alone (+ metadata)": lambda p: (p["Df"], p["Df"], ("Df", "M")),
}
SHIPPED = "precise full + default full (shipped)"


def run_passes(html: str, url: str | None) -> tuple[dict[str, Lines], dict[str, float], str | None]:
    """Lines of each pass, CPU seconds of each (and of the parse, ``T``), the title."""
    cpu: dict[str, float] = {}
    start = time.process_time()
    tree = _parse(html)
    cpu["T"] = time.process_time() - start
    lines: dict[str, Lines] = {}
    title = None
    runs: dict[str, dict[str, Any]] = {
        "P": {"favor_precision": True, "with_metadata": True, "date_extraction_params": _DATE_PARAMS},
        "Pf": {"favor_precision": True, "with_metadata": True, "date_extraction_params": _DATE_PARAMS, "fast": True},
        "D": {},
        "Df": {"fast": True},
    }
    for name, extra in runs.items():
        start = time.process_time()
        doc = trafilatura.bare_extraction(tree, url=url, **_OPTIONS, **extra)
        cpu[name] = time.process_time() - start
        text = "" if doc is None or isinstance(doc, dict) else doc.text or ""
        lines[name] = _lines(text)
        if name == "P" and doc is not None and not isinstance(doc, dict):
            title = _title(doc.title, doc.sitename, doc.url or url)
    # metadata alone, for the variants that skip the precise pass (it carries the metadata)
    start = time.process_time()
    trafilatura.extract_metadata(tree, url, _DATE_PARAMS)
    cpu["M"] = time.process_time() - start
    return lines, cpu, title


def _keeps_less(recall: float | None, base_recall: float | None) -> bool:
    return recall is not None and base_recall is not None and recall < base_recall - _LOSS_MARGIN


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--min-f1", type=float, default=0.965)
    parser.add_argument("--slack", type=float, default=0.001, help="recall a variant may lose against the shipped")
    args = parser.parse_args()
    scores: dict[str, dict[str, tuple[float | None, float | None]]] = {v: {} for v in VARIANTS}
    cost: dict[str, dict[str, float]] = {v: {} for v in VARIANTS}
    base: dict[str, tuple[float | None, float | None]] = {}
    sites: dict[str, str] = {}
    for page in load_pages(args.corpus):
        sites[page.page_id] = site_of(page.url)
        lines, cpu, title = run_passes(page.html, page.url)
        for name, pick in VARIANTS.items():
            precise, default, needs = pick(lines)
            scores[name][page.page_id] = page_scores(variant_text(precise, default, title, _SHIPPED_RULES), page.gold)
            cost[name][page.page_id] = cpu["T"] + sum(cpu[n] for n in needs)
        base[page.page_id] = page_scores(trafilatura.extract(page.html, url=page.url) or "", page.gold)

    def figures(name: str, pages: list[str]) -> dict[str, Any]:
        below = len([p for p in pages if _keeps_less(scores[name][p][1], base[p][1])])
        ms = 1000 * sum(cost[name][p] for p in pages) / max(1, len(pages))
        return {**aggregate([scores[name][p] for p in pages]), "below_base": below, "pass_ms": round(ms, 1)}

    everything = sorted(sites)
    for name in VARIANTS:
        print(json.dumps({"variant": name, "all_pages_in_sample": figures(name, everything)}))
    report = []
    for k in range(args.folds):
        held = [p for p in everything if fold_of(sites[p], args.folds) == k]
        train = [p for p in everything if fold_of(sites[p], args.folds) != k]
        shipped = figures(SHIPPED, train)
        fitted = {name: figures(name, train) for name in VARIANTS}
        eligible = [
            (fig["pass_ms"], name)
            for name, fig in fitted.items()
            if fig["f1"] >= args.min_f1
            and fig["recall"] >= shipped["recall"] - args.slack
            and fig["below_base"] <= shipped["below_base"]
        ]
        chosen = min(eligible)[1] if eligible else SHIPPED
        row = {
            "fold": k,
            "pages": len(held),
            "chosen": chosen,
            "held_out": figures(chosen, held),
            "shipped_held_out": figures(SHIPPED, held),
            "trafilatura": aggregate([base[p] for p in held]),
        }
        report.append(row)
        print(json.dumps(row))
        for name in VARIANTS:
            print(json.dumps({"fold": k, "variant": name, "held_out": figures(name, held)}))
    print(json.dumps({"fitted_on": "other folds' sites", "measured_on": "held-out fold", "folds": report}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
