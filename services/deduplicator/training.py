"""Training the article-to-event model on labelled streams (``wirewatch train-dedup``).

1. Teacher forcing: each labelled stream is run in order through the real deduplicator, whose
   decision step is replaced by the gold one. For every article the candidates are retrieved
   exactly as in production, from the gold events seen so far; each gives a row of pair
   features (:mod:`pairs`), labelled 1 for the article's gold event. Look-alikes (same city,
   same kind of event) arrive as candidates by themselves: they are the hard negatives.
2. Gradient-boosted trees (scikit-learn, seeded) are fitted to the rows and exported as arrays.
3. The join and merge thresholds are chosen by inner cross-validation on the training data
   only: each stream is cut into contiguous blocks; a model fitted without a block runs that
   block as a live stream for each candidate pair of thresholds. The grid points whose scores
   are within one standard error of the best one's are tied with it, and the middle of the tied
   run of join thresholds is chosen (:func:`pick_thresholds`). No threshold is set by hand.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import ArticleFeatures, featurize
from services.deduplicator.labelled import Enrich, LabelledArticle, load_labelled
from services.deduplicator.logic import Choice, Deduplicator, Scored
from services.deduplicator.model import EventModel
from services.deduplicator.pairs import N_FEATURES, FloatArray, pair_matrix

TREES = 300
DEPTH = 4
LEARNING_RATE = 0.1
INNER_BLOCKS = 3
JOIN_GRID = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
NO_MERGE = 1.01  # a merge threshold no probability reaches
MERGE_GRID = (0.9, NO_MERGE)


@dataclass
class Stream:
    """A labelled stream with each article's features (computed once)."""

    articles: list[LabelledArticle]
    features: list[ArticleFeatures]

    @classmethod
    def of(cls, articles: Sequence[LabelledArticle], cfg: DedupConfig) -> Stream:
        return cls(list(articles), [featurize(a.article, cfg) for a in articles])

    def part(self, idx: Sequence[int]) -> Stream:
        return Stream([self.articles[i] for i in idx], [self.features[i] for i in idx])


class _TeacherForced(Deduplicator):
    """The deduplicator with the gold decision: collects (features, label) rows."""

    def __init__(self, cfg: DedupConfig, placeholder: EventModel) -> None:
        super().__init__(cfg.model_copy(update={"recheck_after": 0}), placeholder)
        self.gold: dict[str, str] = {}  # article id -> gold event label
        self.event_of_gold: dict[str, str] = {}
        self.rows: list[FloatArray] = []
        self.labels: list[FloatArray] = []

    def score(self, feats: ArticleFeatures, exclude: str | None = None) -> Scored:
        view = self._store.view(feats)
        cands = [(ev, n) for ev, n in self._store.candidates(view) if ev.event_id != exclude]
        kept, x = pair_matrix(view, [ev for ev, _ in cands], [n for _, n in cands])
        return Scored([cands[i][0] for i in kept], x, np.zeros(len(kept)), view)

    def choose(self, feats: ArticleFeatures, scored: Scored) -> Choice:
        target = self.event_of_gold.get(self.gold[feats.article_id])
        y = np.array([float(ev.event_id == target) for ev in scored.events])
        if len(y):
            self.rows.append(scored.x)
            self.labels.append(y)
        return Choice(self._store.events.get(target) if target else None, 1.0)


def teacher_rows(stream: Stream, cfg: DedupConfig) -> tuple[FloatArray, FloatArray]:
    """Rows and labels of one stream under teacher forcing."""
    placeholder = _constant_model(0.5, 0.5)
    tf = _TeacherForced(cfg, placeholder)
    for la, f in zip(stream.articles, stream.features, strict=True):
        tf.gold[f.article_id] = la.gold
        tf.assign(la.article, f)
        tf.event_of_gold.setdefault(la.gold, tf.event_of(f.article_id) or "")
    if not tf.rows:
        return np.zeros((0, N_FEATURES)), np.zeros(0)
    return np.vstack(tf.rows), np.concatenate(tf.labels)


def _constant_model(join: float, merge: float) -> EventModel:
    z = np.zeros((1, 1))
    return EventModel(
        feature=np.full((1, 1), -1, dtype=np.int64),
        threshold=z,
        left=np.full((1, 1), -1, dtype=np.int64),
        right=np.full((1, 1), -1, dtype=np.int64),
        value=z,
        init=0.0,
        join_threshold=join,
        merge_threshold=merge,
        depth=1,
    )


