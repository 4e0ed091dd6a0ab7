"""Dump the cleaner's outputs on the load generator's seeds, and time it (issue 16).

``--dump FILE`` writes one JSON line per seed (the CleanArticle, or the
rejection reason), so a speed-up can be checked to change no output:
dump before, dump after, ``--compare`` the two files. ``--passes N`` times
``clean()`` with ``time.process_time`` per input kind over N passes (a fresh
learner each pass) and prints the median ms per article.

The articles are the seeds as the load generator sends them (variant 0, one
outlet, a fixed ``fetched_at`` so the dumps are comparable).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.loadgen import CORPUS, load_seeds
from services.cleaner.learner import BoilerplateLearner
from services.cleaner.logic import clean
from shared.contracts.articles import BodyEncoding, RawArticle
from shared.errors import RejectedInput

_FETCHED = datetime(2026, 1, 1, tzinfo=UTC)


def articles(corpus: Path) -> list[RawArticle]:
    """Every seed as a RawArticle, in the corpus order."""
    out = []
    for seed in load_seeds(corpus):
        html = seed.content_type == "text/html"
        out.append(
            RawArticle(
                article_id=seed.seed_id,
                source_id="loadgen-0",
                outlet="Outlet 0",
                url=f"https://loadgen.invalid/0/{seed.seed_id}/0",
                content_type=seed.content_type,
                body_encoding=BodyEncoding.BASE64 if html else BodyEncoding.TEXT,
                charset=None,
                body=seed.body,
                fetched_at=_FETCHED,
            )
        )
    return out


def outputs(raws: list[RawArticle]) -> list[str]:
    """One JSON line per article: the cleaned article or its rejection reason."""
    learner = BoilerplateLearner()
    lines = []
    for raw in raws:
        try:
            lines.append(clean(raw, learner).model_dump_json())
        except RejectedInput as exc:
            lines.append(json.dumps({"article_id": raw.article_id, "rejected": exc.reason}))
    return lines


def timings(raws: list[RawArticle], passes: int) -> dict[str, float]:
    """Median over passes of the CPU ms per article, per content type."""
    per_kind: dict[str, list[float]] = {}
    for _ in range(passes):
        learner = BoilerplateLearner()
        spent: dict[str, float] = {}
        counts: dict[str, int] = {}
        for raw in raws:
            start = time.process_time()
            with contextlib.suppress(RejectedInput):  # rejected pages cost CPU too; counted like the others
                clean(raw, learner)
            spent[raw.content_type] = spent.get(raw.content_type, 0.0) + time.process_time() - start
            counts[raw.content_type] = counts.get(raw.content_type, 0) + 1
        for kind, seconds in spent.items():
            per_kind.setdefault(kind, []).append(1000 * seconds / counts[kind])
    return {kind: round(statistics.median(values), 2) for kind, values in per_kind.items()}


def compare(before: Path, after: Path) -> int:
    """Number of articles whose output differs (each listed with its differing fields)."""
    old = [json.loads(line) for line in before.read_text(encoding="utf-8").splitlines()]
    new = [json.loads(line) for line in after.read_text(encoding="utf-8").splitlines()]
    if len(old) != len(new):
        print(f"different counts: {len(old)} vs {len(new)}")
        return max(len(old), len(new))
    differing = 0
    for a, b in zip(old, new, strict=True):
        if a != b:
            differing += 1
            fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            print(f"{a.get('article_id')}: {', '.join(fields)}")
    print(f"{differing} of {len(old)} outputs differ")
    return differing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--dump", type=Path, help="write the outputs as JSONL here")
    parser.add_argument("--passes", type=int, default=0, help="time N passes (median ms per article)")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        return 1 if compare(*args.compare) else 0
    raws = articles(args.corpus)
    if args.dump:
        args.dump.write_text("\n".join(outputs(raws)) + "\n", encoding="utf-8")
    if args.passes:
        figures = {"ms_per_article": timings(raws, args.passes), "passes": args.passes}
        print(json.dumps({**figures, "loadavg": [round(x, 2) for x in os.getloadavg()]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
