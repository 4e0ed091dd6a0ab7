"""Article-to-article pairwise scoring on the ECB+ topic folds (an issue-15 experiment, not part
of ``make bench-dedup``).

A pair model (logistic regression or histogram boosted trees) gives P(two articles report the
same event) from plain pair similarities; the probabilities are then clustered three ways:

* ``batch``: average-link over the whole held-out fold (a reference: it sees every article);
* ``pass-mean`` / ``pass-max``: one pass in stream order; an article joins the earlier event
  whose members in the window give the best mean (average link) or max probability, else it
  founds a new one;
* ``pass+merge`` / ``pass-max+merge``: ``pass-mean`` / ``pass-max`` plus, every ``REGROUP_EVERY``
  articles, a merge-only average-link agglomeration of the events that have an article in the
  active window (what would be published as merge revisions); one last round when the stream ends.

Folds: ECB+ topics dealt round-robin by number into 5 folds (``dedup_eval.ecb_folds``, the topic
field is used for nothing else); each fold is scored as one stream in file order, with a model
fitted on the other 4 folds' articles (all pairs among them). Every threshold is chosen by inner
cross-validation over those 4 training folds (fit on 3, cluster the 4th, best mean B-cubed F1);
"oracle" is the best F1 over the grid on the held-out fold itself, a diagnosis of threshold
transfer, never an out-of-sample figure. Term and entity idf come from the training articles only
(words never seen there get the largest idf), so nothing is fitted on the held-out fold.

``--gva``: the same on GVA dev, trained on the incidents first reported in 2013-2014 (three
contiguous blocks of them are the inner cross-validation's folds) and scored on the 2015 stream,
as ``make bench-dedup`` splits it, then its dense check (:func:`dense_gva`).

Scorers: ``lr``, ``hgb``, and ``lr-b`` / ``hgb-b`` fitted on the pairs with text cosine >= 0.1 only
(the others get p = 0). Run: ``.venv/bin/python bench/dedup_pairwise.py [--scorers lr,lr-b,hgb]
[--folds 0,1,2,3,4] [--no-conflicts]``; deterministic (same rows on every run).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from scipy.cluster.hierarchy import fcluster, linkage  # type: ignore[import-untyped]
from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
from scipy.spatial.distance import squareform  # type: ignore[import-untyped]
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dedup_eval import ECB, GVA, SEED, _redated, _when, ecb_folds, gva_split  # noqa: E402

from services.deduplicator.features import ArticleFeatures, entity_key, featurize  # noqa: E402
from services.deduplicator.labelled import LabelledArticle, load_labelled  # noqa: E402
from services.deduplicator.training import bcubed  # noqa: E402
from services.replay import enrich_records  # noqa: E402

Arr = npt.NDArray[np.float64]
WINDOW = 1000  # articles a one-pass clusterer compares with (bounded: cost per article stays flat)
REGROUP_EVERY = 10  # articles between merge-only re-clusterings of the active window
LEAD_WORDS = 60
JOIN_GRID = tuple(round(x, 2) for x in np.arange(0.05, 0.96, 0.05))
MERGE_GRID = (0.3, 0.4, 0.5, 0.6, 0.7)
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
_WEEKDAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
_KINDS = ("person", "org", "place")


# ------------------------------------------------------------------ articles
@dataclass(frozen=True)
class Doc:
    """What the pair features read from one article."""

    text: str
    title: str
    lead: str
    entities: dict[str, tuple[str, float]]  # entity key -> (kind, weight)
    name_words: frozenset[str]  # words of the people's names ("lohan", "lindsay")
    numbers: frozenset[str]
    years: frozenset[str]
    days: frozenset[str]  # absolute day-precision dates mentioned
    months: frozenset[str]
    weekdays: frozenset[str]
    event_type: str
    gold: str


def to_doc(la: LabelledArticle, f: ArticleFeatures) -> Doc:
    art = la.article
    text = art.article.text
    ents: dict[str, tuple[str, float]] = {}
    words: set[str] = set()
    for e in art.entities:
        if not e.id:
            continue
        kind = str(e.kind.value)
        key = f"{kind}:{entity_key(e.id)}"
        w = 0.25 + e.salience if e.salience > 0 else min(1.0, 0.25 + 0.15 * e.count)
        if w > ents.get(key, ("", 0.0))[1]:
            ents[key] = (kind, w)
        if kind == "person":
            words.update(t for t in e.id.partition(":")[2].split("-") if len(t) > 2)
    days, months = set(), set()
    for t in art.temporals:
        if t.reference != "absolute" or t.value is None:
            continue
        if t.precision.value in ("minute", "hour", "day"):
            days.add(t.value.date().isoformat())
        if t.precision.value in ("minute", "hour", "day", "week", "month"):
            months.add(f"{t.value.year:04d}-{t.value.month:02d}")
    return Doc(
        text=text,
        title=art.article.title or "",
        lead=" ".join(text.split()[:LEAD_WORDS]),
        entities=ents,
        name_words=frozenset(words),
        numbers=f.numbers,
        years=frozenset(_YEAR.findall(text)),
        days=frozenset(days),
        months=frozenset(months),
        weekdays=frozenset(w.lower() for w in _WEEKDAY.findall(text)),
        event_type=(art.event_type or "other").lower(),
        gold=la.gold,
    )


# -------------------------------------------------------------- pair features
FEATURES = (
    "text_cos",
    "title_cos",
    "lead_cos",
    "lead_text_cos",  # one side's lead against the other's full text (max of the two ways)
    "entity_cos",
    "person_cos",
    "org_cos",
    "place_cos",
    "name_word_cos",
    "numbers_shared",
    "numbers_overlap",
    "years_overlap",
    "year_conflict",
    "days_overlap",
    "months_overlap",
    "weekday_overlap",
    "same_type",
    # names of one side the other lacks: "both sides have their own protagonist" (Klitschko v
    # Rahman against Klitschko v Thompson) is what a cosine over all names blurs
    "person_unfound_min",
    "person_unfound_max",
    "place_unfound_min",
    "org_unfound_min",
    "name_word_unfound_min",
)


def _binary(sets: Sequence[frozenset[str]]) -> csr_matrix:
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, s in enumerate(sets):
        for x in sorted(s):  # sorted: a set's order varies with PYTHONHASHSEED, the columns must not
            rows.append(i)
            cols.append(vocab.setdefault(x, len(vocab)))
    return csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sets), max(1, len(vocab))))


def _overlap(sets: Sequence[frozenset[str]]) -> tuple[Arr, Arr]:
    """Shared items and shared / smaller set (-1 when a side has none)."""
    b = _binary(sets)
    shared = np.asarray((b @ b.T).todense(), dtype=np.float64)
    size = np.array([len(s) for s in sets], dtype=np.float64)
    small = np.minimum.outer(size, size)
    ratio = np.where(small > 0, shared / np.maximum(small, 1), -1.0)
    return shared, ratio


def _idf(df: Arr, n_train: int) -> Arr:
    """Smoothed idf from the training articles' document frequencies; unseen words get the most."""
    return np.log((1.0 + n_train) / (1.0 + df)) + 1.0


