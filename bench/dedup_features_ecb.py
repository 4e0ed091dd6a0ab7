"""Which article-to-event pair features carry signal on ECB+ and on GVA (an issue-15 diagnosis).

Teacher-forced rows (``training.teacher_rows``: candidates retrieved as in production from the
gold events seen so far) of each corpus, per feature: the share of rows where it is missing
(-1), and its ranking power (ROC AUC of the feature alone, missing rows left out) separating the
gold event from the other candidates. Also how many articles have their gold event among the
retrieved candidates. Run: ``.venv/bin/python bench/dedup_features_ecb.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dedup_eval import ECB, GVA  # noqa: E402

from services.deduplicator.config import DedupConfig  # noqa: E402
from services.deduplicator.labelled import load_labelled  # noqa: E402
from services.deduplicator.pairs import FEATURE_NAMES  # noqa: E402
from services.deduplicator.training import Stream, teacher_rows  # noqa: E402
from services.replay import enrich_records  # noqa: E402


def main() -> None:
    cfg = DedupConfig()
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for name, path in (("ecb", ECB), ("gva", GVA)):
        x, y = teacher_rows(Stream.of(load_labelled(path, enrich_records), cfg), cfg)
        stats: dict[str, tuple[float, float]] = {}
        for j, feat in enumerate(FEATURE_NAMES):
            col = x[:, j]
            known = col != -1.0
            auc = float("nan")
            if known.any() and 0 < y[known].sum() < known.sum():
                auc = float(roc_auc_score(y[known], col[known]))
            stats[feat] = (round(float(1 - known.mean()), 3), round(auc, 3))
        out[name] = stats
        print(json.dumps({"corpus": name, "rows": len(y), "positives": int(y.sum())}), flush=True)
    print(f"{'feature':24s} {'ecb missing':>11s} {'ecb auc':>8s} {'gva missing':>11s} {'gva auc':>8s}")
    for feat in FEATURE_NAMES:
        (em, ea), (gm, ga) = out["ecb"][feat], out["gva"][feat]
        print(f"{feat:24s} {em:11.3f} {ea:8.3f} {gm:11.3f} {ga:8.3f}")


if __name__ == "__main__":
    main()
