"""In-memory indexes over the retained state; all rebuildable from the state records.

* :class:`Postings` maps a key (entity id or hashed term) to the most recent
  event ids carrying it, capped so that a very common key cannot make a
  lookup expensive: a lookup touches at most ``cap`` ids per key.
* :class:`BandIndex` is MinHash LSH: a signature is cut into bands, and two
  articles sharing any band are candidate near-duplicates.
* :class:`DocFreq` counts, for every key, how many retained articles have it,
  so inverse document frequencies follow the stream and forget evicted news.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

K = TypeVar("K", bound=Hashable)


class Postings(Generic[K]):
    """key -> recent event ids (most recent last), at most ``cap`` per key."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._lists: dict[K, list[str]] = {}

    def add(self, key: K, event_id: str) -> None:
        lst = self._lists.get(key)
        if lst is None:
            self._lists[key] = [event_id]
            return
        if lst and lst[-1] == event_id:
            return
        if event_id in lst:
            lst.remove(event_id)
        lst.append(event_id)
        if len(lst) > self.cap:
            del lst[: len(lst) - self.cap]

    def get(self, key: K) -> list[str]:
        return self._lists.get(key, [])

    def prune(self, alive: set[str] | dict[str, object]) -> None:
        """Drop ids of events that no longer exist (evicted or merged)."""
        for key in list(self._lists):
            kept = [e for e in self._lists[key] if e in alive]
            if kept:
                self._lists[key] = kept
            else:
                del self._lists[key]

    def __len__(self) -> int:
        return len(self._lists)


class BandIndex:
    """MinHash LSH over article signatures; ``rows`` signature values per band."""

    def __init__(self, bands: int, rows: int, cap: int) -> None:
        self.bands = bands
        self.rows = rows
        self.cap = cap
        self._tables: list[dict[bytes, str | list[str]]] = [{} for _ in range(bands)]

    def _keys(self, signature: npt.NDArray[np.uint32]) -> Iterable[tuple[int, bytes]]:
        for b in range(self.bands):
            chunk = signature[b * self.rows : (b + 1) * self.rows]
            if len(chunk):
                yield b, chunk.tobytes()

    def add(self, article_id: str, signature: npt.NDArray[np.uint32]) -> None:
        for b, key in self._keys(signature):
            table = self._tables[b]
            cur = table.get(key)
            if cur is None:
                table[key] = article_id  # most buckets hold one article: no list needed
            elif isinstance(cur, str):
                if cur != article_id:
                    table[key] = [cur, article_id]
            elif article_id not in cur:
                cur.append(article_id)
                if len(cur) > self.cap:
                    del cur[0]

    def remove(self, article_id: str, signature: npt.NDArray[np.uint32]) -> None:
        for b, key in self._keys(signature):
            table = self._tables[b]
            cur = table.get(key)
            if cur == article_id:
                del table[key]
            elif isinstance(cur, list) and article_id in cur:
                cur.remove(article_id)
                if len(cur) == 1:
                    table[key] = cur[0]

    def query(self, signature: npt.NDArray[np.uint32]) -> list[str]:
        """Candidate ids sharing at least one band, most shared bands first."""
        hits: Counter[str] = Counter()
        for b, key in self._keys(signature):
            cur = self._tables[b].get(key)
            if isinstance(cur, str):
                hits[cur] += 1
            elif cur:
                hits.update(cur)
        return [a for a, _ in hits.most_common()]


class DocFreq(Generic[K]):
    """Document frequencies over the retained articles, and the smoothed idf they imply."""

    def __init__(self) -> None:
        self.counts: Counter[K] = Counter()
        self.n_docs = 0
        # idf by document frequency for the current n_docs (idf_of_counts): the scorings of one
        # assignment (the article, its merge on update, due re-checks) share most of them
        self._by_count: dict[int, float] = {}
        self._by_count_n = -1

    def add(self, keys: Iterable[K]) -> None:
        self.counts.update(keys)
        self.n_docs += 1

    def remove(self, keys: Iterable[K]) -> None:
        for k in keys:
            c = self.counts.get(k, 0) - 1
            if c > 0:
                self.counts[k] = c
            else:
                self.counts.pop(k, None)
        self.n_docs = max(0, self.n_docs - 1)

    def idf_of_counts(self, counts: list[int]) -> list[float]:
        """:meth:`idf` of keys given their document frequencies (the same formula and values),
        the logarithm taken once per distinct frequency."""
        if self._by_count_n != self.n_docs:
            self._by_count, self._by_count_n = {}, self.n_docs
        table, n1, log = self._by_count, self.n_docs + 1, math.log
        for c in set(counts).difference(table):
            table[c] = log(n1 / (c + 1)) + 1.0
        return list(map(table.__getitem__, counts))

    def idf(self, key: K) -> float:
        """Smoothed inverse document frequency; unseen keys get the highest value."""
        df = self.counts.get(key, 0)
        return math.log((self.n_docs + 1) / (df + 1)) + 1.0