def _cos(x: csr_matrix) -> Arr:
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    xn = csr_matrix(x.multiply(1.0 / norms[:, None]))
    return np.asarray((xn @ xn.T).todense(), dtype=np.float64)


def _tfidf(texts: Sequence[str], train: npt.NDArray[np.bool_]) -> csr_matrix:
    cv = CountVectorizer(stop_words=sorted(ENGLISH_STOP_WORDS), lowercase=True)
    counts = csr_matrix(cv.fit_transform(texts), dtype=np.float64)  # the vocabulary only: no statistics
    df = np.asarray((counts[np.flatnonzero(train)] > 0).sum(axis=0)).ravel().astype(np.float64)
    counts.data = 1.0 + np.log(counts.data)
    return csr_matrix(counts.multiply(_idf(df, int(train.sum()))[None, :]))


def _weighted(docs: Sequence[Doc], train: npt.NDArray[np.bool_], kind: str | None) -> tuple[Arr, npt.NDArray[np.bool_]]:
    """Cosine of idf x salience entity vectors (of one kind, or all), and which rows have any."""
    m = _kind_matrix(docs, train, kind)
    has = np.asarray((m > 0).sum(axis=1)).ravel() > 0
    return _cos(m), has


def _unfound(m: csr_matrix) -> tuple[Arr, Arr]:
    """For weighted rows ``m``: per pair the smaller and larger of the two sides' weight shares
    that the other side lacks (-1 when a side has none)."""
    total = np.asarray(m.sum(axis=1)).ravel()
    present = csr_matrix((m > 0).astype(np.float64))
    found = np.asarray((m @ present.T).todense(), dtype=np.float64) / np.maximum(total, 1e-12)[:, None]
    un = 1.0 - found
    has = total > 0
    both = np.logical_and.outer(has, has)
    return np.where(both, np.minimum(un, un.T), -1.0), np.where(both, np.maximum(un, un.T), -1.0)


