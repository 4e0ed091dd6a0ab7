"""Where the cleaner's CPU goes on HTML pages: exclusive process time per component (issue 16).

Usage: .venv/bin/python bench/profile_clean.py [--corpus PATH] [--limit N]

Runs ``clean()`` over the article extraction benchmark's pages (as ``make
bench-clean`` does: the page as text, ``text/html``) with the components below
wrapped in timers. Each timer charges ``time.process_time`` to its component
*exclusive* of the wrapped components it calls, so the rows add up to the
total; "other" is what no timer covers (the cleaner's own glue, trafilatura's
code between the wrapped functions). No profiler runs, so Python-heavy and
C-heavy parts are not skewed against each other. Each page is run once before
timing starts (one-off loads: stoplists, langdetect profiles, suffix lists).
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_clean import DEFAULT_CORPUS, load_pages
from services.cleaner.logic import clean
from shared.contracts.articles import RawArticle
from shared.errors import RejectedInput

# (module whose global is replaced, attribute, component): the module is where the call is made.
TARGETS: list[tuple[str, str, str]] = [
    ("services.cleaner.html_extract", "load_html", "parse (load_html)"),
    ("trafilatura.core", "copy", "tree copies"),
    ("trafilatura.core", "extract_metadata", "metadata (without htmldate)"),
    ("trafilatura.metadata", "find_date", "htmldate"),
    ("trafilatura.core", "prune_unwanted_nodes", "pruning and tree cleaning"),
    ("trafilatura.core", "tree_cleaning", "pruning and tree cleaning"),
    ("trafilatura.core", "convert_tags", "tag conversion"),
    ("trafilatura.core", "extract_content", "main extractor"),
    ("trafilatura.core", "compare_extraction", "fallback comparison (glue)"),
    ("trafilatura.external", "try_readability", "readability port"),
    ("trafilatura.external", "try_justext", "jusText"),
    ("trafilatura.external", "sanitize_tree", "fallback comparison (glue)"),
    ("trafilatura.core", "baseline", "baseline rescue"),
    ("trafilatura.core", "_recall_retry", "recall escalation (glue)"),
    ("trafilatura.core", "justext_rescue", "jusText"),
    ("trafilatura.core", "xmltotxt", "text output (xmltotxt)"),
    ("services.cleaner.html_extract", "refine_with_time", "refine_with_time (meta scan)"),
    ("services.cleaner.html_extract", "repair_text", "ftfy repair"),
    ("services.cleaner.html_extract", "normalise_line", "line normalisation"),
    ("services.cleaner.logic", "refine_paragraphs", "cleaner rules (refine, verdict)"),
    ("services.cleaner.logic", "check_article", "cleaner rules (refine, verdict)"),
    ("services.cleaner.logic", "detect_language", "language detection"),
    ("services.cleaner.logic", "_body_text", "decoding and checks"),
    ("services.cleaner.logic", "content_hash", "cleaner rules (refine, verdict)"),
]


class Timers:
    """Exclusive process time per component, with a stack so nested components are not counted twice."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.passes: dict[str, float] = {}
        self._children: list[float] = []

    def wrap(self, label: str, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._children.append(0.0)
            start = time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                elapsed = time.process_time() - start
                children = self._children.pop()
                self.spent[label] = self.spent.get(label, 0.0) + elapsed - children
                self.calls[label] = self.calls.get(label, 0) + 1
                if self._children:
                    self._children[-1] += elapsed

        return timed


def install(timers: Timers) -> None:
    for module_name, attribute, label in TARGETS:
        module = importlib.import_module(module_name)
        setattr(module, attribute, timers.wrap(label, getattr(module, attribute)))
    passes: Any = importlib.import_module("trafilatura")
    extraction = passes.bare_extraction

    @functools.wraps(extraction)
    def timed_pass(*args: Any, **kwargs: Any) -> Any:
        # inclusive time per trafilatura pass, beside (not inside) the exclusive components
        label = "precise pass" if kwargs.get("favor_precision") else "default pass"
        label += " (fast)" if kwargs.get("fast") else " (full)"
        start = time.process_time()
        try:
            return extraction(*args, **kwargs)
        finally:
            timers.passes[label] = timers.passes.get(label, 0.0) + time.process_time() - start

    passes.bare_extraction = timed_pass


def run(pages: list[tuple[str, str | None]]) -> float:
    """CPU seconds for one pass of ``clean()`` over the pages."""
    start = time.process_time()
    for html, url in pages:
        with contextlib.suppress(RejectedInput):  # a rejected page costs CPU like the others
            clean(RawArticle(article_id="profile", body=html, content_type="text/html", url=url))
    return time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    args = parser.parse_args()
    pages = [(page.html, page.url) for page in load_pages(args.corpus, args.limit)]
    run(pages)  # warm-up: one-off loads are paid once per process, not per page
    timers = Timers()
    install(timers)
    total = run(pages)
    per_page = {label: 1000 * s / len(pages) for label, s in timers.spent.items()}
    per_page["other"] = 1000 * total / len(pages) - sum(per_page.values())
    for label, ms in sorted(per_page.items(), key=lambda item: -item[1]):
        print(f"{ms:7.2f} ms  {100 * ms * len(pages) / (1000 * total):5.1f} %  {label}")
    print(f"{1000 * total / len(pages):7.2f} ms per page in all ({len(pages)} pages)")
    passes = {label: round(1000 * s / len(pages), 2) for label, s in timers.passes.items()}
    print(f"trafilatura passes, inclusive: {passes}")
    figures = {
        "pages": len(pages),
        "ms_per_page": round(1000 * total / len(pages), 2),
        "components_ms_per_page": {k: round(v, 2) for k, v in sorted(per_page.items(), key=lambda kv: -kv[1])},
        "passes_ms_per_page": passes,
        "calls": timers.calls,
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
