"""The stateful deduplicator: copies, versions and event assignment over a stream.

Per article, in order:

1. the same article id seen with the same or a newer version -> the stored
   decision is returned unchanged (replays after a crash are idempotent);
   a newer version -> ``update`` of itself, in the same event;
2. the same normalised-text fingerprint -> ``duplicate``;
3. the same canonical URL -> ``update``;
4. MinHash LSH finds a near-identical text -> ``syndicated`` (other outlet) or
   ``update`` (same outlet); the copy joins its original's event;
5. otherwise the article is scored against candidate events fetched from the
   entity and rare-term postings, and joins the best one above the threshold
   or starts a new event. When it scores high against two events, they are
   merged (recorded in ``merged_event_ids``); articles that only contain or are
   contained in an article of the chosen event are still marked as copies.
6. an article that founded an event and is still alone in it ``recheck_after``
   articles later is scored again; when it now fits a grown event, its event is
   folded into that one and the move is re-emitted (:meth:`drain_reassignments`).

Scaling: :func:`featurize` is pure and does the expensive work (tokenising,
hashing, MinHash) so it can run on many workers; :meth:`Deduplicator.assign`
needs one consistent view of the retained state and runs as one instance per
consistent view (see docs/dedup.md).
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import ArticleFeatures, featurize
from services.deduplicator.index import BandIndex, DocFreq, Postings
from services.deduplicator.scoring import Score, participants_differ, score_event, unit_vector
from services.deduplicator.state import ARTICLE_PREFIX, EVENT_PREFIX, ArticleState, EventState
from services.deduplicator.vectors import TermVector
from shared.contracts.articles import EnrichedArticle
from shared.contracts.base import utcnow
from shared.contracts.events import ArticleRole, DedupDecision, EventDecision
from shared.errors import RejectedInput

_COPY_CHECK_EVENTS = 3  # events whose recent articles are checked for containment copies
_COPY_CHECK_ARTICLES = 20


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _vote(votes: dict[str, float], key: str, weight: float) -> None:
    votes[key] = votes.get(key, 0.0) + weight


def _event_id_for(article_id: str, version: int) -> str:
    """Deterministic, so a replay from scratch names events the same way."""
    return "ev-" + hashlib.sha1(f"{article_id}#{version}".encode()).hexdigest()[:16]


class Deduplicator:
    """One consistent view of the retained articles and events; see the module docstring."""

    def __init__(self, config: DedupConfig | None = None) -> None:
        self.config = config or DedupConfig()
        self._reset()

    # ------------------------------------------------------------------ state
    def _reset(self) -> None:
        cfg = self.config
        self._articles: dict[str, ArticleState] = {}
        self._events: dict[str, EventState] = {}
        self._fingerprints: dict[str, str] = {}
        self._urls: dict[str, str] = {}
        self._lsh = BandIndex(cfg.lsh_bands, cfg.lsh_rows, cap=cfg.max_postings)
        self._entity_postings: Postings[str] = Postings(cfg.max_postings)
        self._term_postings: Postings[int] = Postings(cfg.max_postings)
        self._term_df: DocFreq[int] = DocFreq()
        self._entity_df: DocFreq[str] = DocFreq()
        self._seq = 0
        # articles that founded an event and are re-checked while alone (see _recheck_due): a heap
        # of (due, arrival, round, article, features), due counted in assigned articles
        self._pending: list[tuple[int, int, int, EnrichedArticle, ArticleFeatures]] = []
        self._assigned = 0
        self._reassigned: list[DedupDecision] = []
        self._changed: dict[str, dict[str, Any] | None] = {}
        self.watermark: datetime | None = None
        # work done (postings entries read, candidate events returned for scoring): bounded by
        # the caps whatever the window size; the bench reports it per article
        self.work: Counter[str] = Counter()

    @property
    def n_articles(self) -> int:
        return len(self._articles)

    @property
    def n_events(self) -> int:
        return len(self._events)

    def event_of(self, article_id: str) -> str | None:
        """The current event of a retained article (after merges), or None."""
        st = self._articles.get(article_id)
        return st.event_id if st else None

    def _touch_article(self, st: ArticleState) -> None:
        self._changed[ARTICLE_PREFIX + st.article_id] = st.to_record()

    def _touch_event(self, ev: EventState) -> None:
        self._changed[EVENT_PREFIX + ev.event_id] = ev.to_record()

    def drain_changes(self) -> dict[str, dict[str, Any] | None]:
        """State records changed since the last call (None = deleted), for a changelog-backed table."""
        out, self._changed = self._changed, {}
        return out

    def load(self, records: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Replace the state by the given records and rebuild every index from them."""
        self._reset()
        for key, rec in records:
            if rec is None:
                continue
            if key.startswith(ARTICLE_PREFIX):
                st = ArticleState.from_record(rec)
                self._articles[st.article_id] = st
            elif key.startswith(EVENT_PREFIX):
                ev = EventState.from_record(rec)
                self._events[ev.event_id] = ev
        for ev in sorted(self._events.values(), key=lambda e: e.seq):
            self._seq = max(self._seq, ev.seq)
        for st in sorted(self._articles.values(), key=lambda a: a.seq):
            self._seq = max(self._seq, st.seq)
            self._index_article(st)
            if st.event_id in self._events:
                self._index_event_keys(st.event_id, st.entity_ids, st.index_keys)
            if self.watermark is None or st.stream_time > self.watermark:
                self.watermark = st.stream_time
        self._changed = {}

    def _index_article(self, st: ArticleState) -> None:
        self._fingerprints[st.fingerprint] = st.article_id
        if st.url_key:
            self._urls[st.url_key] = st.article_id
        self._lsh.add(st.article_id, st.signature)
        if st.decision.get("role") != ArticleRole.DUPLICATE.value:
            self._term_df.add(st.term_keys.tolist())
            self._entity_df.add(st.entity_ids)

    def _unindex_article(self, st: ArticleState) -> None:
        if self._fingerprints.get(st.fingerprint) == st.article_id:
            del self._fingerprints[st.fingerprint]
        if st.url_key and self._urls.get(st.url_key) == st.article_id:
            del self._urls[st.url_key]
        self._lsh.remove(st.article_id, st.signature)
        if st.decision.get("role") != ArticleRole.DUPLICATE.value:
            self._term_df.remove(st.term_keys.tolist())
            self._entity_df.remove(st.entity_ids)

    def _index_event_keys(self, event_id: str, entity_ids: Iterable[str], term_keys: Iterable[int]) -> None:
        for e in entity_ids:
            self._entity_postings.add(e, event_id)
        for t in term_keys:
            self._term_postings.add(t, event_id)

    def evict(self, now: datetime) -> int:
        """Drop articles and events not seen within the retention window before ``now``.

        Articles count from the later of their fetch and publication times, events from
        their latest article, so ``now`` may be the wall clock or :attr:`watermark`
        (the latest such time seen, which also suits replays of old streams)."""
        cutoff = now - timedelta(days=self.config.retention_days)
        dropped = 0
        for aid in [a for a, st in self._articles.items() if st.stream_time < cutoff]:
            st = self._articles.pop(aid)
            self._unindex_article(st)
            self._changed[ARTICLE_PREFIX + aid] = None
            dropped += 1
        for eid in [e for e, ev in self._events.items() if ev.last_time < cutoff]:
            del self._events[eid]
            self._changed[EVENT_PREFIX + eid] = None
            dropped += 1
        if dropped:
            self._entity_postings.prune(self._events)  # type: ignore[arg-type]
            self._term_postings.prune(self._events)  # type: ignore[arg-type]
        return dropped

    # --------------------------------------------------------------- decisions
    def process(self, article: EnrichedArticle) -> DedupDecision:
        """Decide one article (featurise + assign)."""
        prior = self._articles.get(article.article_id)
        if prior is not None and article.article.version <= prior.version:
            return self._replay(article, prior)
        return self.assign(article, featurize(article, self.config))

    def _replay(self, article: EnrichedArticle, prior: ArticleState) -> DedupDecision:
        d = prior.decision
        return DedupDecision(
            article=article,
            role=ArticleRole(d["role"]),
            duplicate_of=d.get("duplicate_of"),
            duplicate_confidence=float(d.get("duplicate_confidence", 0.0)),
            event_id=str(d["event_id"]),
            event_decision=EventDecision(d["event_decision"]),
            event_confidence=float(d.get("event_confidence", 0.0)),
            merged_event_ids=list(d.get("merged_event_ids", [])),
            decided_at=datetime.fromisoformat(d["decided_at"]),
        )

    def assign(self, article: EnrichedArticle, feats: ArticleFeatures) -> DedupDecision:
        """Decide one already featurised article against the retained state."""
        if feats.article_id != article.article_id:
            raise RejectedInput("features belong to another article", reason="features_mismatch")
        prior = self._articles.get(feats.article_id)
        if prior is not None and feats.version <= prior.version:
            return self._replay(article, prior)
        if self.watermark is None or feats.retained_from > self.watermark:
            self.watermark = feats.retained_from

        role, original, dup_conf = self._find_copy(feats, prior)
        event: EventState | None = None
        event_conf = 0.0
        merged: list[str] = []
        if original is not None and original.event_id in self._events:
            event, event_conf = self._events[original.event_id], dup_conf
        if event is None:
            event, event_conf, merged, copy = self._choose_event(feats)
            if copy is not None and role is ArticleRole.ORIGINAL:
                role, original, dup_conf = copy
        decision = EventDecision.JOINED if event is not None else EventDecision.NEW_EVENT
        if event is None:
            event = self._new_event(feats)
        if prior is not None:
            self._drop_article(prior)
        st = self._record(
            feats,
            event=event,
            role=role,
            original=original,
            dup_conf=dup_conf,
            decision=decision,
            event_conf=event_conf,
            merged=merged,
        )
        self._assigned += 1
        if decision is EventDecision.NEW_EVENT and self.config.recheck_after > 0:
            due = self._assigned + self.config.recheck_after
            heapq.heappush(self._pending, (due, self._assigned, 0, article, feats))
        self._recheck_due()
        return self._replay(article, st)

    def drain_reassignments(self) -> list[DedupDecision]:
        """Decisions re-emitted for earlier articles whose event was folded into another one by a
        delayed re-check (see :meth:`_recheck_due`); the sink moves the article. The stored
        decision is updated too, so a replay of the article returns this latest one."""
        out, self._reassigned = self._reassigned, []
        return out

    def _recheck_due(self) -> None:
        """Re-score articles that founded an event ``recheck_after`` articles ago and are still
        alone in it: events that have grown since may now fit them (the online order saw the
        look-alike before the real match, or the match's other articles were still on other
        partitions). A lone event that now scores above the join threshold against another one
        is folded into it; one that does not is looked at again twice as late, up to
        ``recheck_rounds`` times (30, 60, 120, 240 articles after it arrived)."""
        cfg = self.config
        while self._pending and self._pending[0][0] <= self._assigned:
            _, tie, rnd, article, feats = heapq.heappop(self._pending)
            st = self._articles.get(feats.article_id)
            if st is None or st.version != feats.version:
                continue
            own = self._events.get(st.event_id)
            if own is None or own.n_articles != 1:
                continue
            best, sc = self._best_other(feats, own.event_id)
            if best is None or sc < cfg.join_threshold:
                if rnd + 1 < cfg.recheck_rounds:  # still alone: look again, twice as late
                    due = self._assigned + cfg.recheck_after * 2 ** (rnd + 1)
                    heapq.heappush(self._pending, (due, tie, rnd + 1, article, feats))
                continue
            self._merge(best, own)
            st.decision = {
                **st.decision,
                "event_id": best.event_id,
                "event_decision": EventDecision.JOINED.value,
                "event_confidence": round(_sigmoid((sc - cfg.join_threshold) * 12.0), 4),
                "merged_event_ids": [own.event_id],
                "decided_at": utcnow().isoformat(),
            }
            self._touch_article(st)
            self._reassigned.append(self._replay(article, st))

    def _best_other(self, feats: ArticleFeatures, own_id: str) -> tuple[EventState | None, float]:
        unit_terms = TermVector.from_mapping(unit_vector(feats.terms, self._term_df.idf))
        unit_entities = unit_vector(feats.entities, self._entity_df.idf)
        best: EventState | None = None
        top = 0.0
        for eid in self._candidates(feats, self._index_terms(feats)):
            if eid == own_id:
                continue
            ev = self._events[eid]
            sc = score_event(feats, ev, self.config, unit_terms, unit_entities).total
            if sc > top or (sc == top and best is not None and ev.seq < best.seq):
                best, top = ev, sc
        return best, top

    def _find_copy(
        self, feats: ArticleFeatures, prior: ArticleState | None
    ) -> tuple[ArticleRole, ArticleState | None, float]:
        if prior is not None:
            return ArticleRole.UPDATE, prior, 1.0
        aid = self._fingerprints.get(feats.fingerprint)
        if aid is not None and aid in self._articles:
            return ArticleRole.DUPLICATE, self._articles[aid], 1.0
        aid = self._urls.get(feats.url_key) if feats.url_key else None
        if aid is not None and aid in self._articles:
            return ArticleRole.UPDATE, self._articles[aid], 0.9
        for cand in self._lsh.query(feats.signature)[: self.config.max_candidates]:
            st = self._articles.get(cand)
            if st is None:
                continue
            hit = self._copy_similarity(feats, st)
            if hit is not None:
                return self._copy_role(feats, st), st, hit
        return ArticleRole.ORIGINAL, None, 0.0

    def _copy_similarity(self, feats: ArticleFeatures, st: ArticleState) -> float | None:
        """Estimated Jaccard or containment of the two shingle sets when high enough, else None."""
        cfg = self.config
        jac = np.count_nonzero(feats.signature == st.signature) / len(feats.signature)
        if jac >= cfg.near_dup_jaccard:
            return jac
        small, large = sorted((feats.n_shingles, st.n_shingles))
        if small < cfg.min_shingles_for_containment or jac < cfg.min_containment_jaccard:
            return None
        # |A∩B| = J(|A|+|B|)/(1+J); containment of the smaller set in the larger one
        containment = jac * (small + large) / (1.0 + jac) / small
        if containment >= cfg.near_dup_containment:
            return min(1.0, containment)
        return None

    @staticmethod
    def _copy_role(feats: ArticleFeatures, st: ArticleState) -> ArticleRole:
        same_outlet = feats.outlet is not None and feats.outlet == st.outlet
        return ArticleRole.UPDATE if same_outlet else ArticleRole.SYNDICATED

    def _index_terms(self, feats: ArticleFeatures) -> list[int]:
        """The article's most distinctive terms: its postings keys in the event index."""
        idf = self._term_df.idf
        ranked = sorted(feats.terms.items(), key=lambda kv: (-kv[1] * idf(kv[0]), kv[0]))
        return [k for k, _ in ranked[: self.config.query_terms]]

    def _candidates(self, feats: ArticleFeatures, index_terms: list[int]) -> list[str]:
        hits: Counter[str] = Counter()
        read = 0
        for lst in [self._entity_postings.get(e) for e in feats.entities] + [
            self._term_postings.get(t) for t in index_terms
        ]:
            read += len(lst)
            for eid in reversed(lst):  # newest first: ties go to recent events
                hits[eid] += 1
        # events sharing two or more keys, most shared first; then a few sharing one key, newest
        # first: a single shared word or name is weak evidence, and there are many such events
        # in a big window, so their number is capped on its own (flat cost as the window grows)
        cfg = self.config
        events = self._events
        multi = [e for e, n in hits.most_common(2 * cfg.max_candidates) if n >= 2 and e in events]
        single: list[str] = []
        if cfg.single_key_candidates:
            for e, n in hits.items():
                if n == 1 and e in events:
                    single.append(e)
                    if len(single) >= cfg.single_key_candidates:
                        break
        found = multi[: cfg.max_candidates] + single
        self.work["postings_read"] += read
        self.work["candidates"] += len(found)
        return found

    def _choose_event(
        self, feats: ArticleFeatures
    ) -> tuple[EventState | None, float, list[str], tuple[ArticleRole, ArticleState, float] | None]:
        cfg = self.config
        scored: list[tuple[Score, EventState]] = []
        unit_terms = TermVector.from_mapping(unit_vector(feats.terms, self._term_df.idf))
        unit_entities = unit_vector(feats.entities, self._entity_df.idf)
        for eid in self._candidates(feats, self._index_terms(feats)):
            ev = self._events[eid]
            scored.append((score_event(feats, ev, cfg, unit_terms, unit_entities), ev))
        scored.sort(key=lambda se: (-se[0].total, se[1].seq))
        copy = self._copy_in_events(feats, [ev for _, ev in scored[:_COPY_CHECK_EVENTS]])
        if copy is not None and copy[1].event_id in self._events:
            return self._events[copy[1].event_id], copy[2], [], copy
        if not scored or scored[0][0].total < cfg.join_threshold:
            top = scored[0][0].total if scored else 0.0
            return None, 1.0 - _sigmoid((top - cfg.join_threshold) * 12.0), [], None
        best_score, best = scored[0]
        merged: list[str] = []
        if best_score.total >= cfg.merge_threshold:
            for sc, other in scored[1:]:
                if (
                    sc.total >= cfg.merge_threshold
                    and sc.date_factor >= 1.0
                    and best_score.date_factor >= 1.0
                    and not participants_differ(best.participants, other.participants, cfg)
                ):
                    self._merge(best, other)
                    merged.append(other.event_id)
        return best, _sigmoid((best_score.total - cfg.join_threshold) * 12.0), merged, None

    def _copy_in_events(
        self, feats: ArticleFeatures, events: list[EventState]
    ) -> tuple[ArticleRole, ArticleState, float] | None:
        """Truncated or extended copies that LSH can miss: check the likely events' recent articles."""
        for ev in events:
            for aid in ev.article_ids[-_COPY_CHECK_ARTICLES:]:
                st = self._articles.get(aid)
                if st is None:
                    continue
                hit = self._copy_similarity(feats, st)
                if hit is not None:
                    return self._copy_role(feats, st), st, hit
        return None

    # ---------------------------------------------------------------- updates
    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _new_event(self, feats: ArticleFeatures) -> EventState:
        ev = EventState(
            event_id=_event_id_for(feats.article_id, feats.version),
            seq=self._next_seq(),
            first_time=feats.retained_from,
            last_time=feats.retained_from,
        )
        self._events[ev.event_id] = ev
        return ev

    def _add_to_event(self, ev: EventState, feats: ArticleFeatures, with_content: bool) -> None:
        cfg = self.config
        ev.seq = self._next_seq()
        if feats.article_id in ev.article_ids:  # a new version of an article already listed
            ev.article_ids.remove(feats.article_id)
        ev.article_ids.append(feats.article_id)
        ev.n_articles += 1
        ev.first_time = min(ev.first_time, feats.retained_from)
        ev.last_time = max(ev.last_time, feats.retained_from)
        if feats.published:
            ev.last_published = max(ev.last_published or feats.stream_time, feats.stream_time)
            ev.first_published = min(ev.first_published or feats.stream_time, feats.stream_time)
        if with_content:
            ev.n_content += 1
            if feats.weekday is not None:
                _vote(ev.weekday_votes, str(feats.weekday), 1.0)
            ev.terms = ev.terms.plus(TermVector.from_mapping(unit_vector(feats.terms, self._term_df.idf)))
            for k2, w in unit_vector(feats.entities, self._entity_df.idf).items():
                ev.entities[k2] = ev.entities.get(k2, 0.0) + w
            for k2, w in feats.entities.items():
                ev.participants[k2] = ev.participants.get(k2, 0.0) + w
            ev.phrases.update(feats.phrases)
            ev.event_types[feats.event_type] += 1
            if feats.event_date is not None and feats.date_confidence >= cfg.min_date_confidence:
                d, conf = feats.event_date, feats.date_confidence
                if feats.day_date is not None:
                    _vote(ev.day_votes, d.isoformat(), conf)
                if feats.date_precision in {"minute", "hour", "day", "week", "month"}:
                    _vote(ev.month_votes, d.strftime("%Y-%m"), conf)
                if feats.date_precision != "unknown":
                    _vote(ev.year_votes, str(d.year), conf)
        ev.trim(cfg.max_terms_per_event, cfg.max_articles_per_event)

    def _merge(self, keep: EventState, gone: EventState) -> None:
        """Fold ``gone`` into ``keep``; its articles are re-pointed, the merge is recorded."""
        keep.terms = keep.terms.plus(gone.terms)
        for k2, w in gone.entities.items():
            keep.entities[k2] = keep.entities.get(k2, 0.0) + w
        for k2, w in gone.participants.items():
            keep.participants[k2] = keep.participants.get(k2, 0.0) + w
        keep.phrases.update(gone.phrases)
        keep.event_types.update(gone.event_types)
        if gone.last_published is not None:
            keep.last_published = max(keep.last_published or gone.last_published, gone.last_published)
        if gone.first_published is not None:
            keep.first_published = min(keep.first_published or gone.first_published, gone.first_published)
        for mine, theirs in (
            (keep.weekday_votes, gone.weekday_votes),
            (keep.day_votes, gone.day_votes),
            (keep.month_votes, gone.month_votes),
            (keep.year_votes, gone.year_votes),
        ):
            for k3, c in theirs.items():
                _vote(mine, k3, c)
        keep.article_ids = sorted(
            set(keep.article_ids) | set(gone.article_ids),
            key=lambda a: self._articles[a].seq if a in self._articles else -1,
        )
        keep.n_articles += gone.n_articles
        keep.n_content += gone.n_content
        keep.first_time = min(keep.first_time, gone.first_time)
        keep.last_time = max(keep.last_time, gone.last_time)
        keep.merged_from.extend([gone.event_id, *gone.merged_from])
        keep.trim(self.config.max_terms_per_event, self.config.max_articles_per_event)
        for aid in gone.article_ids:
            st = self._articles.get(aid)
            if st is not None and st.event_id == gone.event_id:
                st.event_id = keep.event_id
                self._index_event_keys(keep.event_id, st.entity_ids, st.index_keys)
                self._touch_article(st)
        del self._events[gone.event_id]
        self._changed[EVENT_PREFIX + gone.event_id] = None
        self._touch_event(keep)

    def _drop_article(self, st: ArticleState) -> None:
        self._unindex_article(st)
        del self._articles[st.article_id]

    def _record(
        self,
        feats: ArticleFeatures,
        *,
        event: EventState,
        role: ArticleRole,
        original: ArticleState | None,
        dup_conf: float,
        decision: EventDecision,
        event_conf: float,
        merged: list[str],
    ) -> ArticleState:
        with_content = role is not ArticleRole.DUPLICATE
        index_terms = self._index_terms(feats) if with_content else []
        self._add_to_event(event, feats, with_content)
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
            decision={
                "role": role.value,
                "duplicate_of": original.article_id if original is not None else None,
                "duplicate_confidence": round(dup_conf, 4),
                "event_id": event.event_id,
                "event_decision": decision.value,
                "event_confidence": round(event_conf, 4),
                "merged_event_ids": merged,
                "decided_at": utcnow().isoformat(),
            },
        )
        self._articles[st.article_id] = st
        self._index_article(st)
        self._index_event_keys(event.event_id, st.entity_ids, st.index_keys)
        self._touch_article(st)
        self._touch_event(event)
        return st
