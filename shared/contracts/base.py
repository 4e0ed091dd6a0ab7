"""Base class of every message that travels on a topic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


def utcnow() -> datetime:
    """Timezone-aware current time in UTC."""
    return datetime.now(UTC)


class Message(BaseModel):
    """A topic's message: frozen, strict about unknown fields' types, versioned.

    Subclasses set ``TOPIC`` (the Kafka topic name) and ``SCHEMA_VERSION``; the
    ``schema_version`` field travels with every message so that consumers can
    refuse versions they do not understand. Unknown extra fields are ignored so
    that adding an optional field stays backward compatible within a version.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    TOPIC: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1

    def key(self) -> str:
        """The Kafka key this message is published with."""
        raise NotImplementedError
