"""Compact sparse term vectors for events: two numpy arrays instead of a dict.

An event keeps up to a few hundred weighted terms; as a Python dict that costs
about 100 bytes a term, as sorted ``uint32`` keys plus ``float32`` values it
costs 8, which is what keeps the state of a 7-day window small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

PART = 1 << 32  # keys are uint32: part i of a stack lives in [i * 2**32, (i + 1) * 2**32)


@dataclass(frozen=True, slots=True)
class Stacked:
    """Several sparse vectors as one (an article's or event's text, headline and lead vectors):
    part ``i``'s keys offset by ``i * 2**32`` (so the keys stay sorted and the parts apart), the
    values as float64, and each part's length."""

    keys: npt.NDArray[np.int64]
    vals: npt.NDArray[np.float64]
    lens: npt.NDArray[np.int64]


def stack(vectors: Sequence[TermVector]) -> Stacked:
    keys = [v.keys.astype(np.int64) + i * PART for i, v in enumerate(vectors)]
    return Stacked(
        np.concatenate(keys),
        np.concatenate([v.vals for v in vectors]).astype(np.float64),
        np.array([len(v) for v in vectors], dtype=np.int64),
    )


def stacked_dots(mine: Stacked, others: Sequence[Stacked]) -> npt.NDArray[np.float64]:
    """Part by part dot products of ``mine`` with each of ``others`` (same number of parts):
    shape (len(others), parts). One lookup for every part of every candidate: the others' keys
    are found in ``mine``'s, and each (candidate, part) sums its products in key order, as
    :meth:`TermVector.dots` does for one part, so the sums are the same to the last bit."""
    parts = len(mine.lens)
    out = np.zeros(len(others) * parts, dtype=np.float64)
    if not len(mine.keys) or not others:
        return out.reshape(len(others), parts)
    keys = np.concatenate([o.keys for o in others])
    if not len(keys):
        return out.reshape(len(others), parts)
    vals = np.concatenate([o.vals for o in others])
    idx = np.searchsorted(mine.keys, keys)
    idx[idx >= len(mine.keys)] = 0
    prod = np.where(mine.keys[idx] == keys, vals * mine.vals[idx], 0.0)
    bins = np.repeat(np.arange(len(out)), np.concatenate([o.lens for o in others]))
    sums = np.bincount(bins, weights=prod, minlength=len(out)).astype(np.float64, copy=False)
    return sums.reshape(len(others), parts)


def norms(vectors: Sequence[TermVector]) -> npt.NDArray[np.float64]:
    """The Euclidean length of each vector."""
    return np.array([np.sqrt(np.dot(v.vals.astype(np.float64), v.vals)) if len(v) else 0.0 for v in vectors])


@dataclass(frozen=True, slots=True)
class TermVector:
    """Sorted unique ``keys`` with their ``vals``."""

    keys: npt.NDArray[np.uint32]
    vals: npt.NDArray[np.float32]

    @classmethod
    def empty(cls) -> TermVector:
        return cls(np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.float32))

    @classmethod
    def from_mapping(cls, vec: Mapping[int, float]) -> TermVector:
        keys = np.fromiter(vec.keys(), dtype=np.uint32, count=len(vec))
        vals = np.fromiter(vec.values(), dtype=np.float32, count=len(vec))
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], vals[order])

    def __len__(self) -> int:
        return len(self.keys)

    def plus(self, other: TermVector) -> TermVector:
        """The element-wise sum."""
        if not len(self):
            return other
        keys = np.concatenate([self.keys, other.keys])
        vals = np.concatenate([self.vals, other.vals]).astype(np.float64)
        uniq, inv = np.unique(keys, return_inverse=True)
        return TermVector(uniq.astype(np.uint32), np.bincount(inv, weights=vals).astype(np.float32))

    def top(self, n: int) -> TermVector:
        """The ``n`` heaviest terms (ties broken by key, so the result is deterministic)."""
        if len(self) <= n:
            return self
        keep = np.sort(np.lexsort((self.keys, -self.vals))[:n])
        return TermVector(self.keys[keep], self.vals[keep])

    def dot(self, other: TermVector) -> float:
        """Dot product; cost is linear in the smaller vector times log of the larger."""
        small, large = (self, other) if len(self) <= len(other) else (other, self)
        if not len(small):
            return 0.0
        idx = np.searchsorted(large.keys, small.keys)
        idx[idx >= len(large)] = 0
        hit = large.keys[idx] == small.keys
        return float(np.dot(small.vals[hit].astype(np.float64), large.vals[idx[hit]].astype(np.float64)))

    def dots(self, others: Sequence[TermVector]) -> npt.NDArray[np.float64]:
        """The dot product with each of ``others`` in one pass: their keys are looked up in this
        vector's together, so the cost per candidate event is a few array elements, not a call."""
        out = np.zeros(len(others), dtype=np.float64)
        lens = np.fromiter((len(o) for o in others), dtype=np.int64, count=len(others))
        if not len(self) or not lens.sum():
            return out
        keys = np.concatenate([o.keys for o in others])
        vals = np.concatenate([o.vals for o in others]).astype(np.float64)
        idx = np.searchsorted(self.keys, keys)
        idx[idx >= len(self)] = 0
        prod = np.where(self.keys[idx] == keys, vals * self.vals[idx].astype(np.float64), 0.0)
        sums: npt.NDArray[np.float64] = np.bincount(
            np.repeat(np.arange(len(others)), lens), weights=prod, minlength=len(others)
        ).astype(np.float64)
        return sums

    def to_record(self) -> dict[str, Any]:
        return {"k": self.keys.tolist(), "v": self.vals.tolist()}

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> TermVector:
        return cls(np.asarray(rec.get("k", []), dtype=np.uint32), np.asarray(rec.get("v", []), dtype=np.float32))
