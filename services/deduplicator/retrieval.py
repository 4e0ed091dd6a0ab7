"""Candidate events for an article, from postings: entity key -> events and the article's most
distinctive terms -> events, each capped at the most recently touched events, so the cost per
article stays flat however many events the window holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Container, Iterable
from itertools import chain

import numpy as np

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import ArticleFeatures
from services.deduplicator.index import Postings


class Retriever:
    """The event postings and the candidate query over them."""

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self._entities: Postings[str] = Postings(cfg.max_postings)
        self._terms: Postings[int] = Postings(cfg.max_postings)
        # work done (postings entries read, candidates returned): bounded by the caps whatever
        # the window size; the bench reports it per article
        self.work: Counter[str] = Counter()

    def index_terms(self, feats: ArticleFeatures, idf: Callable[[int], float]) -> list[int]:
        """The article's most distinctive terms: its postings keys in the event index."""
        # highest tf-idf first, ties by the smaller key: sorted((-tf * idf, key))[:n], as arrays
        n = len(feats.terms)
        keys = np.fromiter(feats.terms.keys(), dtype=np.int64, count=n)
        tf = np.fromiter(feats.terms.values(), dtype=np.float64, count=n)
        weights = -tf * np.fromiter(map(idf, feats.terms), dtype=np.float64, count=n)
        return keys[np.lexsort((keys, weights))[: self.cfg.query_terms]].tolist() if n else []

    def add(self, event_id: str, entity_ids: Iterable[str], term_keys: Iterable[int]) -> None:
        for e in entity_ids:
            self._entities.add(e, event_id)
        for t in term_keys:
            self._terms.add(t, event_id)

    def prune(self, alive: set[str] | dict[str, object]) -> None:
        self._entities.prune(alive)
        self._terms.prune(alive)

    def candidates(
        self, feats: ArticleFeatures, index_terms: list[int], events: Container[str]
    ) -> list[tuple[str, int]]:
        """Events sharing two or more keys with the article, most shared first (at most
        ``max_candidates``), then the most recent few sharing one key (``single_key_candidates``):
        one shared word or name is weak evidence, and a big window has many such events, so they
        are capped apart. Each with the number of keys it shares."""
        lists = [self._entities.get(e) for e in feats.entities] + [self._terms.get(t) for t in index_terms]
        read = sum(map(len, lists))
        # each list newest first: ties go to recent events (Counter keeps first-seen order)
        hits: Counter[str] = Counter(chain.from_iterable(map(reversed, lists)))
        cfg = self.cfg
        multi = [(e, n) for e, n in hits.most_common(2 * cfg.max_candidates) if n >= 2 and e in events]
        single: list[tuple[str, int]] = []
        if cfg.single_key_candidates:
            for e, n in hits.items():
                if n == 1 and e in events:
                    single.append((e, 1))
                    if len(single) >= cfg.single_key_candidates:
                        break
        found = multi[: cfg.max_candidates] + single
        self.work["postings_read"] += read
        self.work["candidates"] += len(found)
        return found
