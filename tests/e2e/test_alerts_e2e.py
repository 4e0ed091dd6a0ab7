"""Adding consumers changes nothing upstream, and every consumer group sees every event once.

Run 1: the pipeline alone on the seeds. Run 2: the same pipeline plus the alerts
service and two copies of docs/examples/print_events.py in two consumer groups.
The sink ends with the same events; each print_events group printed every
(event, revision) on the events topic once; the alerts service fired exactly one
alert per event for a catch-all rule; and after its group is rewound to offset 0
and it restarts, the fired-state Table (restored from its changelog) keeps it
from firing again.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts import EventUpdate
from tests.e2e.harness import BOOTSTRAP, REPO, SEEDS, Pipeline, copy_samples, groups, require_broker

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RULES = """
[[rules]]
name = "everything"
min_outlets = 1

[[rules]]
name = "putin"
entities = ["Putin"]
"""


async def partitions(topic: str) -> list[TopicPartition]:
    """The topic's partitions, asked of the broker (empty if the topic does not exist)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    found = [p["partition"] for t in described if t["topic"] == topic and not t["error_code"] for p in t["partitions"]]
    return [TopicPartition(topic, p) for p in sorted(found)]


async def read_topic(topic: str) -> list[bytes]:
    """Every value currently in the topic, without joining a consumer group."""
    tps = await partitions(topic)
    if not tps:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        values: list[bytes] = []
        while True:
            positions = [await consumer.position(tp) for tp in tps]
            if all(pos >= end[tp] for pos, tp in zip(positions, tps, strict=True)):
                return values
            batch = await consumer.getmany(timeout_ms=1000)
            values += [r.value for records in batch.values() for r in records if r.value is not None]
    finally:
        await consumer.stop()


async def lag(group: str, topic: str) -> int:
    """Messages of the topic the group has not committed yet."""
    tps = await partitions(topic)
    assert tps, f"no partitions for {topic}"
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await consumer.start()
    await admin.start()
    try:
        end = await consumer.end_offsets(tps)
        done = await admin.list_consumer_group_offsets(group)
        return sum(off - (done[tp].offset if tp in done and done[tp].offset >= 0 else 0) for tp, off in end.items())
    finally:
        await consumer.stop()
        await admin.close()


async def rewind(group: str, topic: str) -> None:
    """Commit offset 0 on every partition for an idle group: its next member re-reads the whole topic."""
    tps = await partitions(topic)
    assert tps, f"no partitions for {topic}"
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.commit(dict.fromkeys(tps, 0))
    finally:
        await consumer.stop()


def signature(events: list[EventUpdate]) -> list[tuple[Any, ...]]:
    """What the sink concluded, without the run-specific ids and timestamps."""
    sources = [sorted(s.article_id for s in e.sources) for e in events]
    actors = [sorted(a.id for a in e.actors) for e in events]
    return sorted(
        (src, e.title, e.event_date, e.event_type, e.status, act)
        for src, e, act in zip(sources, events, actors, strict=True)
    )


def settle(p: Pipeline, want: Callable[[], bool], what: str) -> list[EventUpdate]:
    """Wait for the condition, then until the sink stops changing for a few seconds."""
    p.wait_for(what, want, timeout=300)
    last, stable_since = signature(p.events()), time.monotonic()
    while time.monotonic() - stable_since < 8:
        time.sleep(1)
        now = signature(p.events())
        if now != last:
            last, stable_since = now, time.monotonic()
    return p.events()


def two_events(p: Pipeline) -> Callable[[], bool]:
    return lambda: len(groups(p.events())) == 2 and sum(len(g) for g in groups(p.events())) == 5


