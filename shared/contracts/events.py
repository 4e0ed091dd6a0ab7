"""Deduplication decisions and consolidated events."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.articles import EnrichedArticle, EntityKind, Precision, Tense
from shared.contracts.base import Message, utcnow
from shared.contracts.text import Name, Summary, Title


class ArticleRole(StrEnum):
    ORIGINAL = "original"
    DUPLICATE = "duplicate"  # exact copy of an article already seen
    SYNDICATED = "syndicated"  # near-identical copy from another outlet
    UPDATE = "update"  # new version of an article already seen (same outlet or URL)


class EventDecision(StrEnum):
    NEW_EVENT = "new_event"
    JOINED = "joined"


class DedupDecision(Message):
    """What the deduplicator decided for one article; carries the article itself."""

    TOPIC: ClassVar[str] = "articles.dedup"

    article: EnrichedArticle
    role: ArticleRole = ArticleRole.ORIGINAL
    duplicate_of: str | None = None  # article id of the original, for non-originals
    duplicate_confidence: float = 0.0
    event_id: str
    event_decision: EventDecision
    event_confidence: float = 0.0
    merged_event_ids: list[str] = Field(default_factory=list)  # events folded into event_id
    decided_at: datetime = Field(default_factory=utcnow)

    @property
    def article_id(self) -> str:
        return self.article.article.article_id

    def key(self) -> str:
        return self.event_id


class SourceRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    article_id: str
    outlet: Name | None = None
    url: str | None = None
    title: Title | None = None
    published_at: datetime | None = None
    fetched_at: datetime | None = None
    role: ArticleRole = ArticleRole.ORIGINAL
    duplicate_of: str | None = None


class EventEntity(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: Name
    kind: EntityKind
    mentions: int = 0
    articles: int = 0
    salience: float = Field(default=0.0, description="sum over the event's articles of the entity's salience there")


class EventQuantity(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: Name
    value: float
    unit: str | None = None
    qualifier: str | None = None
    article_ids: list[str] = Field(default_factory=list)


class StatusChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Tense
    at: datetime
    article_ids: list[str] = Field(default_factory=list)


class EventUpdate(Message):
    """The full, current state of one consolidated event, published on every change."""

    TOPIC: ClassVar[str] = "events"

    event_id: str
    revision: int = 1
    title: Title | None = None
    summary: Summary | None = None
    event_type: str = "other"
    event_date: date | None = None
    event_date_precision: Precision = Precision.UNKNOWN
    status: Tense = Tense.UNKNOWN
    timeline: list[StatusChange] = Field(default_factory=list)
    first_seen: datetime = Field(default_factory=utcnow)
    last_updated: datetime = Field(default_factory=utcnow)
    actors: list[EventEntity] = Field(default_factory=list)
    places: list[EventEntity] = Field(default_factory=list)
    quantities: list[EventQuantity] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
    merged_from: list[str] = Field(default_factory=list)
    merged_into: str | None = None  # set when this event was folded into another

    def key(self) -> str:
        return self.event_id