def _kind_matrix(docs: Sequence[Doc], train: npt.NDArray[np.bool_], kind: str | None) -> csr_matrix:
    """idf x salience entity vectors of one kind (or all), idf from the ``train`` rows."""
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for i, d in enumerate(docs):
        for key, (k, w) in d.entities.items():
            if kind is None or k == kind:
                rows.append(i)
                cols.append(vocab.setdefault(key, len(vocab)))
                vals.append(w)
    m = csr_matrix((vals, (rows, cols)), shape=(len(docs), max(1, len(vocab))))
    df = np.asarray((m[np.flatnonzero(train)] > 0).sum(axis=0)).ravel().astype(np.float64)
    return csr_matrix(m.multiply(_idf(df, int(train.sum()))[None, :]))


def _missing(sim: Arr, has: npt.NDArray[np.bool_]) -> Arr:
    return np.where(np.logical_and.outer(has, has), sim, -1.0)


def pair_tensor(docs: Sequence[Doc], train: npt.NDArray[np.bool_]) -> Arr:
    """(n, n, len(FEATURES)) pair features; idf from the rows marked ``train`` only."""
    text = _tfidf([d.text for d in docs], train)
    title_has = np.array([bool(d.title.strip()) for d in docs])
    lead = _tfidf([d.lead for d in docs], train)
    both = _tfidf([d.text for d in docs] + [d.lead for d in docs], np.concatenate([train, np.zeros_like(train)]))
    n = len(docs)
    full_part, lead_part = both[:n], both[n:]

    def normed(x: csr_matrix) -> csr_matrix:
        nr = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        nr[nr == 0] = 1.0
        return csr_matrix(x.multiply(1.0 / nr[:, None]))

    lt = np.asarray((normed(lead_part) @ normed(full_part).T).todense())
    cols: list[Arr] = [
        _cos(text),
        _missing(_cos(_tfidf([d.title or "_" for d in docs], train)), title_has),
        _cos(lead),
        np.maximum(lt, lt.T),
    ]
    ent, has = _weighted(docs, train, None)
    cols.append(_missing(ent, has))
    for kind in _KINDS:
        sim, has = _weighted(docs, train, kind)
        cols.append(_missing(sim, has))
    words = _binary([d.name_words for d in docs])
    df = np.asarray((words[np.flatnonzero(train)] > 0).sum(axis=0)).ravel().astype(np.float64)
    wm = csr_matrix(words.multiply(_idf(df, int(train.sum()))[None, :]))
    cols.append(_missing(_cos(wm), np.array([bool(d.name_words) for d in docs])))
    shared, ratio = _overlap([d.numbers for d in docs])
    cols += [np.log1p(shared), ratio]
    _, years = _overlap([d.years for d in docs])
    cols += [years, np.where(years < 0, -1.0, (years == 0).astype(np.float64))]
    cols += [_overlap([d.days for d in docs])[1], _overlap([d.months for d in docs])[1]]
    cols.append(_overlap([d.weekdays for d in docs])[1])
    types = np.array([d.event_type for d in docs])
    known = types != "other"
    cols.append(np.where(np.logical_and.outer(known, known), (types[:, None] == types[None, :]).astype(float), -1.0))
    cols += list(_unfound(_kind_matrix(docs, train, "person")))
    cols.append(_unfound(_kind_matrix(docs, train, "place"))[0])
    cols.append(_unfound(_kind_matrix(docs, train, "org"))[0])
    cols.append(_unfound(wm)[0])
    return np.stack(cols, axis=-1)


