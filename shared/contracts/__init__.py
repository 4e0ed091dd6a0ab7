"""The one contract: every topic's message model, its topic name and schema version."""

from shared.contracts.alerts import Alert
from shared.contracts.articles import (
    BodyEncoding,
    CleanArticle,
    DateSource,
    EnrichedArticle,
    Entity,
    EntityKind,
    EventDate,
    FeedMetadata,
    Mention,
    Precision,
    Quantity,
    RawArticle,
    TemporalMention,
    Tense,
)
from shared.contracts.base import Message, utcnow
from shared.contracts.deadletter import DeadLetter
from shared.contracts.events import (
    ArticleRole,
    DedupDecision,
    EventDecision,
    EventEntity,
    EventQuantity,
    EventUpdate,
    SourceRef,
    StatusChange,
)

#: Every topic of the pipeline and the model of its messages.
TOPICS: dict[str, type[Message]] = {
    m.TOPIC: m for m in (RawArticle, CleanArticle, EnrichedArticle, DedupDecision, EventUpdate, DeadLetter, Alert)
}

#: Internal topics: another topic's schema, their own partition count. The deduplicator
#: forwards every enriched article to one partition so that one worker assigns events.
ASSIGN_TOPIC = "articles.enriched.assign"
INTERNAL_TOPICS: dict[str, tuple[type[Message], int]] = {ASSIGN_TOPIC: (EnrichedArticle, 1)}

__all__ = [
    "ASSIGN_TOPIC",
    "INTERNAL_TOPICS",
    "TOPICS",
    "Alert",
    "ArticleRole",
    "BodyEncoding",
    "CleanArticle",
    "DateSource",
    "DeadLetter",
    "DedupDecision",
    "EnrichedArticle",
    "Entity",
    "EntityKind",
    "EventDate",
    "EventDecision",
    "EventEntity",
    "EventQuantity",
    "EventUpdate",
    "FeedMetadata",
    "Mention",
    "Message",
    "Precision",
    "Quantity",
    "RawArticle",
    "SourceRef",
    "StatusChange",
    "TemporalMention",
    "Tense",
    "utcnow",
]
