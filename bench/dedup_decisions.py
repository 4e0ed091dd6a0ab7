"""Record the deduplicator's decisions on the dev streams, or check them against a recording.

Speed work on the deduplicator must not change what it decides. This runs the shipped model
over all of GVA dev and ECB+ dev (file order, re-checks on, ``drain_reassignments`` after each
article) and keeps, per stream:

* every emitted decision (re-emitted ones included), all fields but the wall-clock
  ``decided_at``;
* each article's final event;
* a digest of each article's features (``ArticleFeatures.to_record``);
* the full-precision probability of the best candidate each time an article is decided
  (a change below the 4 rounded digits of ``event_confidence`` shows here first).

Usage::

    .venv/bin/python bench/dedup_decisions.py record var/dedup-decisions.json
    .venv/bin/python bench/dedup_decisions.py check var/dedup-decisions.json

``check`` exits 1 on the first stream that differs and says where.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dedup_eval import corpora  # noqa: E402

from services.deduplicator.config import DedupConfig  # noqa: E402
from services.deduplicator.features import ArticleFeatures, featurize  # noqa: E402
from services.deduplicator.labelled import LabelledArticle  # noqa: E402
from services.deduplicator.logic import Choice, Deduplicator, Scored  # noqa: E402
from services.deduplicator.model import EventModel  # noqa: E402


class _Recording(Deduplicator):
    """The deduplicator, noting the best candidate's exact probability at each decision."""

    def __init__(self, cfg: DedupConfig, model: EventModel) -> None:
        super().__init__(cfg, model)
        self.best_p: list[str] = []

    def choose(self, feats: ArticleFeatures, scored: Scored) -> Choice:
        self.best_p.append(float(scored.p[0]).hex() if len(scored.p) else "-")
        return super().choose(feats, scored)


def _digest(feats: ArticleFeatures) -> str:
    return hashlib.sha1(json.dumps(feats.to_record(), sort_keys=True).encode()).hexdigest()[:16]


def run(stream: list[LabelledArticle], cfg: DedupConfig, model: EventModel) -> dict[str, Any]:
    dedup = _Recording(cfg, model)
    decisions: list[dict[str, Any]] = []
    digests: list[str] = []
    for la in stream:
        feats = featurize(la.article, cfg)
        digests.append(_digest(feats))
        out = [dedup.assign(la.article, feats), *dedup.drain_reassignments()]
        for d in out:
            rec = d.model_dump(mode="json", exclude={"article", "decided_at"})
            rec["article_id"] = d.article.article_id
            decisions.append(rec)
    final = [dedup.event_of(la.article.article.article_id) for la in stream]
    return {"decisions": decisions, "final": final, "features": digests, "best_p": dedup.best_p}


def record_all() -> dict[str, Any]:
    cfg, model = DedupConfig(), EventModel.load()
    ecb, gva = corpora()
    out: dict[str, Any] = {"model_version": model.version}
    for name, stream in (("gva", gva), ("ecb", ecb)):
        t0 = time.process_time()
        out[name] = run(stream, cfg, model)
        print(
            f"{name}: {len(stream)} articles, {len(out[name]['decisions'])} decisions, "
            f"{time.process_time() - t0:.1f} s CPU",
            flush=True,
        )
    return out


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Where two recordings differ (empty: identical)."""
    problems: list[str] = []
    if old["model_version"] != new["model_version"]:
        problems.append(f"model {old['model_version']} vs {new['model_version']}")
    for name in ("gva", "ecb"):
        for part in ("features", "decisions", "best_p", "final"):
            a, b = old[name][part], new[name][part]
            if a == b:
                continue
            first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            problems.append(
                f"{name} {part}: {len(a)} vs {len(b)} entries, first difference at {first}: "
                f"{a[first] if first < len(a) else None!r} vs {b[first] if first < len(b) else None!r}"
            )
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["record", "check"])
    ap.add_argument("path", type=Path)
    args = ap.parse_args()
    new = record_all()
    if args.mode == "record":
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(json.dumps(new, sort_keys=True) + "\n")
        print(f"recorded to {args.path}")
        return
    problems = compare(json.loads(args.path.read_text()), new)
    for p in problems:
        print(p)
    counts = {n: len(new[n]["decisions"]) for n in ("gva", "ecb")}
    print("identical" if not problems else "DIFFERENT", counts)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