# -------------------------------------------------------------------- scorers
class PairModel(Protocol):
    def proba(self, x: Arr) -> Arr: ...


class LR:
    """Logistic regression over standardised features plus missing-value indicators."""

    def __init__(self, x: Arr, y: Arr) -> None:
        z = self._t(x)
        self.sc = StandardScaler().fit(z)
        self.clf = LogisticRegression(C=1.0, max_iter=3000).fit(self.sc.transform(z), y)

    @staticmethod
    def _t(x: Arr) -> Arr:
        return np.hstack([np.where(x == -1.0, 0.0, x), (x == -1.0).astype(np.float64)])

    def proba(self, x: Arr) -> Arr:
        return np.asarray(self.clf.predict_proba(self.sc.transform(self._t(x)))[:, 1], dtype=np.float64)


class HGB:
    """Histogram gradient-boosted trees (seeded, no early stopping: deterministic)."""

    def __init__(self, x: Arr, y: Arr) -> None:
        self.clf = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.1, max_leaf_nodes=15, early_stopping=False, random_state=SEED
        ).fit(x, y)

    def proba(self, x: Arr) -> Arr:
        return np.asarray(self.clf.predict_proba(x)[:, 1], dtype=np.float64)


SCORERS: dict[str, type[LR] | type[HGB]] = {"lr": LR, "hgb": HGB}
BLOCK_COS = 0.1  # "-b" scorers: pairs below this text cosine are never the same event (p = 0)


class Blocked:
    """A scorer fitted on the pairs that share some text only (as a stream's retrieval would
    give it); the other pairs get probability 0."""

    def __init__(self, inner: PairModel) -> None:
        self.inner = inner

    def proba(self, x: Arr) -> Arr:
        out = np.zeros(len(x))
        near = x[:, 0] >= BLOCK_COS
        if near.any():
            out[near] = self.inner.proba(x[near])
        return out


def fit(kind: str, tensor: Arr, gold: Sequence[str], idx: Sequence[int]) -> PairModel:
    """A pair model on all pairs among the articles ``idx`` (``<scorer>-b``: the near pairs only)."""
    ii, jj = np.triu_indices(len(idx), 1)
    a, b = np.asarray(idx)[ii], np.asarray(idx)[jj]
    g = np.asarray(gold)
    x, y = tensor[a, b], (g[a] == g[b]).astype(np.float64)
    base, _, blocked = kind.partition("-")
    if blocked:
        near = x[:, 0] >= BLOCK_COS
        return Blocked(SCORERS[base](x[near], y[near]))
    return SCORERS[base](x, y)


def prob_matrix(model: PairModel, tensor: Arr, idx: Sequence[int]) -> Arr:
    sub = tensor[np.ix_(idx, idx)]
    n = len(idx)
    p = model.proba(sub.reshape(n * n, -1)).reshape(n, n)
    p = (p + p.T) / 2
    np.fill_diagonal(p, 1.0)
    return p


