"""The retained state and every index over it: articles, events, document frequencies,
copy detection, event postings. All rebuildable from the state records (``load``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from services.deduplicator.config import DedupConfig
from services.deduplicator.copies import CopyIndex
from services.deduplicator.events import add_article, event_id_for, fold
from services.deduplicator.features import ArticleFeatures
from services.deduplicator.index import DocFreq
from services.deduplicator.pairs import ArticleView
from services.deduplicator.retrieval import Retriever
from services.deduplicator.state import ARTICLE_PREFIX, EVENT_PREFIX, ArticleState, EventState, StoredDecision
from shared.contracts.events import ArticleRole


class EventStore:
    """One consistent view of the retained articles and events."""

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self.articles: dict[str, ArticleState] = {}
        self.events: dict[str, EventState] = {}
        self.copies = CopyIndex(cfg)
        self.retriever = Retriever(cfg)
        self.term_df: DocFreq[int] = DocFreq()
        self.entity_df: DocFreq[str] = DocFreq()
        self.seq = 0
        self.changed: dict[str, dict[str, Any] | None] = {}
        self.watermark: datetime | None = None

    def view(self, feats: ArticleFeatures) -> ArticleView:
        return ArticleView(feats, self.term_df, self.entity_df.idf)

    def candidates(self, view: ArticleView) -> list[tuple[EventState, int]]:
        found = self.retriever.candidates(view.feats, self._index_terms(view), self.events)
        return [(self.events[e], n) for e, n in found]

    def _index_terms(self, view: ArticleView) -> list[int]:
        # ranked once per view: retrieval and recording ask for the same keys
        if view.index_terms is None:
            view.index_terms = self.retriever.index_terms(view.feats, view.term_idf.__getitem__)
        return view.index_terms

    def touch_article(self, st: ArticleState) -> None:
        self.changed[ARTICLE_PREFIX + st.article_id] = st.to_record()

    def touch_event(self, ev: EventState) -> None:
        self.changed[EVENT_PREFIX + ev.event_id] = ev.to_record()

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # ---------------------------------------------------------------- loading
    def load(self, records: Iterable[tuple[str, dict[str, Any]]]) -> None:
        for key, rec in records:
            if rec is None:
                continue
            if key.startswith(ARTICLE_PREFIX):
                st = ArticleState.from_record(rec)
                self.articles[st.article_id] = st
            elif key.startswith(EVENT_PREFIX):
                ev = EventState.from_record(rec)
                self.events[ev.event_id] = ev
        self.seq = max([ev.seq for ev in self.events.values()] + [st.seq for st in self.articles.values()] + [0])
        for st in sorted(self.articles.values(), key=lambda a: a.seq):
            self._index(st)
            if st.event_id in self.events:
                self.retriever.add(st.event_id, st.entity_ids, st.index_keys)
            if self.watermark is None or st.stream_time > self.watermark:
                self.watermark = st.stream_time
        self.changed = {}

    def _index(self, st: ArticleState) -> None:
        self.copies.add(st)
        if st.decision.role != ArticleRole.DUPLICATE.value:
            self.term_df.add(st.term_keys.tolist())
            self.entity_df.add(st.entity_ids)

    def _unindex(self, st: ArticleState) -> None:
        self.copies.remove(st)
        if st.decision.role != ArticleRole.DUPLICATE.value:
            self.term_df.remove(st.term_keys.tolist())
            self.entity_df.remove(st.entity_ids)

    def evict(self, now: datetime) -> int:
        cutoff = now - timedelta(days=self.cfg.retention_days)
        dropped = 0
        for aid in [a for a, st in self.articles.items() if st.stream_time < cutoff]:
            self._unindex(self.articles.pop(aid))
            self.changed[ARTICLE_PREFIX + aid] = None
            dropped += 1
        for eid in [e for e, ev in self.events.items() if ev.last_time < cutoff]:
            del self.events[eid]
            self.changed[EVENT_PREFIX + eid] = None
            dropped += 1
        if dropped:
            self.retriever.prune(self.events)  # type: ignore[arg-type]
        return dropped

    # ---------------------------------------------------------------- updates
    def new_event(self, feats: ArticleFeatures) -> EventState:
        ev = EventState(
            event_id=event_id_for(feats.article_id, feats.version),
            seq=self.next_seq(),
            first_time=feats.retained_from,
            last_time=feats.retained_from,
        )
        self.events[ev.event_id] = ev
        return ev

    def drop_article(self, st: ArticleState) -> None:
        self._unindex(st)
        del self.articles[st.article_id]

    def record(
        self, feats: ArticleFeatures, event: EventState, decision: StoredDecision, view: ArticleView | None = None
    ) -> ArticleState:
        """Count a decided article into its event and every index (``view``: the article's
        vectors if already computed against the current document frequencies)."""
        with_content = decision.role != ArticleRole.DUPLICATE.value
        view = view or self.view(feats)
        index_terms = self._index_terms(view) if with_content else []
        add_article(
            event,
            feats,
            self.next_seq(),
            self.cfg,
            view=view,
            with_content=with_content,
        )
        st = ArticleState(
            article_id=feats.article_id,
            version=feats.version,
            seq=event.seq,
            fingerprint=feats.fingerprint,
            signature=feats.signature,
            n_shingles=feats.n_shingles,
            outlet=feats.outlet,
            url_key=feats.url_key,
            stream_time=feats.retained_from,
            event_id=event.event_id,
            term_keys=np.fromiter(feats.terms.keys(), dtype=np.uint32, count=len(feats.terms))
            if with_content
            else np.zeros(0, dtype=np.uint32),
            entity_ids=tuple(feats.entities) if with_content else (),
            index_keys=tuple(index_terms),
            decision=decision,
        )
        self.articles[st.article_id] = st
        self._index(st)
        self.retriever.add(event.event_id, st.entity_ids, st.index_keys)
        self.touch_article(st)
        self.touch_event(event)
        return st

    def merge(self, keep: EventState, gone: EventState) -> None:
        """Fold ``gone`` into ``keep``; its articles are re-pointed, its record deleted."""
        arts = self.articles
        fold(keep, gone, lambda a: arts[a].seq if a in arts else -1, self.cfg)
        for aid in gone.article_ids:
            st = arts.get(aid)
            if st is not None and st.event_id == gone.event_id:
                st.event_id = keep.event_id
                self.retriever.add(keep.event_id, st.entity_ids, st.index_keys)
                self.touch_article(st)
        del self.events[gone.event_id]
        self.changed[EVENT_PREFIX + gone.event_id] = None
        self.touch_event(keep)
