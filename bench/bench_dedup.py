"""Deduplicator benchmark: out-of-sample quality of the learned model, 2-worker split, copies,
and cost and memory as the window grows (dedup_scale.py).

Run: ``.venv/bin/python bench/bench_dedup.py`` (``--skip-scale`` for quality only). Quality
figures are all out of sample (``dedup_eval.py``: ECB+ 5-fold by topic, GVA 2015 incidents
with a model trained on 2013-2014, the same in a twice-as-dense stream). The corpora are
enriched with the real cleaner + extractor and cached (``services/deduplicator/labelled.py``).
The last printed line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dedup_copies import run_copies  # noqa: E402
from dedup_eval import ECB, GVA, corpora, evaluate_ecb, evaluate_gva, gva_split  # noqa: E402
from dedup_scale import cloned_stream  # noqa: E402

from services.deduplicator.config import DedupConfig  # noqa: E402
from services.deduplicator.features import ArticleFeatures, featurize  # noqa: E402
from services.deduplicator.labelled import LabelledArticle, load_labelled  # noqa: E402
from services.deduplicator.logic import Deduplicator  # noqa: E402
from services.deduplicator.model import EventModel  # noqa: E402
from services.deduplicator.training import bcubed  # noqa: E402
from services.replay import enrich_records  # noqa: E402
from shared.contracts.articles import (  # noqa: E402
    EnrichedArticle,
)


# -------------------------------------------------------------------- metrics
def pairwise(pred: Sequence[str], gold: Sequence[str]) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for i, j in combinations(range(len(pred)), 2):
        sp, sg = pred[i] == pred[j], gold[i] == gold[j]
        tp += sp and sg
        fp += sp and not sg
        fn += sg and not sp
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def final_events(dedup: Deduplicator, ids: Iterable[str]) -> list[str]:
    """Each article's event after all merges."""
    return [dedup.event_of(a) or "?" for a in ids]


# ------------------------------------------------------- partitioned delivery
PARTITIONS = 8  # the pipeline's default partitions per topic
ORDER_SEEDS = range(3)


def _consume(streams: list[list[Any]], rng: np.random.Generator) -> list[Any]:
    """One consumer reading several ordered streams: each keeps its order, and records come in
    batches of 1-3 from a randomly chosen stream, as from Kafka partitions."""
    out: list[Any] = []
    pos = [0] * len(streams)
    while any(p < len(s) for p, s in zip(pos, streams, strict=True)):
        live = [k for k, s in enumerate(streams) if pos[k] < len(s)]
        k = live[int(rng.integers(0, len(live)))]
        take = int(rng.integers(1, 4))
        out.extend(streams[k][pos[k] : pos[k] + take])
        pos[k] += take
    return out


def run_workers(
    arts: list[EnrichedArticle], gold: list[str], cfg: DedupConfig, model: EventModel, workers: int, *, seed: int
) -> float:
    """B-cubed F1 of the articles (file order, keyed by article id) arriving as the pipeline
    delivers them: spread over ``PARTITIONS`` partitions, each route worker reads its share of
    them interleaved and featurises (features travel as JSON records), and the single assigner
    reads the workers' outputs interleaved. One worker is not file order either: it too reads
    several partitions."""
    parts: list[list[EnrichedArticle]] = [[] for _ in range(PARTITIONS)]
    for a in arts:
        parts[int(hashlib.sha1(a.article_id.encode()).hexdigest(), 16) % PARTITIONS].append(a)
    rng = np.random.default_rng(seed)
    outputs = []
    for w in range(workers):
        read = _consume([parts[p] for p in range(PARTITIONS) if p % workers == w], rng)
        outputs.append([(a, featurize(a, cfg).to_record()) for a in read])
    dedup = Deduplicator(cfg, model)
    for a, rec in _consume(outputs, rng):
        dedup.assign(a, ArticleFeatures.from_record(json.loads(json.dumps(rec))))
    pred = final_events(dedup, (a.article_id for a in arts))
    return bcubed(pred, gold)[2]


