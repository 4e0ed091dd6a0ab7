"""Out-of-sample evaluation of the learned deduplicator (used by ``bench_dedup.py``).

* ECB+: 5-fold cross-validation by topic. The ``topic`` field is used here and nowhere else:
  to build the folds. Each fold trains on the other 28 topics and all of GVA, and scores its
  7 topics as one stream in file order.
* GVA: train on the incidents first reported in 2013-2014 (and all of ECB+), score the stream
  of the incidents first reported in 2015.
* Density: the 2015 incidents interleaved with the 2013-2014 ones re-dated into 2015 (same
  day of year), scored on the 2015 articles, with the largest predicted event's size and purity.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from services.deduplicator.config import DedupConfig
from services.deduplicator.labelled import LabelledArticle, load_labelled
from services.deduplicator.model import EventModel
from services.deduplicator.training import Stream, bcubed, run_stream, train, with_thresholds
from services.replay import enrich_records

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
ECB = CORPUS / "ecbplus" / "dev.jsonl"
GVA = CORPUS / "gva" / "dev.jsonl"
FOLDS = 5
SEED = 15


def corpora() -> tuple[list[LabelledArticle], list[LabelledArticle]]:
    return load_labelled(ECB, enrich_records), load_labelled(GVA, enrich_records)


def ecb_folds(ecb: Sequence[LabelledArticle]) -> list[list[int]]:
    """Topic folds: topics sorted by number, dealt round-robin into 5 folds of 7."""
    topics = sorted({int(a.record["topic"]) for a in ecb})
    fold_of = {t: i % FOLDS for i, t in enumerate(topics)}
    return [[i for i, a in enumerate(ecb) if fold_of[int(a.record["topic"])] == k] for k in range(FOLDS)]


def _when(a: LabelledArticle) -> datetime:
    t = a.article.article.published_at or datetime(1970, 1, 1, tzinfo=UTC)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _first_year(gva: Sequence[LabelledArticle]) -> dict[str, int]:
    first: dict[str, datetime] = {}
    for a in gva:
        t = _when(a)
        if t is not None and (a.gold not in first or t < first[a.gold]):
            first[a.gold] = t
    return {g: t.year for g, t in first.items()}


def gva_split(gva: Sequence[LabelledArticle]) -> tuple[list[int], list[int]]:
    """Article indexes of incidents first reported in 2013-2014, and in 2015."""
    year = _first_year(gva)
    early = [i for i, a in enumerate(gva) if year.get(a.gold, 0) <= 2014]
    late = [i for i, a in enumerate(gva) if year.get(a.gold, 0) == 2015]
    return early, late


def _score(pred: Sequence[str], gold: Sequence[str]) -> dict[str, Any]:
    p, r, f = bcubed(pred, gold)
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(f, 4), "events": len(set(pred)), "gold": len(set(gold))}


def argmax_model(model: EventModel) -> EventModel:
    """The same trees with the inner grid's best-mean thresholds (the rule before the plateau
    rule of ``pick_thresholds``), to compare the two rules on the same held-out data."""
    join, merge = (float(v) for v in str(model.training["inner_best"]).split("/"))
    return with_thresholds(model, join, merge)


def evaluate_ecb(ecb: list[LabelledArticle], gva: list[LabelledArticle], cfg: DedupConfig) -> dict[str, Any]:
    gva_stream = Stream.of(gva, cfg)
    full = Stream.of(ecb, cfg)
    folds = []
    for k, test in enumerate(ecb_folds(ecb)):
        held = set(test)
        model = train([full.part([i for i in range(len(ecb)) if i not in held]), gva_stream], cfg, seed=SEED)
        part = full.part(test)
        gold = [a.gold for a in part.articles]
        res = _score(run_stream(model, part, cfg), gold)
        best = argmax_model(model)
        res["argmax"] = {"join": best.join_threshold, "merge": best.merge_threshold}
        res["argmax"].update(_score(run_stream(best, part, cfg), gold))
        folds.append({"fold": k, "join": model.join_threshold, "merge": model.merge_threshold, **res})
        print(f"  (ECB+ fold {k} done: {folds[-1]})", flush=True)  # a fold takes minutes: show progress
    return {
        "folds": folds,
        "mean_f1": round(float(np.mean([f["f1"] for f in folds])), 4),
        "argmax_mean_f1": round(float(np.mean([f["argmax"]["f1"] for f in folds])), 4),
    }


_YEAR = re.compile(r"\b(19|20)(\d\d)\b")


def _shift_years(text: str, shift: int) -> str:
    """The years a text mentions moved by ``shift``, so that a re-dated article does not give its
    original year away ("the 2014 shooting" of an article moved into 2015 says "2015")."""
    if not shift:
        return text
    return _YEAR.sub(lambda m: str(int(m.group(0)) + shift), text)


def _redated(a: LabelledArticle, year: int) -> LabelledArticle:
    clean = a.article.article
    when = clean.published_at
    if when is None:
        return a
    try:
        moved = when.replace(year=year)
    except ValueError:  # 29 February
        moved = when.replace(year=year, day=28)
    shift = year - when.year
    moved_text = {"published_at": moved, "text": _shift_years(clean.text, shift)}
    if clean.title:
        moved_text["title"] = _shift_years(clean.title, shift)
    art = a.article.model_copy(update={"article": clean.model_copy(update=moved_text)})
    if art.event_date is not None:
        ed = art.event_date
        try:
            art = art.model_copy(update={"event_date": ed.model_copy(update={"date": ed.date.replace(year=year)})})
        except ValueError:
            art = art.model_copy(update={"event_date": None})
    return replace(a, article=art, gold="early:" + a.gold)


def evaluate_gva(
    ecb: list[LabelledArticle], gva: list[LabelledArticle], cfg: DedupConfig
) -> tuple[dict[str, Any], EventModel]:
    early, late = gva_split(gva)
    model = train([Stream.of([gva[i] for i in early], cfg), Stream.of(ecb, cfg)], cfg, seed=SEED)
    test = Stream.of([gva[i] for i in late], cfg)
    out: dict[str, Any] = {"train_articles": len(early), "test_articles": len(late)}
    out["join"], out["merge"] = model.join_threshold, model.merge_threshold
    out.update(_score(run_stream(model, test, cfg), [a.gold for a in test.articles]))
    best = argmax_model(model)
    out["argmax"] = {"join": best.join_threshold, "merge": best.merge_threshold}
    out["argmax"].update(_score(run_stream(best, test, cfg), [a.gold for a in test.articles]))
    # density: the early incidents moved into 2015, merged into the stream in publication order
    moved = [_redated(gva[i], 2015) for i in early]
    both = sorted(
        [(a, True) for a in test.articles] + [(a, False) for a in moved],
        key=lambda t: (_when(t[0]), t[0].article.article_id),
    )
    dense = Stream.of([a for a, _ in both], cfg)
    out["dense"] = _dense(model, dense, both, cfg)
    out["argmax"]["dense"] = _dense(best, dense, both, cfg)
    return out, model


def _dense(
    model: EventModel, dense: Stream, both: list[tuple[LabelledArticle, bool]], cfg: DedupConfig
) -> dict[str, Any]:
    pred = run_stream(model, dense, cfg)
    keep = [i for i, (_, is_test) in enumerate(both) if is_test]
    res = _score([pred[i] for i in keep], [both[i][0].gold for i in keep])
    size = Counter(pred)
    big, n = size.most_common(1)[0]
    golds = Counter(both[i][0].gold for i, e in enumerate(pred) if e == big)
    purity = round(golds.most_common(1)[0][1] / n, 3)
    res.update({"articles_in_stream": len(both), "largest_event": n, "largest_event_purity": purity})
    return res