def fit_trees(x: FloatArray, y: FloatArray, seed: int) -> EventModel:
    """Boosted trees on the rows, exported as padded arrays (thresholds set later)."""
    clf = GradientBoostingClassifier(
        n_estimators=TREES, max_depth=DEPTH, learning_rate=LEARNING_RATE, subsample=0.8, random_state=seed
    )
    clf.fit(x, y)
    trees = [est[0].tree_ for est in clf.estimators_]
    width = max(t.node_count for t in trees)

    def pad(get: Any, fill: float, dtype: Any) -> Any:
        out = np.full((len(trees), width), fill, dtype=dtype)
        for i, t in enumerate(trees):
            out[i, : t.node_count] = get(t)
        return out

    feature = pad(lambda t: np.where(t.children_left < 0, -1, t.feature), -1, np.int64)
    prior = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    model = EventModel(
        feature=feature,
        threshold=pad(lambda t: t.threshold, 0.0, np.float64),
        left=pad(lambda t: t.children_left, -1, np.int64),
        right=pad(lambda t: t.children_right, -1, np.int64),
        value=pad(lambda t: t.value[:, 0, 0] * LEARNING_RATE, 0.0, np.float64),
        init=float(np.log(prior / (1 - prior))),
        join_threshold=0.5,
        merge_threshold=1.01,
        depth=DEPTH,
    )
    check = x[: min(len(x), 2000)]
    if not np.allclose(model.raw(check), clf.decision_function(check), atol=1e-6):
        raise RuntimeError("exported trees disagree with the fitted model")
    return model


def run_stream(model: EventModel, stream: Stream, cfg: DedupConfig) -> list[str]:
    """Each article's final event after a live run of the stream (merges and re-checks on)."""
    dedup = Deduplicator(cfg, model)
    for la, f in zip(stream.articles, stream.features, strict=True):
        dedup.assign(la.article, f)
        dedup.drain_reassignments()
    return [dedup.event_of(f.article_id) or "?" for f in stream.features]