def run_scaling(arts: list[EnrichedArticle], gold: list[str], cfg: DedupConfig, model: EventModel) -> dict[str, float]:
    """Mean and spread of B-cubed F1 over several delivery orders, for 1 and for 2 workers."""
    out: dict[str, float] = {}
    for workers in (1, 2):
        f1s = [run_workers(arts, gold, cfg, model, workers, seed=seed) for seed in ORDER_SEEDS]
        out[f"bcubed_f1_{workers}worker_mean"] = round(float(np.mean(f1s)), 4)
        out[f"bcubed_f1_{workers}worker_min"] = round(float(np.min(f1s)), 4)
        out[f"bcubed_f1_{workers}worker_max"] = round(float(np.max(f1s)), 4)
    out["bcubed_f1_2_vs_1_worker"] = round(out["bcubed_f1_2worker_mean"] - out["bcubed_f1_1worker_mean"], 4)
    return out


# ------------------------------------------------------------ scale
def run_scale(n: int, cfg: DedupConfig, base: Sequence[LabelledArticle]) -> dict[str, Any]:
    """Time per article as the window fills with ``n`` articles of real news made into distinct
    stories (``dedup_scale.cloned_stream``; retention raised so nothing is evicted), memory per
    100k, and whether the stories stayed apart (in sample: the shipped model saw GVA dev)."""
    big = cfg.model_copy(update={"retention_days": 3650.0})
    dedup = Deduplicator(big)
    checkpoints = {1_000, 10_000, 30_000, 60_000, 100_000, n}
    window = 1000
    times: dict[str, float] = {}
    t_last = time.perf_counter()
    proc = psutil.Process()
    base_rss = proc.memory_info().rss
    recent: list[float] = []
    work_before: dict[int, Counter[str]] = {}
    ids: list[str] = []
    gold: list[str] = []
    for i, (art, g) in enumerate(cloned_stream(base, n), 1):
        if i + window - 1 in checkpoints:
            work_before[i + window - 1] = dedup.work.copy()
        f = featurize(art, big)
        t = time.perf_counter()
        dedup.assign(art, f)
        dt = time.perf_counter() - t
        recent.append(dt)
        if len(recent) > window:
            recent.pop(0)
        ids.append(art.article.article_id)
        gold.append(g)
        if i % 5000 == 0:
            dedup.drain_changes()
            dedup.drain_reassignments()
        if i in checkpoints:  # mean over the last 1,000 articles, and the median (a GC pause moves the mean)
            times[f"assign_ms_at_{i // 1000}k"] = round(1000 * sum(recent) / len(recent), 3)
            times[f"assign_ms_median_at_{i // 1000}k"] = round(1000 * statistics.median(recent), 3)
            # the work behind it, which the caps bound (the time also has memory-locality effects)
            done = dedup.work - work_before.get(i, Counter())
            times[f"candidates_per_article_at_{i // 1000}k"] = round(done["candidates"] / window, 2)
            times[f"postings_read_per_article_at_{i // 1000}k"] = round(done["postings_read"] / window, 1)
    mem = proc.memory_info().rss - base_rss
    total = time.perf_counter() - t_last
    pred = final_events(dedup, ids)
    members: dict[str, set[str]] = {}
    for e, g in zip(pred, gold, strict=True):
        members.setdefault(e, set()).add(g.split("/", 1)[0])
    _, _, f1 = bcubed(pred, gold)
    return {
        **times,
        "scale_articles": n,
        "scale_gold_events": len(set(gold)),
        "scale_events": len(set(pred)),
        "scale_largest_event": Counter(pred).most_common(1)[0][1] if pred else 0,
        "scale_events_mixing_copies": sum(1 for copies in members.values() if len(copies) > 1),
        "scale_bcubed_f1_in_sample": round(f1, 4),
        "scale_total_ms_per_article": round(1000 * total / n, 3),
        "state_mem_mb_per_100k": round(mem / 2**20 * 100_000 / n, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--only", choices=["ecb", "gva"], help="one quality part (to run the two in parallel)")
    ap.add_argument("--scale-n", type=int, default=100_000)
    args = ap.parse_args()
    cfg = DedupConfig()
    out: dict[str, Any] = {}
    gva: list[LabelledArticle] | None = None
    if ECB.exists() and GVA.exists() and not args.skip_quality:
        ecb, gva = corpora()
        t0 = time.perf_counter()
        if args.only != "gva":
            _ecb_part(ecb, gva, cfg, out)
        if args.only != "ecb":
            _gva_part(ecb, gva, cfg, out)
        out["quality_s"] = round(time.perf_counter() - t0, 1)
    if not args.skip_scale and GVA.exists():
        scale = run_scale(args.scale_n, cfg, gva if gva is not None else load_labelled(GVA, enrich_records))
        print("scale: GVA dev cloned into distinct stories (dedup_scale.py)")
        for k, v in scale.items():
            print(f"  {k:34s} {v}")
        out.update(scale)
    print(json.dumps(out, sort_keys=True))


def _ecb_part(ecb: list[LabelledArticle], gva: list[LabelledArticle], cfg: DedupConfig, out: dict[str, Any]) -> None:
    res = evaluate_ecb(ecb, gva, cfg)
    print("ECB+ 5-fold by topic (train: 28 topics + all GVA; score: 7 unseen topics in a stream)", flush=True)
    for f in res["folds"]:
        print(
            f"  fold {f['fold']}: B-cubed P {f['p']} R {f['r']} F1 {f['f1']}  events {f['events']}/{f['gold']}"
            f"  (join {f['join']}, merge {f['merge']}; inner grid's argmax {f['argmax']['join']}/"
            f"{f['argmax']['merge']}: F1 {f['argmax']['f1']})"
        )
    print(f"  mean F1 {res['mean_f1']} (with the argmax thresholds: {res['argmax_mean_f1']})", flush=True)
    out["ecb_cv"] = res
    copies = run_copies([a.article for a in ecb], cfg)
    print("copies of ECB+ articles, shipped model (each kind: share linked to its original / in its event)")
    for k, v in copies.items():
        print(f"  {k:34s} {v}")
    out.update({f"copy_{k}": v for k, v in copies.items()})


def _gva_part(ecb: list[LabelledArticle], gva: list[LabelledArticle], cfg: DedupConfig, out: dict[str, Any]) -> None:
    gres, gmodel = evaluate_gva(ecb, gva, cfg)
    print("GVA: train on incidents first reported 2013-2014 (+ all ECB+), score the 2015 incidents")
    print(f"  {json.dumps({k: v for k, v in gres.items() if k != 'dense'})}")
    print(f"  dense (2013-14 re-dated into 2015, interleaved): {json.dumps(gres['dense'])}", flush=True)
    out["gva_2015"] = gres
    _, late = gva_split(gva)
    test = [gva[i] for i in late]
    out["gva_2015_partitions"] = run_scaling([a.article for a in test], [a.gold for a in test], cfg, gmodel)
    print(f"GVA 2015 through {PARTITIONS} partitions, 1 vs 2 route workers: {out['gva_2015_partitions']}")
    speed = run_speed([a.article for a in test], cfg, gmodel)
    print(f"GVA 2015 speed (featurise + assign, one process): {speed}", flush=True)
    out["gva_2015_speed"] = speed


def run_speed(arts: list[EnrichedArticle], cfg: DedupConfig, model: EventModel) -> dict[str, float]:
    """Articles per second of featurise + assign in one process. CPU seconds of this process
    (``process_time``) measure what one core does; wall-clock seconds are shown beside them,
    since on a shared machine they also count the time other processes held the core."""
    w0, c0 = time.perf_counter(), time.process_time()
    feats = [featurize(a, cfg) for a in arts]
    feat_s, feat_wall = time.process_time() - c0, time.perf_counter() - w0
    dedup = Deduplicator(cfg, model)
    w0, c0 = time.perf_counter(), time.process_time()
    for a, f in zip(arts, feats, strict=True):
        dedup.assign(a, f)
        dedup.drain_reassignments()
    assign_s, assign_wall = time.process_time() - c0, time.perf_counter() - w0
    tracemalloc.start()
    traced = Deduplicator(cfg, model)
    for a, f in zip(arts, feats, strict=True):
        traced.assign(a, f)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "articles_per_s_per_core": round(len(arts) / (assign_s + feat_s), 1),
        "articles_per_s_wall": round(len(arts) / (assign_wall + feat_wall), 1),
        "assign_cpu_ms_per_article": round(1000 * assign_s / len(arts), 3),
        "featurize_cpu_ms_per_article": round(1000 * feat_s / len(arts), 3),
        "peak_mem_mb": round(peak / 2**20, 1),
    }


if __name__ == "__main__":
    main()
