"""The codec turns bad payloads into Undecodable values with a reason instead of raising."""

from __future__ import annotations

from shared.codec import Undecodable, decode, encode
from shared.contracts import RawArticle


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
    }
    for payload, reason in cases.items():
        got = decode(RawArticle, payload)
        assert isinstance(got, Undecodable) and got.reason == reason, payload
    big = decode(RawArticle, b"x" * 100, max_bytes=10)
    assert isinstance(big, Undecodable) and big.reason == "oversize_payload"


def test_unknown_fields_are_ignored_within_a_version() -> None:
    got = decode(RawArticle, b'{"article_id": "a", "body": "x", "new_optional_field": 1}')
    assert isinstance(got, RawArticle)
