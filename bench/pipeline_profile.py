"""Profile the pipeline's stages in one process, without Kafka, on the articles the load generator sends.

Runs the cleaner, extractor, deduplicator and sink logic over the same
article stream (``bench/loadgen.py``), times each stage per article, and
prints cProfile's top functions (cumulative time) for the slowest stage.
The broker, the codecs and faust are left out on purpose: this isolates the
stages' own CPU cost, to compare with the end-to-end figures of
``bench_pipeline.py``. Usage: ``python bench/pipeline_profile.py [N]``.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import load_seeds, stream
from services.cleaner.logic import BoilerplateLearner, clean
from services.deduplicator.logic import Deduplicator
from services.extractor.logic import Extractor
from services.sink.apply import apply_decision
from shared.errors import WirewatchError
from shared.eventstore import EventWriter


def timed(fn: Callable[[Any], Any], items: list[Any]) -> tuple[list[Any], float]:
    """Outputs of ``fn`` over ``items`` (bad input dropped, as the dead-letter path would) and the seconds spent."""
    out = []
    started = time.perf_counter()
    for item in items:
        try:
            out.append(fn(item))
        except WirewatchError:
            continue
    return out, time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    articles = stream(load_seeds(html_pages=181), "prof")
    raws = [next(articles) for _ in range(n)]
    learner = BoilerplateLearner()
    extractor = Extractor()
    dedup = Deduplicator()
    with tempfile.TemporaryDirectory() as tmp:
        store = EventWriter(f"sqlite:///{tmp}/p.db")
        stages: dict[str, Callable[[Any], Any]] = {
            "cleaner": lambda raw: clean(raw, learner),
            "extractor": extractor.extract,
            "deduplicator": dedup.process,
            "sink": lambda decision: list(apply_decision(store, decision)),
        }
        extractor.extract(clean(raws[0], learner))  # loads the spaCy model outside the timing
        items: list[Any] = raws
        per_article: dict[str, float] = {}
        profiles: dict[str, str] = {}
        for name, fn in stages.items():
            profiler = cProfile.Profile()
            profiler.enable()
            outputs, seconds = timed(fn, items)
            profiler.disable()
            per_article[name] = seconds / max(1, len(items))
            buffer = io.StringIO()
            pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(18)
            profiles[name] = buffer.getvalue()
            print(
                f"[profile] {name}: {len(items)} in, {len(outputs)} out, {1000 * per_article[name]:.1f} ms/article",
                file=sys.stderr,
            )
            items = outputs
        store.close()
    slowest = max(per_article, key=lambda k: per_article[k])
    print(profiles[slowest], file=sys.stderr)
    print(
        json.dumps(
            {
                "articles": n,
                "ms_per_article": {k: round(1000 * v, 2) for k, v in per_article.items()},
                "articles_per_s_one_core": {k: round(1 / v, 1) if v else None for k, v in per_article.items()},
                "slowest": slowest,
            }
        )
    )


if __name__ == "__main__":
    main()
