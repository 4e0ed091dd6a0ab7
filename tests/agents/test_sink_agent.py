"""The sink agent under faust's test_context: no broker, memory store, sends patched."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import AsyncMock, patch

import pytest
from pydantic import SecretStr

from services.sink import app as sink_app
from services.sink.settings import SinkSettings
from services.sink.stage import STAGE
from shared.codec import encode
from shared.contracts import DeadLetter, EventUpdate
from shared.eventstore import EventWriter
from shared.stage import BuildContext
from shared.streaming import Pending
from tests.conftest import flush_agent, is_flush_letter, make_decision


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EventWriter:
    """The worker's step, rebuilt from the declaration over a temporary database."""
    url = f"sqlite:///{tmp_path}/sink.db"
    settings = SinkSettings(database_url=SecretStr(url))
    monkeypatch.setattr(sink_app.worker, "step", STAGE.build(settings, BuildContext(state={}, live=True)))
    return EventWriter(url)


async def test_decisions_become_events_and_poison_becomes_dead_letter(store: EventWriter) -> None:
    sent: list[object] = []

    async def capture(messages: list[object]) -> Pending:
        sent.extend(messages)
        return Pending()

    with patch.object(sink_app.outputs, "start", AsyncMock(side_effect=capture)):
        async with sink_app.store_decisions.test_context() as agent:
            await agent.put(encode(make_decision("a1", "e1")), key=b"e1")
            await agent.put(b"{not json", key=b"x")
            await agent.put(b'{"schema_version": 99, "event_id": "e9"}', key=b"e9")
            await agent.put(encode(make_decision("a2", "e1")), key=b"e1")
            await agent.put(encode(make_decision("a2", "e1")), key=b"e1")  # redelivery
            await agent.put(encode(make_decision("z1", "e2")), key=b"e2")
            await flush_agent(agent, sent, tries=200)

    updates = [m for m in sent if isinstance(m, EventUpdate)]
    letters = [m for m in sent if isinstance(m, DeadLetter) and not is_flush_letter(m)]
    # Batches decide how many records e1 gets (one per batch that touched it; a redelivered decision
    # sends the current record again): revisions never go back, the last record holds both articles.
    e1 = [u for u in updates if u.event_id == "e1"]
    assert e1 and [u.revision for u in e1] == sorted(u.revision for u in e1)
    assert {s.article_id for s in e1[-1].sources} == {"a1", "a2"}
    assert [u.revision for u in updates if u.event_id == "e2"] == [1]
    assert [letter.reason for letter in letters] == ["invalid_json", "unknown_schema_version"]
    assert letters[0].payload == "{not json" and letters[0].source_topic == "articles.dedup"
    assert store.count_events() == 2