def bcubed(pred: Sequence[str], gold: Sequence[str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 over articles."""
    by_pred: dict[str, list[int]] = defaultdict(list)
    by_gold: dict[str, list[int]] = defaultdict(list)
    for i, (pk, gk) in enumerate(zip(pred, gold, strict=True)):
        by_pred[pk].append(i)
        by_gold[gk].append(i)
    prec = rec = 0.0
    for i in range(len(pred)):
        both = sum(1 for j in by_pred[pred[i]] if gold[j] == gold[i])
        prec += both / len(by_pred[pred[i]])
        rec += both / len(by_gold[gold[i]])
    p, r = prec / max(1, len(pred)), rec / max(1, len(pred))
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def with_thresholds(model: EventModel, join: float, merge: float, training: dict[str, Any] | None = None) -> EventModel:
    """The same trees with other thresholds (and, given, other training metadata); the version
    is cleared, as it names the saved file these thresholds no longer match."""
    return replace(
        model,
        join_threshold=join,
        merge_threshold=merge,
        training=training if training is not None else model.training,
        version="",
    )


def _blocks(n: int) -> list[np.ndarray]:
    return [b for b in np.array_split(np.arange(n), INNER_BLOCKS) if len(b)]


def choose_thresholds(streams: Sequence[Stream], cfg: DedupConfig, seed: int) -> tuple[float, float, dict[str, Any]]:
    """Join and merge thresholds by inner cross-validation (see the module docstring): every
    grid point is scored on the same held-out units (one block of one stream each), and
    :func:`pick_thresholds` chooses among them."""
    scores: dict[tuple[float, float], list[float]] = defaultdict(list)
    for k in range(INNER_BLOCKS):
        train_parts, held = [], []
        for s in streams:
            blocks = _blocks(len(s.articles))
            if k >= len(blocks):
                continue
            rest = np.concatenate([b for j, b in enumerate(blocks) if j != k])
            train_parts.append(s.part(rest.tolist()))
            held.append(s.part(blocks[k].tolist()))
        rows = [teacher_rows(s, cfg) for s in train_parts]
        inner = fit_trees(np.vstack([r[0] for r in rows]), np.concatenate([r[1] for r in rows]), seed)
        for join in JOIN_GRID:
            for merge in MERGE_GRID:
                if merge < join:
                    continue
                m = with_thresholds(inner, join, merge)
                for h in held:
                    pred = run_stream(m, h, cfg)
                    scores[(join, merge)].append(bcubed(pred, [a.gold for a in h.articles])[2])
    return pick_thresholds(scores)


def _paired_tie(mine: FloatArray, best: FloatArray) -> bool:
    """Whether a grid point is within noise of the best: the mean of its per-unit differences to
    the best is no more than one standard error of those differences below zero."""
    d = mine - best
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
    return float(d.mean()) >= -se - 1e-12


def pick_thresholds(scores: dict[tuple[float, float], list[float]]) -> tuple[float, float, dict[str, Any]]:
    """The join and merge thresholds from per-unit inner scores (``(join, merge) -> one B-cubed
    F1 per held-out unit``, the same units in the same order for every point).

    The best mean alone is not the choice: over a few held-out blocks the grid is often flat
    within noise, and its argmax then lands anywhere on the plateau. The rule:

    1. the best point is the highest mean; a point is *tied* with it when its mean paired
       difference to the best (same units) is within one standard error of that difference;
    2. merges stay off when any merges-off point is tied (the simpler decision; merges chain
       look-alike events in a dense stream), else the merge threshold of the best point;
    3. on that merge setting, the tied join thresholds that form one unbroken run of the grid
       around the highest-scoring tied one are the plateau; the join threshold is its middle
       (the lower of the two middles when the run has an even length).
    """
    units = {key: np.asarray(v, dtype=np.float64) for key, v in scores.items()}
    mean = {key: float(v.mean()) for key, v in units.items()}
    best = max(mean, key=lambda key: (mean[key], -key[0], key[1]))
    tied = {key for key, v in units.items() if _paired_tie(v, units[best])}
    merge = NO_MERGE if any(m == NO_MERGE for _, m in tied) else best[1]
    row = sorted(j for j, m in units if m == merge)
    anchor = max((j for j in row if (j, merge) in tied), key=lambda j: (mean[(j, merge)], -j))
    lo = hi = row.index(anchor)
    while lo > 0 and (row[lo - 1], merge) in tied:
        lo -= 1
    while hi + 1 < len(row) and (row[hi + 1], merge) in tied:
        hi += 1
    join = row[(lo + hi) // 2]
    grid = {f"{j}/{m}": round(v, 4) for (j, m), v in sorted(mean.items())}
    info = {
        "inner_bcubed_f1": round(mean[(join, merge)], 4),
        "inner_best": f"{best[0]}/{best[1]}",
        "inner_grid": grid,
        "inner_tied": sorted(f"{j}/{m}" for j, m in tied),
        "inner_units": len(units[best]),
        "inner_unit_scores": {f"{j}/{m}": [round(float(x), 4) for x in v] for (j, m), v in sorted(units.items())},
    }
    return join, merge, info


def train(streams: Sequence[Stream], cfg: DedupConfig, *, seed: int = 15, names: Sequence[str] = ()) -> EventModel:
    """The model for these labelled streams: trees on all their rows, thresholds by inner CV."""
    rows = [teacher_rows(s, cfg) for s in streams]
    x, y = np.vstack([r[0] for r in rows]), np.concatenate([r[1] for r in rows])
    model = fit_trees(x, y, seed)
    join, merge, inner = choose_thresholds(streams, cfg, seed)
    meta = {
        "data": list(names),
        "articles": sum(len(s.articles) for s in streams),
        "events": sum(len({a.gold for a in s.articles}) for s in streams),
        "rows": len(y),
        "positives": int(y.sum()),
        "seed": seed,
        "trees": TREES,
        "depth": DEPTH,
        "learning_rate": LEARNING_RATE,
        **inner,
    }
    return with_thresholds(model, join, merge, meta)


def train_files(
    paths: Sequence[Path], out: Path, enrich: Enrich, *, seed: int = 15, cfg: DedupConfig | None = None
) -> EventModel:
    """Train on labelled JSONL files (each its own stream, in file order) and write the model."""
    cfg = cfg or DedupConfig()
    streams = [Stream.of(load_labelled(p, enrich), cfg) for p in paths]
    model = train(streams, cfg, seed=seed, names=[p.name for p in paths])
    model.save(out)
    return EventModel.load(out)


def stamp(model: EventModel, **extra: Any) -> EventModel:
    """Training metadata plus ``extra`` (e.g. out-of-sample scores); no wall-clock time, so that
    training twice gives the same bytes: the date is the caller's to pass."""
    return with_thresholds(model, model.join_threshold, model.merge_threshold, {**model.training, **extra})


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def describe(model: EventModel) -> str:
    return json.dumps(
        {"join_threshold": model.join_threshold, "merge_threshold": model.merge_threshold, **model.training},
        sort_keys=True,
    )