# ----------------------------------------------------------------- clustering
def batch(p: Arr, thr: float) -> list[int]:
    if len(p) < 2:
        return [0] * len(p)
    z = linkage(squareform(1.0 - p, checks=False), method="average")
    return [int(x) for x in fcluster(z, t=1.0 - thr, criterion="distance")]


def one_pass(p: Arr, thr: float, how: str, merge: float = 1.01) -> list[int]:
    """Stream order = row order. ``how``: mean or max probability over an event's members in the
    window. ``merge`` < 1: merge-only average-link rounds every REGROUP_EVERY articles."""
    n = len(p)
    lab = np.zeros(n, dtype=np.int64)
    nxt = 0
    for t in range(n):
        lo = max(0, t - WINDOW)
        if t > lo:
            ev, inv = np.unique(lab[lo:t], return_inverse=True)
            row = p[t, lo:t]
            if how == "mean":
                score = np.bincount(inv, weights=row) / np.bincount(inv)
            else:
                score = np.full(len(ev), -1.0)
                np.maximum.at(score, inv, row)
            best = int(np.argmax(score))
            if score[best] >= thr:
                lab[t] = ev[best]
                if merge <= 1.0 and (t + 1) % REGROUP_EVERY == 0:
                    _regroup(p, lab, t + 1, merge)
                continue
        lab[t] = nxt
        nxt += 1
        if merge <= 1.0 and (t + 1) % REGROUP_EVERY == 0:
            _regroup(p, lab, t + 1, merge)
    if merge <= 1.0:
        _regroup(p, lab, n, merge)
    return [int(x) for x in lab]


def _regroup(p: Arr, lab: npt.NDArray[np.int64], upto: int, thr: float) -> None:
    """Merge-only average-link over the events with an article in the window (in place)."""
    lo = max(0, upto - WINDOW)
    ev, inv = np.unique(lab[lo:upto], return_inverse=True)
    if len(ev) < 2:
        return
    m = np.zeros((upto - lo, len(ev)))
    m[np.arange(upto - lo), inv] = 1.0
    sub = p[lo:upto, lo:upto].copy()
    np.fill_diagonal(sub, 0.0)
    tot = m.T @ sub @ m  # summed probabilities between two events' window members
    size = m.sum(axis=0)
    alive = np.ones(len(ev), dtype=bool)
    while True:
        avg = tot / np.outer(size, size)
        avg[~alive, :] = -1.0
        avg[:, ~alive] = -1.0
        np.fill_diagonal(avg, -1.0)
        a, b = np.unravel_index(int(np.argmax(avg)), avg.shape)
        if avg[a, b] < thr:
            return
        a, b = min(a, b), max(a, b)  # the older event id survives
        tot[a, :] += tot[b, :]
        tot[:, a] += tot[:, b]
        size[a] += size[b]
        alive[b] = False
        lab[:upto][lab[:upto] == ev[b]] = ev[a]


def methods() -> dict[str, list[tuple[float, float]]]:
    """Each clustering and its threshold grid (join, merge)."""
    single = [(j, 1.01) for j in JOIN_GRID]
    return {
        "batch": single,
        "pass-mean": single,
        "pass-max": single,
        "pass+merge": [(j, m) for j in JOIN_GRID[1::2] for m in MERGE_GRID],
        "pass-max+merge": [(j, m) for j in JOIN_GRID[9::2] for m in MERGE_GRID],
    }


def cluster(method: str, p: Arr, th: tuple[float, float]) -> list[int]:
    if method == "batch":
        return batch(p, th[0])
    if method == "pass-mean":
        return one_pass(p, th[0], "mean")
    if method == "pass-max":
        return one_pass(p, th[0], "max")
    if method == "pass-max+merge":
        return one_pass(p, th[0], "max", th[1])
    return one_pass(p, th[0], "mean", th[1])


