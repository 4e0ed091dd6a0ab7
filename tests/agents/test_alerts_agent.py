"""The alerts agent under faust's test_context: real fired-state Table, sends and webhook patched."""

from __future__ import annotations

from collections.abc import Iterator
from unittest.mock import AsyncMock, patch

import pytest

from services.alerts import app as alerts_app
from services.alerts.rules import parse_config
from shared.codec import encode
from shared.contracts import Alert, DeadLetter, EntityKind, EventEntity, EventUpdate, SourceRef
from shared.streaming import Pending
from tests.conftest import flush_agent, is_flush_letter


def _event(event_id: str, revision: int, outlets: int) -> EventUpdate:
    return EventUpdate(
        event_id=event_id,
        revision=revision,
        title="Biden and Putin to talk by phone",
        event_type="phone_call",
        actors=[EventEntity(id="person:joe-biden", name="Joe Biden", kind=EntityKind.PERSON)],
        sources=[
            SourceRef(article_id=f"a{i}", outlet=f"outlet{i}.example", url=f"https://outlet{i}.example/{i}")
            for i in range(outlets)
        ],
    )


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    config = parse_config({"rules": [{"name": "biden", "entities": ["Biden"], "min_outlets": 2, "escalate_at": [4]}]})
    watcher = alerts_app.worker.step.handle
    monkeypatch.setattr(watcher, "config", config)
    monkeypatch.setattr(watcher, "_client", None)  # a client per test: each test has its own loop
    alerts_app.fired.data.clear()
    yield
    alerts_app.fired.data.clear()


async def test_fires_once_per_rule_event_and_threshold(rules: None) -> None:
    sent: list[object] = []

    async def capture(messages: list[object]) -> Pending:
        sent.extend(messages)
        return Pending()

    with patch.object(alerts_app.outputs, "start", AsyncMock(side_effect=capture)):
        async with alerts_app.watch_events.test_context() as agent:
            await agent.put(encode(_event("e1", 1, 1)), key=b"e1")  # one outlet: below min_outlets
            await agent.put(encode(_event("e1", 2, 2)), key=b"e1")  # fires at 2
            await agent.put(encode(_event("e1", 2, 2)), key=b"e1")  # redelivery: nothing
            await agent.put(encode(_event("e1", 3, 3)), key=b"e1")  # still level 2: nothing
            await agent.put(b"{broken", key=b"x")  # dead letter, the agent keeps going
            await agent.put(encode(_event("e1", 4, 5)), key=b"e1")  # escalates to 4
            await agent.put(encode(_event("e2", 1, 6)), key=b"e2")  # new event above both: one alert, at 4
            await flush_agent(agent, sent, tries=200)

    alerts = [m for m in sent if isinstance(m, Alert)]
    assert [(a.event_id, a.event_revision, a.threshold) for a in alerts] == [("e1", 2, 2), ("e1", 4, 4), ("e2", 1, 4)]
    assert [m.reason for m in sent if isinstance(m, DeadLetter) and not is_flush_letter(m)] == ["invalid_json"]
    assert alerts_app.fired["biden|e1"] == 4 and alerts_app.fired["biden|e2"] == 4


async def test_webhook_failure_is_logged_not_fatal(rules: None, monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config(
        {
            "rules": [{"name": "biden", "entities": ["Biden"]}],
            "webhook": {"url": "http://127.0.0.1:9/hook", "timeout_s": 0.5},  # port 9: nothing listens
        }
    )
    monkeypatch.setattr(alerts_app.worker.step.handle, "config", config)
    sent: list[object] = []

    async def capture(messages: list[object]) -> Pending:
        sent.extend(messages)
        return Pending()

    with patch.object(alerts_app.outputs, "start", AsyncMock(side_effect=capture)):
        async with alerts_app.watch_events.test_context() as agent:
            await agent.put(encode(_event("e3", 1, 1)), key=b"e3")
            await agent.put(encode(_event("e4", 1, 1)), key=b"e4")
            await agent.put(encode(_event("e4", 1, 1)), key=b"e4")  # redelivery
            await flush_agent(agent, sent, tries=200)

    assert [m.event_id for m in sent if isinstance(m, Alert)] == ["e3", "e4"]
