"""A faust codec per topic model: pydantic JSON on the wire, models in the agents.

A message that does not decode or validate is *not* raised inside faust (which
would log and skip it, a silent loss); the codec returns an :class:`Undecodable`
instead, and the agent routes it to the dead-letter topic with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from faust.serializers import codecs
from pydantic import ValidationError

from shared.contracts import TOPICS, Message


@dataclass(frozen=True)
class Undecodable:
    """A payload that is not a valid message of its topic's schema."""

    raw: bytes
    reason: str
    error: str


def decode(model: type[Message], raw: bytes | None, max_bytes: int | None = None) -> Message | Undecodable:
    """Decode and validate one payload; never raises for bad input."""
    if raw is None or raw == b"":
        return Undecodable(b"", "empty_payload", "message has no value")
    if max_bytes is not None and len(raw) > max_bytes:
        return Undecodable(raw, "oversize_payload", f"{len(raw)} bytes > limit {max_bytes}")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Undecodable(raw, "invalid_json", str(exc)[:500])
    if not isinstance(data, dict):
        return Undecodable(raw, "invalid_message", f"expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version > model.SCHEMA_VERSION or version < 1:
        return Undecodable(
            raw, "unknown_schema_version", f"{model.__name__} v{version!r}; this service reads v{model.SCHEMA_VERSION}"
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        return Undecodable(raw, "schema_validation", str(exc)[:2000])


def encode(message: Message) -> bytes:
    return message.model_dump_json().encode()


class PydanticCodec(codecs.Codec):
    """Serialises one topic's pydantic model to and from JSON bytes."""

    def __init__(self, model: type[Message], max_bytes: int | None = None, **kwargs: Any) -> None:
        super().__init__(model=model, max_bytes=max_bytes, **kwargs)
        self.model = model
        self.max_bytes = max_bytes

    def _dumps(self, obj: Any) -> bytes:
        if isinstance(obj, Message):
            return encode(obj)
        if isinstance(obj, bytes):  # already serialised (e.g. forwarding a dead letter payload)
            return obj
        raise TypeError(f"cannot encode {type(obj).__name__} as {self.model.__name__}")

    def _loads(self, s: bytes) -> Any:
        return decode(self.model, s, self.max_bytes)


def codec_name(model: type[Message]) -> str:
    return f"wirewatch:{model.TOPIC}"


def register_codecs(max_bytes: int | None = None) -> None:
    """Register one codec per topic model under ``wirewatch:<topic>`` (idempotent)."""
    for model in TOPICS.values():
        codecs.register(codec_name(model), PydanticCodec(model, max_bytes=max_bytes))