def run_pipeline(work: Path, *, consumers: bool) -> dict[str, Any]:
    p = Pipeline(work, copy_samples(SEEDS, work / "inbox"))
    printers: dict[str, subprocess.Popen[bytes]] = {}
    outputs: dict[str, Path] = {}
    try:
        p.create_topics()
        if consumers:
            rules = work / "alerts.toml"
            rules.write_text(RULES)
            p.env["WIREWATCH_ALERTS_FILE"] = str(rules)
            p.start("alerts")
            for group in ("group-a", "group-b"):
                outputs[group] = work / f"{group}.out"
                with outputs[group].open("wb") as out, (work / f"{group}.err").open("wb") as err:
                    printers[group] = subprocess.Popen(
                        [sys.executable, str(REPO / "docs" / "examples" / "print_events.py"), group],
                        cwd=REPO,
                        env=p.env,
                        stdout=out,
                        stderr=err,
                    )
        p.start_all()
        events = settle(p, two_events(p), "the two seed events")
        result: dict[str, Any] = {"signature": signature(events)}
        if not consumers:
            return result
        updates = [EventUpdate.model_validate_json(v) for v in asyncio.run(read_topic(p.prefix + "events"))]
        published = sorted((u.event_id, u.revision) for u in updates)
        result["published"] = published
        lines: dict[str, list[str]] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lines = {g: f.read_text().splitlines() for g, f in outputs.items()}
            if all(len(v) >= len(published) for v in lines.values()):
                break
            time.sleep(1)
        result["printed"] = {g: sorted((ln.split()[0], int(ln.split()[1][1:])) for ln in v) for g, v in lines.items()}
        result["redelivered"] = {g: (work / f"{g}.err").read_text() for g in outputs}
        group = f"{p.prefix}wirewatch-alerts"
        p.wait_for("the alerts service to catch up", lambda: asyncio.run(lag(group, p.prefix + "events")) == 0, 90)
        time.sleep(3)  # let the last alert reach the topic
        result["alerts"] = [json.loads(v) for v in asyncio.run(read_topic(p.prefix + "alerts"))]
        result["events"] = updates
        # Redelivery of everything: stop, rewind the group, restart; the Table must hold the fired state.
        p.stop("alerts")
        asyncio.run(rewind(group, p.prefix + "events"))
        assert asyncio.run(lag(group, p.prefix + "events")) == len(updates)
        p.start("alerts", name="alerts-restarted")
        p.wait_for("the restarted service to re-read", lambda: asyncio.run(lag(group, p.prefix + "events")) == 0, 120)
        time.sleep(3)
        result["alerts_after_restart"] = [json.loads(v) for v in asyncio.run(read_topic(p.prefix + "alerts"))]
        return result
    finally:
        for proc in printers.values():
            proc.terminate()
            proc.wait(timeout=30)
        p.stop_all()
        p.delete_topics()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    require_broker()
    alone = run_pipeline(tmp_path_factory.mktemp("without-consumers"), consumers=False)
    plus = run_pipeline(tmp_path_factory.mktemp("with-consumers"), consumers=True)
    return alone, plus


def test_consumers_change_nothing_upstream(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    alone, plus = runs
    assert plus["signature"] == alone["signature"]


def test_each_consumer_group_sees_every_event_once(runs: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, plus = runs
    assert plus["published"], "nothing on the events topic"
    for group, printed in plus["printed"].items():
        assert printed == plus["published"], group
        assert "redelivered" not in plus["redelivered"][group]


def test_alerts_fire_once_per_rule_and_event_even_after_redelivery(
    runs: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    _, plus = runs
    updates: list[EventUpdate] = plus["events"]
    live_events = {u.event_id for u in updates if u.merged_into is None}
    alerts = plus["alerts"]
    everything = [a["event_id"] for a in alerts if a["rule"] == "everything"]
    assert sorted(everything) == sorted(live_events)  # one each, none missing
    putin = {u.event_id for u in updates if any("putin" in a.id for a in u.actors) and u.merged_into is None}
    assert putin and sorted(a["event_id"] for a in alerts if a["rule"] == "putin") == sorted(putin)
    assert len({a["alert_id"] for a in alerts}) == len(alerts)
    after = sorted(a["alert_id"] for a in plus["alerts_after_restart"])
    assert after == sorted(a["alert_id"] for a in alerts)  # the whole topic again, and nothing fired twice
