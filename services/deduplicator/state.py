"""The deduplicator's state records: one per retained article, one per live event.

Both serialise to plain JSON dicts (keys ``a:<article id>`` and ``e:<event id>``)
so the wiring can keep them in a changelog-backed table and rebuild the
in-memory indexes from them after a restart or rebalance.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from services.deduplicator.vectors import TermVector

ARTICLE_PREFIX = "a:"
EVENT_PREFIX = "e:"

_MAX_PHRASES = 60
_MAX_ENTITIES = 80
_MAX_DATE_KEYS = 12


@dataclass(slots=True)
class StoredDecision:
    """The decision kept for an article (what a replay of it returns); JSON keys as in
    :class:`shared.contracts.events.DedupDecision`."""

    role: str
    duplicate_of: str | None
    duplicate_confidence: float
    event_id: str
    event_decision: str
    event_confidence: float
    merged_event_ids: list[str]
    decided_at: str

    def to_record(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "duplicate_of": self.duplicate_of,
            "duplicate_confidence": self.duplicate_confidence,
            "event_id": self.event_id,
            "event_decision": self.event_decision,
            "event_confidence": self.event_confidence,
            "merged_event_ids": list(self.merged_event_ids),
            "decided_at": self.decided_at,
        }

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> StoredDecision:
        return cls(
            role=str(rec["role"]),
            duplicate_of=rec.get("duplicate_of"),
            duplicate_confidence=float(rec.get("duplicate_confidence", 0.0)),
            event_id=str(rec["event_id"]),
            event_decision=str(rec["event_decision"]),
            event_confidence=float(rec.get("event_confidence", 0.0)),
            merged_event_ids=[str(x) for x in rec.get("merged_event_ids", [])],
            decided_at=str(rec["decided_at"]),
        )


@dataclass(slots=True)
class ArticleState:
    """What is kept about an article once decided: enough to spot copies and replay the decision."""

    article_id: str
    version: int
    seq: int
    fingerprint: str
    signature: npt.NDArray[np.uint32]
    n_shingles: int
    outlet: str | None
    url_key: str | None
    stream_time: datetime  # the later of fetch and publication time: retention counts from it
    event_id: str
    term_keys: npt.NDArray[np.uint32]  # hashed terms counted in the document frequencies
    entity_ids: tuple[str, ...]  # entity ids counted in the entity document frequencies
    index_keys: tuple[int, ...]  # the hashed terms this article put into the event index
    decision: StoredDecision

    def to_record(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "version": self.version,
            "seq": self.seq,
            "fingerprint": self.fingerprint,
            "signature": self.signature.tolist(),
            "n_shingles": self.n_shingles,
            "outlet": self.outlet,
            "url_key": self.url_key,
            "stream_time": self.stream_time.isoformat(),
            "event_id": self.event_id,
            "term_keys": self.term_keys.tolist(),
            "entity_ids": list(self.entity_ids),
            "index_keys": list(self.index_keys),
            "decision": self.decision.to_record(),
        }

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> ArticleState:
        return cls(
            article_id=str(rec["article_id"]),
            version=int(rec["version"]),
            seq=int(rec["seq"]),
            fingerprint=str(rec["fingerprint"]),
            signature=np.asarray(rec["signature"], dtype=np.uint32),
            n_shingles=int(rec["n_shingles"]),
            outlet=rec.get("outlet"),
            url_key=rec.get("url_key"),
            stream_time=datetime.fromisoformat(rec["stream_time"]),
            event_id=str(rec["event_id"]),
            term_keys=np.asarray(rec["term_keys"], dtype=np.uint32),
            entity_ids=tuple(rec.get("entity_ids", ())),
            index_keys=tuple(int(k) for k in rec.get("index_keys", ())),
            decision=StoredDecision.from_record(rec["decision"]),
        )


@dataclass(slots=True)
class EventState:
    """A consolidated event: the sum of its articles' unit tf-idf vectors (idf as of each article's
    arrival), so that a dot product divided by the article count is an average-link similarity."""

    event_id: str
    seq: int
    first_time: datetime
    last_time: datetime
    article_ids: list[str] = field(default_factory=list)
    n_articles: int = 0
    n_content: int = 0  # articles whose vectors were added (exact duplicates are not)
    terms: TermVector = field(default_factory=TermVector.empty)
    entities: dict[str, float] = field(default_factory=dict)
    # summed salience weights of the members' entities, without idf: who the event is about
    participants: dict[str, float] = field(default_factory=dict)
    phrases: Counter[str] = field(default_factory=Counter)
    event_types: Counter[str] = field(default_factory=Counter)
    day_votes: dict[str, float] = field(default_factory=dict)  # ISO day -> summed confidence
    month_votes: dict[str, float] = field(default_factory=dict)  # "YYYY-MM" -> summed confidence
    year_votes: dict[str, float] = field(default_factory=dict)  # "YYYY" -> summed confidence
    weekday_votes: dict[str, float] = field(default_factory=dict)  # "0".."6" (Monday..Sunday) -> votes
    last_published: datetime | None = None  # latest publication time among its articles
    first_published: datetime | None = None  # earliest (records without it: the latest)
    merged_from: list[str] = field(default_factory=list)
    title_terms: TermVector = field(default_factory=TermVector.empty)  # summed unit headline vectors
    n_titled: int = 0  # members with a headline
    lead_terms: TermVector = field(default_factory=TermVector.empty)  # summed unit lead vectors
    numbers: Counter[str] = field(default_factory=Counter)  # figures stated, by how many members
    # leading participants and name-word weights derived from ``participants`` (pairs.py); not
    # persisted, reset to None whenever the participants change
    participant_cache: Any = field(default=None, repr=False, compare=False)

    def trim(self, max_terms: int, max_articles: int) -> None:
        """Keep the state bounded: the heaviest terms, the latest article ids, the top phrases."""
        self.terms = self.terms.top(max_terms)
        self.title_terms = self.title_terms.top(max_terms)
        self.lead_terms = self.lead_terms.top(max_terms)
        if len(self.numbers) > _MAX_PHRASES:
            self.numbers = Counter(dict(sorted(self.numbers.items(), key=lambda kv: (-kv[1], kv[0]))[:_MAX_PHRASES]))
        if len(self.entities) > _MAX_ENTITIES:
            self.entities = dict(sorted(self.entities.items(), key=lambda kv: (-kv[1], kv[0]))[:_MAX_ENTITIES])
        if len(self.participants) > _MAX_ENTITIES:
            top = sorted(self.participants.items(), key=lambda kv: (-kv[1], kv[0]))[:_MAX_ENTITIES]
            self.participants = dict(top)
        if len(self.article_ids) > max_articles:
            self.article_ids = self.article_ids[-max_articles:]
        if len(self.phrases) > _MAX_PHRASES:  # ties broken by the phrase: same result in every process
            kept = sorted(self.phrases.items(), key=lambda kv: (-kv[1], kv[0]))[:_MAX_PHRASES]
            self.phrases = Counter(dict(kept))
        for votes in (self.day_votes, self.month_votes, self.year_votes):
            if len(votes) > _MAX_DATE_KEYS:
                top = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[:_MAX_DATE_KEYS]
                votes.clear()
                votes.update(top)

    def to_record(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "seq": self.seq,
            "first_time": self.first_time.isoformat(),
            "last_time": self.last_time.isoformat(),
            "article_ids": list(self.article_ids),
            "n_articles": self.n_articles,
            "n_content": self.n_content,
            "terms": self.terms.to_record(),
            "entities": dict(self.entities),
            "participants": dict(self.participants),
            "phrases": dict(self.phrases),
            "event_types": dict(self.event_types),
            "day_votes": dict(self.day_votes),
            "month_votes": dict(self.month_votes),
            "year_votes": dict(self.year_votes),
            "weekday_votes": dict(self.weekday_votes),
            "last_published": self.last_published.isoformat() if self.last_published else None,
            "first_published": self.first_published.isoformat() if self.first_published else None,
            "merged_from": list(self.merged_from),
            "title_terms": self.title_terms.to_record(),
            "n_titled": self.n_titled,
            "lead_terms": self.lead_terms.to_record(),
            "numbers": dict(self.numbers),
        }

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> EventState:
        return cls(
            event_id=str(rec["event_id"]),
            seq=int(rec["seq"]),
            first_time=datetime.fromisoformat(rec["first_time"]),
            last_time=datetime.fromisoformat(rec["last_time"]),
            article_ids=list(rec.get("article_ids", [])),
            n_articles=int(rec.get("n_articles", 0)),
            n_content=int(rec.get("n_content", 0)),
            terms=TermVector.from_record(rec.get("terms", {})),
            entities={str(k): float(v) for k, v in rec.get("entities", {}).items()},
            participants={str(k): float(v) for k, v in rec.get("participants", {}).items()},
            phrases=Counter(rec.get("phrases", {})),
            event_types=Counter(rec.get("event_types", {})),
            day_votes={str(k): float(v) for k, v in rec.get("day_votes", {}).items()},
            month_votes={str(k): float(v) for k, v in rec.get("month_votes", {}).items()},
            year_votes={str(k): float(v) for k, v in rec.get("year_votes", {}).items()},
            weekday_votes={str(k): float(v) for k, v in rec.get("weekday_votes", {}).items()},
            last_published=datetime.fromisoformat(rec["last_published"]) if rec.get("last_published") else None,
            first_published=datetime.fromisoformat(first) if (first := rec.get("first_published")) else None,
            merged_from=list(rec.get("merged_from", [])),
            title_terms=TermVector.from_record(rec.get("title_terms", {})),
            n_titled=int(rec.get("n_titled", 0)),
            lead_terms=TermVector.from_record(rec.get("lead_terms", {})),
            numbers=Counter(rec.get("numbers", {})),
        )
