"""The seeds through both paths built from the stage declarations: faust agents and replay, same outputs.

The faust path runs each stage's real agent under ``test_context()`` (memory
tables, sends captured), stage after stage on its own previous outputs; the
replay path runs :class:`services.replay.Replay`. Every stage's outputs, dead
letters included, must be equal (up to the time each was decided).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from pydantic import SecretStr

from services.cleaner import app as cleaner_app
from services.deduplicator import app as dedup_app
from services.extractor import app as extractor_app
from services.replay import PIPELINE, STAGES, Replay, StageName
from services.sink import app as sink_app
from services.sink.settings import SinkSettings
from shared.codec import encode
from shared.contracts import DeadLetter, Message, RawArticle
from shared.stage import BuildContext

SAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "samples"
FETCHED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
# When the run happened and where a record sat on the broker: not what the stage decided.
RUN_FIELDS = {"decided_at", "last_updated", "failed_at", "partition", "offset"}
AGENTS = {
    "clean": cleaner_app.worker,
    "extract": extractor_app.worker,
    "dedup": dedup_app.worker,
    "events": sink_app.worker,
}


def _seeds() -> list[RawArticle]:
    files = sorted(SAMPLES.glob("*.txt"))
    assert len(files) == 5, f"expected the 5 seed files in {SAMPLES}"
    raws = [
        RawArticle(article_id=f.stem, body=f.read_text("utf-8"), source_id="seeds", fetched_at=FETCHED) for f in files
    ]
    return [*raws, RawArticle(article_id="blank", body=" \n ", source_id="seeds", fetched_at=FETCHED)]


def _comparable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k not in RUN_FIELDS}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def _rows(messages: list[Message]) -> list[tuple[str, Any]]:
    return [(type(m).__name__, _comparable(m.model_dump(mode="json"))) for m in messages]


def _differences(left: list[Message], right: list[Message]) -> list[str]:
    """Which fields differ, message by message (the assertion's own diff is truncated)."""
    if len(left) != len(right):
        return [f"{len(left)} outputs against {len(right)}"]
    found = []
    for i, (a, b) in enumerate(zip(_rows(left), _rows(right), strict=True)):
        found += [f"#{i} {a[0]}.{k}" for k in sorted(set(a[1]) | set(b[1])) if a[1].get(k) != b[1].get(k)]
    return found


@pytest.fixture
def fresh_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Empty state for the stateful stages, built from their declarations as the workers build them."""
    assert dedup_app.state is not None
    dedup_app.state.data.clear()
    dedup_step = PIPELINE["dedup"].build(dedup_app.settings, BuildContext(state=dedup_app.state, live=True))
    monkeypatch.setattr(dedup_app.worker, "step", dedup_step)
    sink_settings = SinkSettings(database_url=SecretStr(f"sqlite:///{tmp_path}/sink.db"))
    monkeypatch.setattr(sink_app.worker, "step", PIPELINE["events"].build(sink_settings, BuildContext({}, live=True)))
    yield
    dedup_app.state.data.clear()


async def _through_agent(name: StageName, inputs: list[Message]) -> list[Message]:
    """Outputs of the stage's agent, in order, for the inputs of its model."""
    worker = AGENTS[name]
    sent: list[Message] = []

    async def capture(message: Message) -> None:
        sent.append(message)

    def flushed() -> bool:
        return any(isinstance(m, DeadLetter) and m.source_key == "flush" for m in sent)

    with patch.object(worker.outputs, "send", AsyncMock(side_effect=capture)):
        async with worker.agent.test_context() as agent:
            for message in inputs:
                if isinstance(message, worker.stage.source):
                    await agent.put(encode(message), key=message.key().encode())
            await agent.put(b"{}", key=b"flush")  # its dead letter comes after every output before it
            for _ in range(1200):
                if flushed():
                    break
                await asyncio.sleep(0.05)
    assert flushed(), f"{name}: the agent did not get through its input"
    return [m for m in sent if not (isinstance(m, DeadLetter) and m.source_key == "flush")]


@pytest.mark.slow
async def test_seeds_give_the_same_outputs_through_faust_and_replay(fresh_workers: None) -> None:
    replay = Replay()
    replay_inputs: list[Message] = list(_seeds())
    agent_inputs: list[Message] = list(_seeds())
    for name in STAGES:
        replayed = replay.stage(name, replay_inputs)
        replay_letters = [d for d in replay.dead_letters if d.service == PIPELINE[name].dead_letters.service]
        through_faust = await _through_agent(name, agent_inputs)
        outputs = [m for m in through_faust if not isinstance(m, DeadLetter)]
        letters = [m for m in through_faust if isinstance(m, DeadLetter)]
        assert outputs, f"stage {name} produced nothing"
        assert _rows(outputs) == _rows(replayed), f"stage {name}: {_differences(outputs, replayed)}"
        assert _rows(letters) == _rows(replay_letters), f"stage {name}: different dead letters"
        replay_inputs, agent_inputs = replayed, outputs
    assert [d.article_id for d in replay.dead_letters] == ["blank"]  # the one bad seed, dead-lettered once
