"""Other scorers on the ECB+ topic folds (an experiment, not part of ``make bench-dedup``).

For each of the 5 topic folds and each KIND (``lr-ecb``, ``gbt-ecb``, ``lr-ecbgva``,
``gbt-ecbgva``: logistic regression or boosted trees, trained on ECB+ only or on ECB+ and all of
GVA), the join/merge thresholds are chosen by inner cross-validation over the 4 training folds,
then the held-out fold is scored as one stream. Printed per fold: the F1 at the chosen
thresholds, with merges off and on at the chosen join threshold, and the best F1 over the grid
on the held-out fold ("oracle": a diagnosis of threshold transfer, never an out-of-sample
figure). Run: ``.venv/bin/python bench/dedup_scorers.py lr-ecb,gbt-ecb [0,1,2,3,4]``.
"""

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dedup_eval import SEED, corpora, ecb_folds  # noqa: E402

from services.deduplicator.config import DedupConfig  # noqa: E402
from services.deduplicator.pairs import FEATURE_NAMES  # noqa: E402
from services.deduplicator.training import Stream, bcubed, fit_trees, run_stream, teacher_rows  # noqa: E402

cfg = DedupConfig()
ecb, gva = corpora()
full = Stream.of(ecb, cfg)
gstream = Stream.of(gva, cfg)
LOGC = [FEATURE_NAMES.index(n) for n in ("numbers_shared", "key_hits", "n_candidates", "content_rank")]


class LR:
    def __init__(self, x, y):
        self.sc = StandardScaler().fit(self._t(x))
        self.clf = LogisticRegression(C=1.0, max_iter=2000).fit(self.sc.transform(self._t(x)), y)
        self.join_threshold, self.merge_threshold = 0.5, 1.01

    @staticmethod
    def _t(x):
        miss = (x == -1.0).astype(float)
        z = np.where(x == -1.0, 0.0, x)
        z[:, LOGC] = np.log1p(np.maximum(z[:, LOGC], 0))
        return np.hstack([z, miss])

    def proba(self, x):
        if not len(x):
            return np.zeros(0)
        return self.clf.predict_proba(self.sc.transform(self._t(x)))[:, 1]


class Th:
    def __init__(self, m, j, mg):
        self.m, self.join_threshold, self.merge_threshold = m, j, mg

    def proba(self, x):
        return self.m.proba(x)


JOINS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
MERGES = (0.9, 1.01)


def fit(kind, x, y):
    return LR(x, y) if kind == "lr" else fit_trees(x, y, SEED)


def curve(m, stream):
    out = {}
    gold = [a.gold for a in stream.articles]
    for j in JOINS:
        for mg in MERGES:
            if mg < j:
                continue
            out[(j, mg)] = bcubed(run_stream(Th(m, j, mg), stream, cfg), gold)[2]
    return out


gva_rows = teacher_rows(gstream, cfg) if any("gva" in k for k in sys.argv[1].split(",")) else None
kinds = sys.argv[1].split(",")
folds = ecb_folds(ecb)
res = defaultdict(list)
only = [int(a) for a in sys.argv[2].split(",")] if len(sys.argv) > 2 else range(5)
for k in only:
    test = folds[k]
    train_idx = [i for f in range(5) if f != k for i in folds[f]]
    tr = full.part(train_idx)
    te = full.part(test)
    tr_rows = teacher_rows(tr, cfg)
    inner_parts = []
    for f in range(5):
        if f == k:
            continue
        itr = full.part([i for g in range(5) if g not in (k, f) for i in folds[g]])
        inner_parts.append((teacher_rows(itr, cfg), full.part(folds[f])))
    for kind in kinds:
        model_kind, data = kind.split("-")
        t0 = time.time()
        inner = defaultdict(list)
        for r, ite in inner_parts:
            xs, ys = [r[0]], [r[1]]
            if data == "ecbgva":
                xs.append(gva_rows[0])
                ys.append(gva_rows[1])
            m = fit(model_kind, np.vstack(xs), np.concatenate(ys))
            for key, v in curve(m, ite).items():
                inner[key].append(v)
        best = max(inner, key=lambda kk: (np.mean(inner[kk]), -kk[0], kk[1]))
        xs, ys = [tr_rows[0]], [tr_rows[1]]
        if data == "ecbgva":
            xs.append(gva_rows[0])
            ys.append(gva_rows[1])
        m = fit(model_kind, np.vstack(xs), np.concatenate(ys))
        c = curve(m, te)
        gold = [a.gold for a in te.articles]
        off = c[(best[0], 1.01)]
        on = c.get((best[0], 0.9))
        p, r, f1 = bcubed(run_stream(Th(m, *best), te, cfg), gold)
        row = {
            "fold": k,
            "kind": kind,
            "join": best[0],
            "merge": best[1],
            "f1": round(f1, 4),
            "p": round(p, 4),
            "r": round(r, 4),
            "merges_off": round(off, 4),
            "merges_on": None if on is None else round(on, 4),
            "oracle": round(max(c.values()), 4),
            "oracle_at": str(max(c, key=c.get)),
            "s": round(time.time() - t0),
        }
        print(json.dumps(row), flush=True)
        res[kind].append(row)
for kind, rows in res.items():
    print(
        kind,
        "mean",
        round(np.mean([r["f1"] for r in rows]), 4),
        "off",
        round(np.mean([r["merges_off"] for r in rows]), 4),
        "on",
        round(np.mean([r["merges_on"] or 0 for r in rows]), 4),
        flush=True,
    )
