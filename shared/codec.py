"""A faust codec per topic model: pydantic JSON on the wire, models in the agents.

A message that does not decode or validate is *not* raised inside faust (which
would log and skip it, a silent loss); the codec returns an :class:`Undecodable`
instead, and the agent routes it to the dead-letter topic with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
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
    """Decode and validate one payload; never raises for bad input.

    A valid payload is parsed and validated in one pass (pydantic's ``model_validate_json``, the
    fastest of the ways ``bench/bench_codec.py`` measures); only one that fails there is parsed again
    (:func:`_diagnose`) to say why, so every reason stays what it was.
    """
    if raw is None or raw == b"":
        return Undecodable(b"", "empty_payload", "message has no value")
    if max_bytes is not None and len(raw) > max_bytes:
        return Undecodable(raw, "oversize_payload", f"{len(raw)} bytes > limit {max_bytes}")
    try:
        message = model.model_validate_json(raw)
    except ValidationError:
        return _diagnose(model, raw)
    if not 1 <= message.schema_version <= model.SCHEMA_VERSION:
        return _unknown_version(model, raw, message.schema_version)
    return message


def _diagnose(model: type[Message], raw: bytes) -> Undecodable:
    """Why a payload is not a valid message: not JSON, not an object, a version not read here, or the schema."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Undecodable(raw, "invalid_json", str(exc)[:500])
    if not isinstance(data, dict):
        return Undecodable(raw, "invalid_message", f"expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version > model.SCHEMA_VERSION or version < 1:
        return _unknown_version(model, raw, version)
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return Undecodable(raw, "schema_validation", str(exc)[:2000])
    # valid as a Python object, not as JSON (a field pydantic reads differently in the two modes)
    return Undecodable(raw, "schema_validation", "the payload does not validate as JSON")


def _unknown_version(model: type[Message], raw: bytes, version: Any) -> Undecodable:
    return Undecodable(
        raw, "unknown_schema_version", f"{model.__name__} v{version!r}; this service reads v{model.SCHEMA_VERSION}"
    )


def encode(message: Message) -> bytes:
    """The message as JSON bytes, serialised once.

    orjson over ``model_dump(mode="json")``: article bodies of tens of KB are most of every
    payload, and orjson writes long strings several times faster than pydantic's serialiser
    (``bench/bench_codec.py``); the bytes mean the same JSON.
    """
    return orjson.dumps(message.model_dump(mode="json"))


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


class StateCodec(codecs.Codec):
    """JSON for the stages' state tables (plain records: numbers, strings, lists, dicts).

    faust's own ``json`` codec switches to orjson whenever orjson is importable, and orjson, unlike
    the standard library, refuses numpy's scalars (a ``numpy.float64`` is a ``float`` subclass): the
    deduplicator's records carry some, and every decision failed to persist once orjson was installed.
    """

    def _dumps(self, obj: Any) -> bytes:
        return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)

    def _loads(self, s: bytes) -> Any:
        return orjson.loads(s)


STATE_CODEC = "wirewatch:state"


def codec_name(model: type[Message]) -> str:
    return f"wirewatch:{model.TOPIC}"


def register_codecs(max_bytes: int | None = None) -> None:
    """Register one codec per topic model under ``wirewatch:<topic>`` (idempotent)."""
    for model in TOPICS.values():
        codecs.register(codec_name(model), PydanticCodec(model, max_bytes=max_bytes))
    codecs.register(STATE_CODEC, StateCodec())
