"""The ``alerts`` topic's message, produced by the example plug-in consumer ``services/alerts``."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from pydantic import Field

from shared.contracts.base import Message, utcnow
from shared.contracts.text import Title


class Alert(Message):
    """A watch rule matched a consolidated event (or the event crossed the rule's next threshold)."""

    TOPIC: ClassVar[str] = "alerts"

    alert_id: str  # "<rule>|<event id>|<threshold>": stable, so consumers can deduplicate
    rule: str
    event_id: str
    event_revision: int
    threshold: int = Field(ge=1, description="number of outlets this alert fired at (the rule's level)")
    outlets: int = Field(ge=0, description="distinct outlets reporting the event when the alert fired")
    title: Title | None = None
    event_type: str = "other"
    event_date: date | None = None
    matched_entities: list[str] = Field(default_factory=list)
    matched_keywords: list[str] = Field(default_factory=list)
    source_urls: list[str] = Field(default_factory=list)
    fired_at: datetime = Field(default_factory=utcnow)

    def key(self) -> str:
        return self.event_id
