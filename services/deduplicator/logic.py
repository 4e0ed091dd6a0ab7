"""The stateful deduplicator: copies, versions and event assignment over a stream.

Per article, in order:

1. the same article id seen with the same or a newer version -> the stored
   decision is returned unchanged (replays after a crash are idempotent);
   a newer version -> ``update`` of itself, in the same event;
2. the same normalised-text fingerprint -> ``duplicate``; the same canonical URL ->
   ``update``; a MinHash near copy -> ``syndicated`` (other outlet) or ``update``
   (same outlet): a copy joins its original's event (:mod:`copies`);
3. otherwise candidate events come from the postings (:mod:`retrieval`), each is
   described by a vector of similarities (:mod:`pairs`), and the learned model
   (:mod:`model`) gives the probability that the article belongs to it. The article
   joins the most probable one when that reaches the model's join threshold, else it
   starts a new event; other candidates reaching the merge threshold are folded into
   the chosen one (``merged_event_ids``);
4. an article that founded an event and is still alone in it ``recheck_after``
   articles later is scored again; when it now fits a grown event, its event is
   folded into that one and the move is re-emitted (:meth:`drain_reassignments`).

Scaling: :func:`featurize` is pure and does the expensive work, so it can run on many
workers; :meth:`Deduplicator.assign` needs one consistent view of the retained state
(:class:`store.EventStore`) and runs as one instance (see docs/dedup.md).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import ArticleFeatures, featurize
from services.deduplicator.model import EventModel
from services.deduplicator.pairs import FloatArray, pair_matrix
from services.deduplicator.settings import configured_model
from services.deduplicator.state import ArticleState, EventState, StoredDecision
from services.deduplicator.store import EventStore
from services.deduplicator.views import ArticleBasis, ArticleView
from shared.contracts.articles import EnrichedArticle
from shared.contracts.base import utcnow
from shared.contracts.events import ArticleRole, DedupDecision, EventDecision
from shared.errors import RejectedInput

_COPY_CHECK_EVENTS = 3  # most probable events whose recent articles are checked for containment copies
# when an article joins an event, the lone founders among its next most probable candidates are
# scored again against the grown event (merge on update)
_REGROW_CANDIDATES = 3


@dataclass(frozen=True, slots=True)
class Scored:
    """The candidate events of one article, their pair features and probabilities, best first."""

    events: list[EventState]
    x: FloatArray
    p: FloatArray
    view: ArticleView | None = None  # the article's vectors, reused when it is recorded


@dataclass(slots=True)
class Choice:
    """Where an article goes: an existing event (None = a new one) and what it folds in."""

    event: EventState | None
    confidence: float
    merged: list[EventState] = field(default_factory=list)


class Deduplicator:
    """One consistent view of the retained articles and events; see the module docstring."""

    def __init__(self, config: DedupConfig | None = None, model: EventModel | None = None) -> None:
        self.config = config or DedupConfig()
        self.model = model or configured_model()
        self._reset()

    def _reset(self) -> None:
        self._store = EventStore(self.config)
        # founders re-checked while alone: a heap of (due, arrival, round, article, features)
        self._pending: list[tuple[int, int, int, EnrichedArticle, ArticleFeatures]] = []
        # the same founders by article id, for the merge on update, with what their re-scoring
        # can reuse (views.ArticleBasis)
        self._founders: dict[str, tuple[EnrichedArticle, ArticleFeatures, ArticleBasis]] = {}
        self._assigned = 0
        self._reassigned: list[DedupDecision] = []

    # ------------------------------------------------------------- public view
    @property
    def n_articles(self) -> int:
        return len(self._store.articles)

    @property
    def n_events(self) -> int:
        return len(self._store.events)

    @property
    def watermark(self) -> datetime | None:
        """The latest retention time seen (a clock for :meth:`evict` on replays of old streams)."""
        return self._store.watermark

    @property
    def work(self) -> Counter[str]:
        return self._store.retriever.work

    def event_of(self, article_id: str) -> str | None:
        """The current event of a retained article (after merges), or None."""
        st = self._store.articles.get(article_id)
        return st.event_id if st else None

    def drain_changes(self) -> dict[str, dict[str, Any] | None]:
        """State records changed since the last call (None = deleted), for a changelog-backed table."""
        out, self._store.changed = self._store.changed, {}
        return out

    def drain_reassignments(self) -> list[DedupDecision]:
        """Decisions re-emitted for earlier articles whose event was folded into another one by a
        delayed re-check; the stored decision is updated too, so a replay returns the latest one."""
        out, self._reassigned = self._reassigned, []
        return out

    def load(self, records: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Replace the state by the given records and rebuild every index from them."""
        self._reset()
        self._store.load(records)

    def evict(self, now: datetime) -> int:
        """Drop articles (by the later of fetch and publication time) and events (by their latest
        article) not seen within ``retention_days`` before ``now``; ``now`` may be the wall clock
        or :attr:`watermark`."""
        return self._store.evict(now)

    # --------------------------------------------------------------- decisions
    def process(self, article: EnrichedArticle) -> DedupDecision:
        """Decide one article (featurise + assign)."""
        prior = self._store.articles.get(article.article_id)
        if prior is not None and article.article.version <= prior.version:
            return _decision(article, prior.decision)
        return self.assign(article, featurize(article, self.config))

    def assign(self, article: EnrichedArticle, feats: ArticleFeatures) -> DedupDecision:
        """Decide one already featurised article against the retained state."""
        store = self._store
        if feats.article_id != article.article_id:
            raise RejectedInput("features belong to another article", reason="features_mismatch")
        prior = store.articles.get(feats.article_id)
        if prior is not None and feats.version <= prior.version:
            return _decision(article, prior.decision)
        if store.watermark is None or feats.retained_from > store.watermark:
            store.watermark = feats.retained_from
        hit = (ArticleRole.UPDATE, prior, 1.0) if prior is not None else store.copies.find(feats, store.articles)
        choice: Choice | None = None
        scored: Scored | None = None
        if hit is not None and hit[1].event_id in store.events:
            choice = Choice(store.events[hit[1].event_id], hit[2])
        else:
            scored = self.score(feats)
            late = store.copies.in_events(
                feats, (ev.article_ids for ev in scored.events[:_COPY_CHECK_EVENTS]), store.articles
            )
            if late is not None and hit is None and late[1].event_id in store.events:
                hit, choice = late, Choice(store.events[late[1].event_id], late[2])
            else:
                choice = self.choose(feats, scored)
        for other in choice.merged:
            if choice.event is not None and other.event_id in store.events:
                store.merge(choice.event, other)
        event = choice.event or store.new_event(feats)
        role, original, dup_conf = hit if hit is not None else (ArticleRole.ORIGINAL, None, 0.0)
        if prior is not None:
            store.drop_article(prior)
        stored = StoredDecision(
            role=role.value,
            duplicate_of=original.article_id if original is not None else None,
            duplicate_confidence=round(dup_conf, 4),
            event_id=event.event_id,
            event_decision=(EventDecision.JOINED if choice.event is not None else EventDecision.NEW_EVENT).value,
            event_confidence=round(choice.confidence, 4),
            merged_event_ids=[m.event_id for m in choice.merged],
            decided_at=utcnow().isoformat(),
        )
        st = store.record(feats, event, stored, scored.view if scored is not None else None)
        self._assigned += 1
        if choice.event is None and self.config.recheck_after > 0:
            heapq.heappush(
                self._pending, (self._assigned + self.config.recheck_after, self._assigned, 0, article, feats)
            )
            basis = scored.view.basis if scored is not None and scored.view is not None else ArticleBasis(feats)
            self._founders[feats.article_id] = (article, feats, basis)
        elif scored is not None and choice.event is not None:
            self._regrow(event, scored.events[1 : 1 + _REGROW_CANDIDATES])
        self._recheck_due()
        return _decision(article, st.decision)

    def score(self, feats: ArticleFeatures, exclude: str | None = None) -> Scored:
        """The candidate events with their probabilities, most probable first (ties: older first)."""
        return self._score(*self._candidates(feats, exclude))

    def _candidates(
        self, feats: ArticleFeatures, exclude: str | None
    ) -> tuple[ArticleView, list[tuple[EventState, int]]]:
        store = self._store
        founder = self._founders.get(feats.article_id)
        view = ArticleView(feats, store.term_df, store.entity_df.idf, founder[2] if founder is not None else None)
        return view, [(ev, n) for ev, n in store.candidates(view) if ev.event_id != exclude]

    def _score(self, view: ArticleView, cands: list[tuple[EventState, int]]) -> Scored:
        kept, x = pair_matrix(view, [ev for ev, _ in cands], [n for _, n in cands])
        events = [cands[i][0] for i in kept]
        p = self.model.proba(x)
        minus_p = (-p).tolist()
        order = sorted(range(len(events)), key=lambda i: (minus_p[i], events[i].seq))
        return Scored([events[i] for i in order], x[order], p[order], view)

    def choose(self, feats: ArticleFeatures, scored: Scored) -> Choice:
        """Join the most probable candidate when it reaches the join threshold; fold in the other
        candidates that reach the merge threshold (they are the same event)."""
        model = self.model
        if not scored.events or scored.p[0] < model.join_threshold:
            return Choice(None, 1.0 - float(scored.p[0]) if scored.events else 1.0)
        merged = [ev for ev, p in zip(scored.events[1:], scored.p[1:], strict=True) if p >= model.merge_threshold]
        return Choice(scored.events[0], float(scored.p[0]), merged)

    def _recheck_due(self) -> None:
        """Re-score founders still alone ``recheck_after`` articles after they arrived: events that
        have grown since may now fit them. One that reaches the join threshold against another
        event is folded into it; one that does not is looked at again twice as late, up to
        ``recheck_rounds`` times."""
        cfg, store = self.config, self._store
        while self._pending and self._pending[0][0] <= self._assigned:
            _, tie, rnd, article, feats = heapq.heappop(self._pending)
            st = store.articles.get(feats.article_id)
            own = store.events.get(st.event_id) if st is not None and st.version == feats.version else None
            if st is None or own is None or own.n_articles != 1:
                self._founders.pop(feats.article_id, None)
                continue
            scored = self.score(feats, exclude=own.event_id)
            if not scored.events or scored.p[0] < self.model.join_threshold:
                if rnd + 1 < cfg.recheck_rounds:
                    due = self._assigned + cfg.recheck_after * 2 ** (rnd + 1)
                    heapq.heappush(self._pending, (due, tie, rnd + 1, article, feats))
                else:
                    self._founders.pop(feats.article_id, None)
                continue
            self._founders.pop(feats.article_id, None)
            self._fold_founder(article, st, own, scored.events[0], float(scored.p[0]))

    def _regrow(self, grown: EventState, others: list[EventState]) -> None:
        """Merge on update: an event that just gained an article may now fit a founder that
        scored too low against it before (the stream told the story in another order). Each
        lone founder among ``others`` is scored again; when the grown event is now its most
        probable one and reaches the join threshold, it is folded in (and re-emitted)."""
        store = self._store
        for other in others:
            if other.n_articles != 1 or not other.article_ids or other.event_id not in store.events:
                continue
            founder = self._founders.get(other.article_ids[0])
            if founder is None:
                continue
            article, feats, _ = founder
            st = store.articles.get(feats.article_id)
            if st is None or st.event_id != other.event_id or st.version != feats.version:
                continue
            view, cands = self._candidates(feats, exclude=other.event_id)
            if all(ev is not grown for ev, _ in cands):
                continue  # the grown event cannot be its most probable one: nothing to score
            scored = self._score(view, cands)
            if scored.events and scored.events[0] is grown and scored.p[0] >= self.model.join_threshold:
                self._founders.pop(feats.article_id, None)
                self._fold_founder(article, st, other, grown, float(scored.p[0]))

    def _fold_founder(
        self, article: EnrichedArticle, st: ArticleState, own: EventState, best: EventState, p: float
    ) -> None:
        self._store.merge(best, own)
        d = st.decision
        d.event_id, d.event_decision, d.event_confidence = best.event_id, EventDecision.JOINED.value, round(p, 4)
        d.merged_event_ids, d.decided_at = [own.event_id], utcnow().isoformat()
        self._store.touch_article(st)
        self._reassigned.append(_decision(article, d))


def _decision(article: EnrichedArticle, d: StoredDecision) -> DedupDecision:
    return DedupDecision(
        article=article,
        role=ArticleRole(d.role),
        duplicate_of=d.duplicate_of,
        duplicate_confidence=d.duplicate_confidence,
        event_id=d.event_id,
        event_decision=EventDecision(d.event_decision),
        event_confidence=d.event_confidence,
        merged_event_ids=list(d.merged_event_ids),
        decided_at=datetime.fromisoformat(d.decided_at),
    )
