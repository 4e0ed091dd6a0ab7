"""The sink's batch: each touched event rebuilt once, the same end state as decision by decision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import services.sink.apply as apply_module
from services.sink.apply import apply_batch, apply_decision
from services.sink.logic import same_content
from shared.contracts import DedupDecision, EventUpdate
from shared.eventstore import EventQuery, EventWriter
from tests.conftest import make_decision


def _store(tmp_path: Path, name: str) -> EventWriter:
    return EventWriter(f"sqlite:///{tmp_path}/{name}.db")


def _batch() -> list[DedupDecision]:
    return [
        make_decision("a1", "e1"),
        make_decision("b1", "e2", title="Storm hits the coast"),
        make_decision("a2", "e1"),
        make_decision("b1", "e3", version=2, title="Storm hits the coast"),  # re-assigned: e2 loses it
        make_decision("a3", "e1"),
    ]


def _events(store: EventWriter) -> dict[str, EventUpdate]:
    return {e.event_id: e for e in store.events(EventQuery(include_merged=True))}


def test_a_batch_ends_where_one_by_one_ends_and_rebuilds_each_event_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_by_one = _store(tmp_path, "single")
    for decision in _batch():
        apply_decision(one_by_one, decision)
    batched = _store(tmp_path, "batched")
    rebuilt: list[str] = []
    refresh = apply_module._refresh

    def counting(store: EventWriter, event_id: str) -> Any:
        rebuilt.append(event_id)
        return refresh(store, event_id)

    monkeypatch.setattr(apply_module, "_refresh", counting)
    results = apply_batch(batched, _batch())
    assert sorted(rebuilt) == ["e1", "e2", "e3"]  # not once per decision
    expected, got = _events(one_by_one), _events(batched)
    # e2 gained and lost its only article inside the batch, so it was never stored (one by one, it
    # keeps the record it had before its article moved)
    assert got.keys() == {"e1", "e3"}
    assert all(same_content(expected[k], got[k]) for k in got)
    # each event is sent once, with the last decision that touched it
    sent = [[u.event_id for u in r] for r in results if isinstance(r, list)]
    assert sent == [[], [], [], ["e3"], ["e1"]]


def test_a_batch_with_a_merge_is_applied_decision_by_decision(tmp_path: Path) -> None:
    store = _store(tmp_path, "merge")
    results = apply_batch(
        store, [make_decision("a1", "e1"), make_decision("b1", "e2"), make_decision("c1", "e1", merged=("e2",))]
    )
    last = results[2]
    assert isinstance(last, list)
    assert {u.event_id: u.merged_into for u in last} == {"e1": None, "e2": "e1"}


def test_a_failing_rebuild_fails_only_the_decisions_of_its_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(tmp_path, "failing")
    refresh = apply_module._refresh

    def failing(store: EventWriter, event_id: str) -> Any:
        if event_id == "e2":
            raise ValueError("cannot rebuild e2")
        return refresh(store, event_id)

    monkeypatch.setattr(apply_module, "_refresh", failing)
    results = apply_batch(store, [make_decision("a1", "e1"), make_decision("b1", "e2"), make_decision("a2", "e1")])
    assert isinstance(results[1], ValueError)
    assert results[0] == [] and [u.event_id for u in results[2]] == ["e1"]  # type: ignore[union-attr]
    assert store.article("b1") is None  # its row was rolled back with it
    assert store.article("a1") is not None and store.article("a2") is not None
