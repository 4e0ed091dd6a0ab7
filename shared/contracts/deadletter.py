"""Dead letters: messages a service could not process, with the reason and the payload."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from shared.contracts.base import Message, utcnow

MAX_PAYLOAD_CHARS = 256_000


class DeadLetter(Message):
    TOPIC: ClassVar[str] = "deadletter"

    service: str
    reason: str  # short machine-readable reason, e.g. "invalid_message", "empty_text"
    error: str  # human-readable detail
    source_topic: str
    partition: int | None = None
    offset: int | None = None
    source_key: str | None = None
    article_id: str | None = None
    payload: str = ""  # the original payload (utf-8, or base64 when not decodable), truncated
    payload_encoding: str = "utf-8"
    payload_truncated: bool = False
    failed_at: datetime = Field(default_factory=utcnow)

    def key(self) -> str:
        return self.article_id or self.source_key or f"{self.source_topic}:{self.offset}"