def curves(p: Arr, gold: Sequence[str]) -> dict[str, dict[tuple[float, float], float]]:
    out: dict[str, dict[tuple[float, float], float]] = {}
    for m, grid in methods().items():
        out[m] = {th: bcubed([str(x) for x in cluster(m, p, th)], gold)[2] for th in grid}
    return out


# ----------------------------------------------------------------------- main
def run(
    docs: list[Doc], folds: list[list[int]], kinds: Sequence[str], only: Sequence[int], ncols: int = len(FEATURES)
) -> list[dict[str, Any]]:
    """Per held-out fold, scorer and clustering: the out-of-sample row (``ncols``: the first
    columns of :data:`FEATURES` used)."""
    gold = [d.gold for d in docs]
    rows: list[dict[str, Any]] = []
    for k in only:
        t0 = time.time()
        train_idx = [i for f in range(len(folds)) if f != k for i in folds[f]]
        test = folds[k]
        inner: dict[tuple[str, str], dict[tuple[float, float], list[float]]] = defaultdict(lambda: defaultdict(list))
        for f in range(len(folds)):
            if f == k:
                continue
            itr = [i for g in range(len(folds)) if g not in (k, f) for i in folds[g]]
            mask = np.zeros(len(docs), dtype=bool)
            mask[itr] = True
            tensor = pair_tensor(docs, mask)[..., :ncols]
            for kind in kinds:
                model = fit(kind, tensor, gold, itr)
                p = prob_matrix(model, tensor, folds[f])
                for m, cv in curves(p, [gold[i] for i in folds[f]]).items():
                    for th, v in cv.items():
                        inner[(kind, m)][th].append(v)
        mask = np.zeros(len(docs), dtype=bool)
        mask[train_idx] = True
        tensor = pair_tensor(docs, mask)[..., :ncols]
        tgold = [gold[i] for i in test]
        for kind in kinds:
            model = fit(kind, tensor, gold, train_idx)
            p = prob_matrix(model, tensor, test)
            c = curves(p, tgold)
            for m in methods():
                sc = inner[(kind, m)]
                th = max(sc, key=lambda t: (float(np.mean(sc[t])), -t[0], t[1]))
                pred = [str(x) for x in cluster(m, p, th)]
                pr, rc, f1 = bcubed(pred, tgold)
                best_th: tuple[float, float] = max(c[m], key=c[m].__getitem__)
                row = {
                    "fold": k,
                    "scorer": kind,
                    "method": m,
                    "join": th[0],
                    "merge": th[1],
                    "inner_f1": round(float(np.mean(sc[th])), 4),
                    "p": round(pr, 4),
                    "r": round(rc, 4),
                    "f1": round(f1, 4),
                    "events": len(set(pred)),
                    "gold_events": len(set(tgold)),
                    "oracle": round(max(c[m].values()), 4),
                    "oracle_at": list(best_th),
                    "s": round(time.time() - t0),
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
            if isinstance(model, Blocked) and isinstance(model.inner, LR):
                model = model.inner
            if isinstance(model, LR):
                names = [*FEATURES[:ncols], *(f"{n}_missing" for n in FEATURES[:ncols])]
                coef = sorted(zip(names, model.clf.coef_[0].tolist(), strict=True), key=lambda kv: -abs(kv[1]))
                print(json.dumps({"fold": k, "lr_coef": [(n, round(v, 2)) for n, v in coef[:12]]}), flush=True)
    return rows


def dense_gva(
    gva: list[LabelledArticle],
    docs: list[Doc],
    split: tuple[list[int], list[int]],
    rows: list[dict[str, Any]],
    ncols: int,
) -> list[dict[str, Any]]:
    """The dense check of ``make bench-dedup`` for the pair decision: the 2013-2014 articles
    re-dated into 2015 (``dedup_eval._redated``) and interleaved with the 2015 stream in
    publication order; each scorer and clustering keeps the thresholds its inner CV chose; scored
    on the 2015 articles, with the size and purity of the largest predicted event."""
    early, late = split
    moved = [_redated(gva[i], 2015) for i in early]
    all_docs = [*docs, *(to_doc(m, featurize(m.article)) for m in moved)]
    entries = [(gva[i], i) for i in late] + [(m, len(docs) + j) for j, m in enumerate(moved)]
    stream = [i for _, i in sorted(entries, key=lambda e: (_when(e[0]), e[0].article.article_id))]
    kept = [k for k, i in enumerate(stream) if i < len(docs)]  # the 2015 articles' positions
    gold = [d.gold for d in all_docs]
    mask = np.zeros(len(all_docs), dtype=bool)
    mask[early] = True
    tensor = pair_tensor(all_docs, mask)[..., :ncols]
    out = []
    for kind in dict.fromkeys(r["scorer"] for r in rows):
        p = prob_matrix(fit(kind, tensor, gold, early), tensor, stream)
        for r in (r for r in rows if r["scorer"] == kind):
            pred = [str(x) for x in cluster(r["method"], p, (r["join"], r["merge"]))]
            pr, rc, f1 = bcubed([pred[k] for k in kept], [gold[stream[k]] for k in kept])
            big, n = Counter(pred).most_common(1)[0]
            golds = Counter(gold[stream[k]] for k, e in enumerate(pred) if e == big)
            out.append({
                "dense": True, "scorer": kind, "method": r["method"], "join": r["join"], "merge": r["merge"],
                "p": round(pr, 4), "r": round(rc, 4), "f1": round(f1, 4), "events": len({pred[k] for k in kept}),
                "largest_event": n, "largest_event_purity": round(golds.most_common(1)[0][1] / n, 3),
            })  # fmt: skip
    return out


def table(rows: list[dict[str, Any]]) -> None:
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[(r["scorer"], r["method"])].append(r)
    print("scorer method | per-fold F1 (join/merge) | mean F1 | mean P / R | mean oracle")
    for (s, m), rs in by.items():
        folds = " ".join(f"{r['f1']:.3f}({r['join']}/{r['merge']})" for r in rs)
        mp, mr = np.mean([r["p"] for r in rs]), np.mean([r["r"] for r in rs])
        print(
            f"{s} {m} | {folds} | {np.mean([r['f1'] for r in rs]):.4f} | {mp:.3f} / {mr:.3f} | "
            f"{np.mean([r['oracle'] for r in rs]):.4f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scorers", default="lr,hgb")
    ap.add_argument("--folds", default="0,1,2,3,4")
    ap.add_argument("--no-conflicts", action="store_true", help="leave out the name-conflict columns")
    ap.add_argument("--gva", action="store_true", help="GVA dev: train on the 2013-2014 incidents, score 2015's")
    args = ap.parse_args()
    ncols = FEATURES.index("person_unfound_min") if args.no_conflicts else len(FEATURES)
    if args.gva:
        gva = load_labelled(GVA, enrich_records)
        docs = [to_doc(a, featurize(a.article)) for a in gva]
        early, late = gva_split(gva)
        # the early incidents in 3 contiguous blocks (the inner CV's folds), then the 2015 stream
        folds = [[int(i) for i in b] for b in np.array_split(np.array(early), 3)] + [late]
        rows = run(docs, folds, args.scorers.split(","), [len(folds) - 1], ncols)
        table(rows)
        print(json.dumps({"window": WINDOW, "regroup_every": REGROUP_EVERY, "gva": True, "rows": rows}))
        for row in dense_gva(gva, docs, (early, late), rows, ncols):
            print(json.dumps(row), flush=True)
        return
    ecb = load_labelled(ECB, enrich_records)
    docs = [to_doc(a, featurize(a.article)) for a in ecb]
    rows = run(docs, ecb_folds(ecb), args.scorers.split(","), [int(x) for x in args.folds.split(",")], ncols)
    table(rows)
    print(json.dumps({"window": WINDOW, "regroup_every": REGROUP_EVERY, "rows": rows}))


if __name__ == "__main__":
    main()
