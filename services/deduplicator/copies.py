"""Copy detection: the same text (fingerprint), the same page (canonical URL), a near copy
(MinHash LSH: Jaccard, or containment for truncated and extended versions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import ArticleFeatures
from services.deduplicator.index import BandIndex
from services.deduplicator.state import ArticleState
from shared.contracts.events import ArticleRole

_RECENT = 20  # articles of a likely event checked for containment copies

CopyHit = tuple[ArticleRole, ArticleState, float]


class CopyIndex:
    """Fingerprints, URL keys and LSH buckets of the retained articles."""

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self._fingerprints: dict[str, str] = {}
        self._urls: dict[str, str] = {}
        self._lsh = BandIndex(cfg.lsh_bands, cfg.lsh_rows, cap=cfg.max_postings)

    def add(self, st: ArticleState) -> None:
        self._fingerprints[st.fingerprint] = st.article_id
        if st.url_key:
            self._urls[st.url_key] = st.article_id
        self._lsh.add(st.article_id, st.signature)

    def remove(self, st: ArticleState) -> None:
        if self._fingerprints.get(st.fingerprint) == st.article_id:
            del self._fingerprints[st.fingerprint]
        if st.url_key and self._urls.get(st.url_key) == st.article_id:
            del self._urls[st.url_key]
        self._lsh.remove(st.article_id, st.signature)

    def find(self, feats: ArticleFeatures, articles: Mapping[str, ArticleState]) -> CopyHit | None:
        """The article this one is a copy of (same text, same page, near copy), or None."""
        aid = self._fingerprints.get(feats.fingerprint)
        if aid is not None and aid in articles:
            return ArticleRole.DUPLICATE, articles[aid], 1.0
        aid = self._urls.get(feats.url_key) if feats.url_key else None
        if aid is not None and aid in articles:
            return ArticleRole.UPDATE, articles[aid], 0.9
        return self.near(
            feats, (articles[a] for a in self._lsh.query(feats.signature)[: self.cfg.max_candidates] if a in articles)
        )

    def near(self, feats: ArticleFeatures, candidates: Iterable[ArticleState]) -> CopyHit | None:
        for st in candidates:
            hit = self.similarity(feats, st)
            if hit is not None:
                same_outlet = feats.outlet is not None and feats.outlet == st.outlet
                return ArticleRole.UPDATE if same_outlet else ArticleRole.SYNDICATED, st, hit
        return None

    def in_events(
        self, feats: ArticleFeatures, event_articles: Iterable[list[str]], articles: Mapping[str, ArticleState]
    ) -> CopyHit | None:
        """Truncated or extended copies that LSH can miss: check the likely events' recent articles."""
        recent = (articles[a] for ids in event_articles for a in ids[-_RECENT:] if a in articles)
        return self.near(feats, recent)

    def similarity(self, feats: ArticleFeatures, st: ArticleState) -> float | None:
        """Estimated Jaccard or containment of the two shingle sets when high enough, else None."""
        cfg = self.cfg
        jac = np.count_nonzero(feats.signature == st.signature) / len(feats.signature)
        if jac >= cfg.near_dup_jaccard:
            return float(jac)
        small, large = sorted((feats.n_shingles, st.n_shingles))
        if small < cfg.min_shingles_for_containment or jac < cfg.min_containment_jaccard:
            return None
        # |A∩B| = J(|A|+|B|)/(1+J); containment of the smaller set in the larger one
        containment = jac * (small + large) / (1.0 + jac) / small
        if containment >= cfg.near_dup_containment:
            return float(min(1.0, containment))
        return None
