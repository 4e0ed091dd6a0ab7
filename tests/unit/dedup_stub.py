"""A transparent stand-in for the learned model, for tests of the mechanics around it (merges,
re-checks, candidate caps): stumps on one feature, so the outcome is known in advance."""

from __future__ import annotations

import numpy as np

from services.deduplicator.model import EventModel
from services.deduplicator.pairs import FEATURE_NAMES


def stub_model(feature: str = "content_link", cut: float = 0.2, *, join: float = 0.5, merge: float = 0.5) -> EventModel:
    """P rises with ``feature`` in steps of 0.02 from ``cut`` on and is above 0.5 exactly when
    ``feature`` > ``cut``: 50 stumps at ``cut``, ``cut`` + 0.02, ..., each adding 0.3 when passed."""
    n = 50
    cuts = cut + 0.02 * np.arange(n)
    return EventModel(
        feature=np.tile(np.array([FEATURE_NAMES.index(feature), -1, -1], dtype=np.int64), (n, 1)),
        threshold=np.stack([cuts, np.zeros(n), np.zeros(n)], axis=1),
        left=np.tile(np.array([1, -1, -1], dtype=np.int64), (n, 1)),
        right=np.tile(np.array([2, -1, -1], dtype=np.int64), (n, 1)),
        value=np.tile(np.array([0.0, 0.0, 0.3]), (n, 1)),
        init=-0.15,
        join_threshold=join,
        merge_threshold=merge,
        depth=1,
    )
