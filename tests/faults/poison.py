"""Poison messages for every consumed topic: one of each kind, keyed so its dead letter can be found."""

from __future__ import annotations

import asyncio
import json

#: Every topic a service consumes (the deduplicator's internal single-partition topic included).
CONSUMED_TOPICS = ("articles.raw", "articles.clean", "articles.enriched", "articles.enriched.assign", "articles.dedup")
#: kind → the dead-letter reason the stage loop must give it.
EXPECTED_REASON = {
    "invalid_json": "invalid_json",
    "unknown_schema_version": "unknown_schema_version",
    "oversize": "oversize_payload",
    "wrong_types": "schema_validation",
}


def poison_payloads(max_message_bytes: int) -> dict[str, bytes]:
    """One payload per kind; the oversize one is a valid-looking JSON object just above the services' limit."""
    filler = "x" * (max_message_bytes + 10_000)
    return {
        "invalid_json": b'{"article_id": "poison", "body": ',
        "unknown_schema_version": json.dumps({"schema_version": 99, "article_id": "poison", "body": "hi"}).encode(),
        "oversize": json.dumps({"schema_version": 1, "article_id": "poison", "body": filler}).encode(),
        "wrong_types": json.dumps(
            {
                "schema_version": 1,
                "article_id": ["not", "a", "string"],
                "body": 12,
                "text": {},
                "article": 3,
                "event_id": None,
                "event_decision": 7,
            }
        ).encode(),
    }


def poison_key(topic: str, kind: str) -> str:
    return f"poison.{topic}.{kind}"


async def send_poison(bootstrap: str, prefix: str, max_message_bytes: int) -> list[tuple[str, str]]:
    """Send every kind to every consumed topic; returns the (key, expected reason) pairs."""
    from aiokafka import AIOKafkaProducer  # noqa: PLC0415

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=12_000_000)
    await producer.start()
    expected = []
    try:
        for topic in CONSUMED_TOPICS:
            for kind, payload in poison_payloads(max_message_bytes).items():
                key = poison_key(topic, kind)
                await producer.send_and_wait(prefix + topic, key=key.encode(), value=payload)
                expected.append((key, EXPECTED_REASON[kind]))
    finally:
        await producer.stop()
    return expected


def send_poison_sync(bootstrap: str, prefix: str, max_message_bytes: int) -> list[tuple[str, str]]:
    return asyncio.run(send_poison(bootstrap, prefix, max_message_bytes))
