"""The codec turns bad payloads into Undecodable values with a reason instead of raising."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import orjson
from faust.serializers import codecs

from shared.codec import STATE_CODEC, Undecodable, decode, encode, register_codecs
from shared.contracts import EntityKind, EventEntity, EventUpdate, Precision, RawArticle


def test_round_trip() -> None:
    raw = RawArticle(article_id="a1", body="hello")
    assert decode(RawArticle, encode(raw)) == raw


def test_bad_payloads_have_reasons() -> None:
    cases = {
        b"": "empty_payload",
        b"\xff\xfe": "invalid_json",
        b"[1, 2]": "invalid_message",
        b'{"schema_version": 2, "article_id": "a", "body": "x"}': "unknown_schema_version",
        b'{"article_id": "", "body": "x"}': "schema_validation",
        b'{"schema_version": 2, "article_id": ""}': "unknown_schema_version",  # the version is the reason
        b'{"schema_version": 0, "article_id": "a", "body": "x"}': "unknown_schema_version",
        b'{"article_id": "a", "body": "x"': "invalid_json",
        b'"text"': "invalid_message",
    }
    for payload, reason in cases.items():
        got = decode(RawArticle, payload)
        assert isinstance(got, Undecodable) and got.reason == reason, payload
    big = decode(RawArticle, b"x" * 100, max_bytes=10)
    assert isinstance(big, Undecodable) and big.reason == "oversize_payload"


def test_unknown_fields_are_ignored_within_a_version() -> None:
    got = decode(RawArticle, b'{"article_id": "a", "body": "x", "new_optional_field": 1}')
    assert isinstance(got, RawArticle)


def test_encoding_is_the_same_json_as_pydantics() -> None:
    """orjson over model_dump(mode="json") writes what model_dump_json writes (dates, enums, floats, unicode)."""
    event = EventUpdate(
        event_id="ev-1",
        event_date=date(2022, 2, 12),
        event_date_precision=Precision.DAY,
        first_seen=datetime(2022, 2, 12, 8, 30, tzinfo=UTC),
        title="Biden – Putin “call”",
        actors=[EventEntity(id="person:biden", name="Biden", kind=EntityKind.PERSON, salience=0.1 + 0.2)],
    )
    assert orjson.loads(encode(event)) == json.loads(event.model_dump_json())
    assert decode(EventUpdate, encode(event)) == event


def test_state_records_with_numpy_scalars_round_trip() -> None:
    """The state tables' codec writes numpy scalars as numbers (orjson alone refuses them)."""
    import numpy as np  # noqa: PLC0415

    register_codecs()
    state = codecs.get_codec(STATE_CODEC)
    record = {"score": np.float64(0.7031), "count": np.int64(3), "ids": ["a", "b"], "nested": {"x": 1.5}}
    assert state.loads(state.dumps(record)) == {"score": 0.7031, "count": 3, "ids": ["a", "b"], "nested": {"x": 1.5}}
