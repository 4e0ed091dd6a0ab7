"""Article messages: raw (fetcher), clean (cleaner), enriched (extractor)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Message, utcnow
from shared.contracts.text import Name, Summary, Title


class BodyEncoding(StrEnum):
    TEXT = "text"  # body is already text (decoded by the fetcher)
    BASE64 = "base64"  # body is the raw bytes, base64-encoded; the cleaner decodes them


class FeedMetadata(BaseModel):
    """What a feed or sitemap said about an entry, before the page was fetched."""

    model_config = ConfigDict(frozen=True)

    title: Title | None = None
    link: str | None = None
    published: datetime | None = None
    author: Name | None = None
    summary: Summary | None = None


class RawArticle(Message):
    """A fetched document, as it came from its source."""

    TOPIC: ClassVar[str] = "articles.raw"

    article_id: str = Field(min_length=1, max_length=256)
    version: int = Field(default=1, ge=1)
    source_id: str = "unknown"
    url: str | None = None
    canonical_url: str | None = None
    outlet: Name | None = None
    content_type: Literal["text/plain", "text/html"] = "text/plain"
    charset: str | None = None  # declared charset (HTTP header or file), if any
    body_encoding: BodyEncoding = BodyEncoding.TEXT
    body: str
    fetched_at: datetime = Field(default_factory=utcnow)
    feed: FeedMetadata | None = None

    def key(self) -> str:
        return self.article_id


class DateSource(StrEnum):
    HTML_META = "html_meta"
    URL = "url"
    TEXT_STAMP = "text_stamp"
    FEED = "feed"
    FETCH_TIME = "fetch_time"
    UNKNOWN = "unknown"


class CleanArticle(Message):
    """Main text and trustworthy metadata of one article."""

    TOPIC: ClassVar[str] = "articles.clean"

    article_id: str
    version: int = 1
    source_id: str = "unknown"
    url: str | None = None
    canonical_url: str | None = None
    outlet: Name | None = None
    title: Title | None = None
    text: str = Field(min_length=1)
    paragraphs: list[str] = Field(default_factory=list)
    language: str | None = None
    authors: list[Name] = Field(default_factory=list)
    site_name: Name | None = None
    published_at: datetime | None = None  # UTC when the zone is known
    published_at_source: DateSource = DateSource.UNKNOWN
    published_tz: str | None = None  # e.g. "IST", "+05:30"; None when the zone is unknown
    published_tz_known: bool = False
    modified_at: datetime | None = None
    fetched_at: datetime = Field(default_factory=utcnow)
    content_hash: str = ""  # hex digest of the normalised text
    removed_lines: int = 0  # boilerplate lines dropped by the cleaner

    def key(self) -> str:
        return self.article_id


class EntityKind(StrEnum):
    PERSON = "person"
    ORG = "org"
    PLACE = "place"
    GROUP = "group"  # nationalities, religious and political groups
    OTHER = "other"


class Mention(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    start: int
    end: int


class Entity(BaseModel):
    """A canonical entity and its mentions in one article."""

    model_config = ConfigDict(frozen=True)

    id: str  # stable canonical id, e.g. "person:dmitry-peskov", "place:kyiv"
    name: Name  # canonical display name
    kind: EntityKind
    count: int = 1
    salience: float = 0.0  # 0..1, how central the entity is to the article
    mentions: list[Mention] = Field(default_factory=list)


class Precision(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"


class TemporalMention(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    start: int
    end: int
    value: datetime  # resolved start of the interval, UTC
    precision: Precision
    reference: Literal["absolute", "published_at", "fetched_at"]


class Tense(StrEnum):
    ANNOUNCED = "announced"  # the article announces a future event
    REPORTED = "reported"  # the article reports a past event
    UNKNOWN = "unknown"


class EventDate(BaseModel):
    model_config = ConfigDict(frozen=True)

    date: date
    precision: Precision = Precision.DAY
    confidence: float = 0.5
    evidence: str | None = None  # the text the date was read from


class Quantity(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: Name
    value: float
    unit: str | None = None  # unit or counted noun: "troops", "people", "minute"
    qualifier: str | None = None  # "more than", "about", "more", ...
    start: int = 0
    end: int = 0


class EnrichedArticle(Message):
    """A clean article with its entities, dates, quantities, key phrases and event type."""

    TOPIC: ClassVar[str] = "articles.enriched"

    article: CleanArticle
    entities: list[Entity] = Field(default_factory=list)
    temporals: list[TemporalMention] = Field(default_factory=list)
    event_date: EventDate | None = None
    tense: Tense = Tense.UNKNOWN
    quantities: list[Quantity] = Field(default_factory=list)
    key_phrases: list[str] = Field(default_factory=list)
    event_type: str = "other"
    extractor_model: str | None = None

    @property
    def article_id(self) -> str:
        return self.article.article_id

    def key(self) -> str:
        return self.article.article_id
