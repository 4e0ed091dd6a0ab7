"""The learned article-to-event model: gradient-boosted trees stored as plain JSON arrays.

The file holds the trees (node features, thresholds, children, leaf values), the feature
names they were trained on (loading checks them against :data:`pairs.FEATURE_NAMES`), the
join and merge thresholds chosen at training time, training metadata and a SHA-256 checksum
of everything else. No pickle: the trees are evaluated with a few numpy operations, all
trees and all candidates at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from services.deduplicator.pairs import FEATURE_NAMES
from shared.errors import WirewatchError

FORMAT = "wirewatch-dedup-model"
FORMAT_VERSION = 1
DEFAULT_MODEL = Path(__file__).resolve().parent / "data" / "dedup-model.json"

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class ModelError(WirewatchError):
    """The deduplicator's model file is missing, unreadable, corrupt or made for other features."""

    reason = "dedup_model"


def _checksum(doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class EventModel:
    """P(article belongs to candidate event) from a pair feature row; see the module docstring."""

    feature: IntArray  # (trees, nodes) feature index per node, -1 at leaves
    threshold: FloatArray  # go left when x <= threshold
    left: IntArray
    right: IntArray
    value: FloatArray  # leaf values (already scaled by the learning rate)
    init: float  # the raw score before any tree (log-odds of the prior)
    join_threshold: float  # join the best candidate when its probability reaches this
    merge_threshold: float  # fold a second candidate in when its probability reaches this
    depth: int
    training: dict[str, Any] = field(default_factory=dict)
    version: str = ""
    _roots: IntArray = field(init=False, repr=False, compare=False)
    _feature: IntArray = field(init=False, repr=False, compare=False)
    _threshold: FloatArray = field(init=False, repr=False, compare=False)
    _child: IntArray = field(init=False, repr=False, compare=False)
    _value: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # flat copies for evaluation: node i of tree t sits at t * width + i, its children at
        # _child[2 * node] (left) and _child[2 * node + 1] (right); a leaf points to itself
        # (feature 0, threshold +inf), so every row walks exactly ``depth`` steps with three
        # flat gathers per step and no leaf test
        n_trees, width = self.feature.shape
        base = (np.arange(n_trees, dtype=np.intp) * width)[:, None]
        leaf = self.feature < 0
        own = np.broadcast_to(np.arange(width, dtype=np.intp), self.feature.shape) + base
        child = np.empty(2 * self.feature.size, dtype=np.intp)
        child[0::2] = np.where(leaf, own, self.left + base).ravel()
        child[1::2] = np.where(leaf, own, self.right + base).ravel()
        object.__setattr__(self, "_roots", base[:, 0].copy())
        object.__setattr__(self, "_feature", np.where(leaf, 0, self.feature).ravel().astype(np.intp))
        object.__setattr__(self, "_threshold", np.where(leaf, np.inf, self.threshold).ravel())
        object.__setattr__(self, "_child", child)
        object.__setattr__(self, "_value", self.value.ravel())

    def raw(self, x: FloatArray) -> FloatArray:
        """The summed tree outputs (log-odds) for each row of ``x``."""
        if not len(x):
            return np.zeros(0)
        # trees compare features as float32, as scikit-learn's do
        xs = np.asarray(x, dtype=np.float32).astype(np.float64)
        n_features = xs.shape[1]
        flat_x = xs.ravel()
        row_base = np.arange(len(xs), dtype=np.intp) * n_features
        node = np.repeat(self._roots[:, None], len(xs), axis=1)
        for _ in range(self.depth):
            go_right = ~(flat_x[row_base + self._feature[node]] <= self._threshold[node])
            node = self._child[2 * node + go_right]
        # (trees, rows) summed over the trees in tree order: the same floats as before
        out: FloatArray = self.init + self._value[node].sum(axis=0)
        return out

    def proba(self, x: FloatArray) -> FloatArray:
        return 0.5 * (1.0 + np.tanh(0.5 * self.raw(x)))  # the logistic function, without overflow

    # ------------------------------------------------------------------ file
    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": "gradient_boosted_trees",
            "feature_names": list(FEATURE_NAMES),
            "init": self.init,
            "depth": self.depth,
            "join_threshold": self.join_threshold,
            "merge_threshold": self.merge_threshold,
            "trees": {
                "feature": self.feature.tolist(),
                "threshold": self.threshold.tolist(),
                "left": self.left.tolist(),
                "right": self.right.tolist(),
                "value": self.value.tolist(),
            },
            "training": self.training,
        }
        doc["model_version"] = _checksum(doc)[:12]
        doc["checksum"] = _checksum(doc)
        return doc

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), sort_keys=True, indent=None, separators=(",", ":")) + "\n")

    @classmethod
    def from_json(cls, doc: dict[str, Any], where: str = "model") -> EventModel:
        def bad(what: str) -> ModelError:
            return ModelError(f"{where}: {what}")

        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise bad(f"not a {FORMAT} file")
        if doc.get("format_version") != FORMAT_VERSION:
            raise bad(f"format version {doc.get('format_version')!r}, this code reads {FORMAT_VERSION}")
        if doc.get("checksum") != _checksum(doc):
            raise bad("checksum mismatch: the file was altered or truncated")
        names = tuple(doc.get("feature_names", ()))
        if names != FEATURE_NAMES:
            missing = sorted(set(FEATURE_NAMES) - set(names))
            extra = sorted(set(names) - set(FEATURE_NAMES))
            raise bad(f"trained on other features (missing {missing}, unknown {extra}, or another order): retrain it")
        try:
            t = doc["trees"]
            model = cls(
                feature=np.asarray(t["feature"], dtype=np.int64),
                threshold=np.asarray(t["threshold"], dtype=np.float64),
                left=np.asarray(t["left"], dtype=np.int64),
                right=np.asarray(t["right"], dtype=np.int64),
                value=np.asarray(t["value"], dtype=np.float64),
                init=float(doc["init"]),
                join_threshold=float(doc["join_threshold"]),
                merge_threshold=float(doc["merge_threshold"]),
                depth=int(doc["depth"]),
                training=dict(doc.get("training", {})),
                version=str(doc["model_version"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(f"malformed: {exc!r}") from exc
        shape = model.feature.shape
        if len(shape) != 2 or any(a.shape != shape for a in (model.threshold, model.left, model.right, model.value)):
            raise bad("tree arrays of different shapes")
        if model.feature.max(initial=-1) >= len(FEATURE_NAMES):
            raise bad("a tree uses a feature index out of range")
        return model

    @classmethod
    def load(cls, path: Path | str | None = None) -> EventModel:
        """Read and check a model file (default: the one shipped with the package)."""
        where = Path(path) if path else DEFAULT_MODEL
        try:
            doc = json.loads(where.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ModelError(f"{where}: model file not found (train one with `wirewatch train-dedup`)") from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelError(f"{where}: cannot read model file: {exc}") from exc
        return cls.from_json(doc, str(where))
