"""The seeds and ECB+ dev through both paths built from the stage declarations: faust agents and replay.

The faust path runs each stage's real agent under ``test_context()`` (memory
tables, sends captured), stage after stage on its own previous outputs; the
replay path runs :class:`services.replay.Replay`. Every stage's outputs, dead
letters included, must be equal (up to the time each was decided).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from pydantic import SecretStr

from services.cleaner import app as cleaner_app
from services.deduplicator import app as dedup_app
from services.extractor import app as extractor_app
from services.replay import PIPELINE, STAGES, Replay, StageName, read_inputs
from services.sink import app as sink_app
from services.sink.settings import SinkSettings
from shared.codec import encode
from shared.contracts import DeadLetter, Message, RawArticle
from shared.stage import BuildContext
from shared.streaming import Pending
from tests.conftest import flush_agent, is_flush_letter

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


def _fresh_step(name: StageName, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The worker's step built again from its declaration, as at start-up, over empty state.

    Built just before its stage runs: the deduplicator's wall-clock eviction (a worker's, not
    replay's) must not come due during the test.
    """
    worker = AGENTS[name]
    settings = worker.settings
    if name == "events":
        settings = SinkSettings(database_url=SecretStr(f"sqlite:///{tmp_path}/sink.db"))
    if worker.table is not None:
        worker.table.data.clear()
    state: Any = worker.table if worker.table is not None else {}
    monkeypatch.setattr(worker, "step", worker.stage.build(settings, BuildContext(state=state, live=True)))


async def _through_agent(name: StageName, inputs: list[Message]) -> list[Message]:
    """Outputs of the stage's agent, in order, for the inputs of its model."""
    worker = AGENTS[name]
    sent: list[Message] = []

    async def capture(messages: Sequence[Message]) -> Pending:
        sent.extend(messages)
        return Pending()

    with patch.object(worker.outputs, "start", AsyncMock(side_effect=capture)):
        async with worker.agent.test_context() as agent:
            for message in inputs:
                if isinstance(message, worker.stage.source):
                    await agent.put(encode(message), key=message.key().encode())
            await flush_agent(agent, sent, tries=20 * max(60, len(inputs)))  # up to a second per input
    return [m for m in sent if not is_flush_letter(m)]


def _latest_per_event(updates: list[Message]) -> list[Message]:
    latest = {m.key(): m for m in updates}
    return [latest[k] for k in sorted(latest)]


def _ecbplus(corpus: Path) -> list[RawArticle]:
    path = corpus / "ecbplus" / "dev.jsonl"
    return [r for r in read_inputs([path], fetched_at=FETCHED) if isinstance(r, RawArticle)]


async def _both_paths(raws: list[RawArticle], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Replay:
    """Every stage through replay and through its faust agent; asserts equal outputs stage by stage."""
    replay = Replay()
    replay_inputs: list[Message] = list(raws)
    agent_inputs: list[Message] = list(raws)
    for name in STAGES:
        replayed = replay.stage(name, replay_inputs)
        replay_letters = [d for d in replay.dead_letters if d.service == PIPELINE[name].dead_letters.service]
        _fresh_step(name, monkeypatch, tmp_path)
        through_faust = await _through_agent(name, agent_inputs)
        outputs = [m for m in through_faust if not isinstance(m, DeadLetter)]
        letters = [m for m in through_faust if isinstance(m, DeadLetter)]
        assert outputs, f"stage {name} produced nothing"
        if name == "events":
            # the sink rebuilds an event touched several times in a batch once and sends it with the
            # last decision, and batches end where the input pauses: compare what each path leaves as
            # every event's record (its revision counts the batches that changed it, so it is left out)
            outputs, replayed = (
                [m.model_copy(update={"revision": 0}) for m in _latest_per_event(side)] for side in (outputs, replayed)
            )
        assert _rows(outputs) == _rows(replayed), f"stage {name}: {_differences(outputs, replayed)[:20]}"
        assert _rows(letters) == _rows(replay_letters), f"stage {name}: different dead letters"
        replay_inputs, agent_inputs = replayed, outputs
    return replay


@pytest.mark.slow
async def test_seeds_give_the_same_outputs_through_faust_and_replay(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    replay = await _both_paths(_seeds(), monkeypatch, tmp_path)
    assert [d.article_id for d in replay.dead_letters] == ["blank"]  # the one bad seed, dead-lettered once
    assert len(replay.outputs["events"]) >= 2  # two real events, each announced at least once


@pytest.mark.slow
async def test_ecbplus_dev_gives_the_same_outputs_through_faust_and_replay(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    raws = _ecbplus(corpus)
    assert len(raws) == 772
    replay = await _both_paths(raws, monkeypatch, tmp_path)
    assert len(replay.outputs["dedup"]) >= 772  # a decision per article, and the moves they caused
