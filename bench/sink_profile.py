"""The sink's logic alone, offline: CPU per article on a replay of real dedup decisions, and its outputs.

``decisions N OUT``: run the cleaner, extractor and deduplicator logic over the first ``N`` articles of
the load generator's stream (``bench/loadgen.py``: the ECB+ dev texts and the AEB pages, then their
variants round after round, as ``make bench`` sends them) and write the dedup decisions as JSON
lines; this takes minutes, once. ``replay DECISIONS``: apply them to a fresh SQLite store with
:func:`services.sink.apply.apply_batch` in batches of ``--batch`` and print the sink's CPU per
article (``time.process_time``: the box is shared, wall time would measure the neighbours), over the
whole replay and over its last ``--tail`` decisions (where the events are largest, as in the
benchmark's flood window). ``--profile`` prints cProfile's top functions; ``--dump FILE`` writes
every published EventUpdate and the final tables (minus the wall-clock ``stored_at`` and
``merged_at`` columns) so two versions of the sink can be compared byte for byte.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import load_seeds, stream
from services.cleaner.logic import BoilerplateLearner, clean
from services.deduplicator.logic import Deduplicator
from services.extractor.logic import Extractor
from services.sink.apply import apply_batch
from shared.contracts import CleanArticle, DedupDecision
from shared.errors import WirewatchError
from shared.eventstore import EventWriter


def make_decisions(n: int, out: Path, chunk: int = 32) -> None:
    """The dedup decisions for the stream's first ``n`` articles (rejected ones dropped, as dead letters)."""
    articles = stream(load_seeds(html_pages=181), "sinkprof")
    learner = BoilerplateLearner()
    extractor = Extractor()
    dedup = Deduplicator()
    kept = 0
    with out.open("w", encoding="utf-8") as handle:
        for start in range(0, n, chunk):
            cleaned: list[CleanArticle] = []
            for _ in range(min(chunk, n - start)):
                try:
                    cleaned.append(clean(next(articles), learner))
                except WirewatchError:
                    continue
            enriched = []
            for article in cleaned:
                try:
                    extractor.check(article)
                except WirewatchError:
                    continue
                enriched.append(article)
            for item in extractor.extract_many(enriched):
                handle.write(dedup.process(item).model_dump_json() + "\n")
                kept += 1
            print(f"[decisions] {start + chunk}/{n} in, {kept} out", file=sys.stderr, flush=True)


def read_decisions(path: Path) -> list[DedupDecision]:
    with path.open(encoding="utf-8") as handle:
        return [DedupDecision.model_validate_json(line) for line in handle if line.strip()]


def batches(decisions: list[DedupDecision], size: int) -> Iterator[list[DedupDecision]]:
    for start in range(0, len(decisions), size):
        yield decisions[start : start + size]


def dump_tables(store: EventWriter) -> Iterator[str]:
    """The store's rows, in key order, without the wall-clock columns."""
    for row in store.snapshot():
        yield json.dumps(list(row), ensure_ascii=False)


def cache_memory(documents: list[str]) -> dict[str, float]:
    """What the sink's decoded-article cache holds for these stored documents (tracemalloc)."""
    try:
        from services.sink.facts import FactsCache  # noqa: PLC0415 - absent before the cache existed
    except ImportError:
        return {}
    copies = [json.loads(json.dumps(d)) for d in documents]  # strings of their own, as rows read back are
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    cache = FactsCache(max_chars=10**12)
    cache.facts(copies)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    chars = sum(len(d) for d in documents)
    return {
        "cache_articles": len(cache),
        "cache_mb": round(held / 1e6, 1),
        "cache_bytes_per_char": round(held / chars, 2),
    }


def replay(path: Path, *, size: int, tail: int, profile: bool, dump: Path | None, measure_memory: bool) -> None:
    decisions = read_decisions(path)
    published: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = EventWriter(f"sqlite:///{tmp}/sink.db")
        profiler = cProfile.Profile() if profile else None
        cpu_all = cpu_tail = 0.0
        first_tail = max(0, len(decisions) - tail)
        done = 0
        for batch in batches(decisions, size):
            if profiler is not None:
                profiler.enable()
            started = time.process_time()
            results = apply_batch(store, batch)
            spent = time.process_time() - started
            if profiler is not None:
                profiler.disable()
            cpu_all += spent
            if done >= first_tail:
                cpu_tail += spent
            done += len(batch)
            for decision, result in zip(batch, results, strict=True):
                if isinstance(result, Exception):
                    published.append(f"{decision.article_id} ERROR {type(result).__name__}: {result}")
                else:
                    published.extend(f"{decision.article_id} {u.model_dump_json()}" for u in result)
        if dump is not None:
            with dump.open("w", encoding="utf-8") as handle:
                for line in [*published, *dump_tables(store)]:
                    handle.write(line + "\n")
        sizes = [r[0] for r in store.execute("SELECT COUNT(*) FROM articles GROUP BY event_id").fetchall()]
        documents = [r[0] for r in store.execute("SELECT decision FROM articles").fetchall()]
        store.close()
    if profiler is not None:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(30)
        print(buffer.getvalue(), file=sys.stderr)
    memory = cache_memory(documents) if measure_memory else {}
    print(
        json.dumps(
            {
                **memory,
                "decisions": len(decisions),
                "batch": size,
                "profiled": profile,
                "cpu_ms_per_article": round(1000 * cpu_all / max(1, len(decisions)), 3),
                f"cpu_ms_per_article_last_{tail}": round(1000 * cpu_tail / max(1, min(tail, len(decisions))), 3),
                "events": len(sizes),
                "largest_event": max(sizes, default=0),
                "updates_published": sum(1 for line in published if " ERROR " not in line),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("decisions", help="write the dedup decisions of the stream's first N articles")
    make.add_argument("n", type=int)
    make.add_argument("out", type=Path)
    run = sub.add_parser("replay", help="apply the decisions to a fresh SQLite store and time the sink")
    run.add_argument("decisions", type=Path)
    run.add_argument("--batch", type=int, default=1)
    run.add_argument("--tail", type=int, default=1000)
    run.add_argument("--profile", action="store_true")
    run.add_argument("--dump", type=Path)
    run.add_argument("--memory", action="store_true", help="also measure the decoded-article cache (tracemalloc)")
    args = parser.parse_args()
    if args.command == "decisions":
        make_decisions(args.n, args.out)
    else:
        replay(
            args.decisions,
            size=args.batch,
            tail=args.tail,
            profile=args.profile,
            dump=args.dump,
            measure_memory=args.memory,
        )


if __name__ == "__main__":
    main()
