"""The learned model: its file round-trips to identical decisions, a bad file is a clear error at
start, and training on a labelled stream is deterministic."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from services.deduplicator.logic import Deduplicator
from services.deduplicator.model import DEFAULT_MODEL, EventModel, ModelError
from services.deduplicator.pairs import FEATURE_NAMES
from services.deduplicator.settings import DeduplicatorSettings, configured_model
from shared.errors import WirewatchError
from tests.unit.test_dedup_logic import T0, TEXTS, _syndicated, make

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dedup"


def _stream() -> list[object]:
    arts = [make(k, t, at=T0 + timedelta(hours=i)) for i, (k, t) in enumerate(TEXTS.items())]
    return [*arts, make("s1", _syndicated(TEXTS["7_3ecbplus"]), at=T0 + timedelta(hours=9))]


def _decide(model: EventModel) -> list[tuple[object, ...]]:
    d = Deduplicator(model=model)
    out = []
    for a in _stream():
        x = d.process(a)  # type: ignore[arg-type]
        out.append((x.article_id, x.role, x.duplicate_of, x.event_id, x.event_decision, x.event_confidence))
    return out


def test_the_shipped_model_loads_and_names_its_features() -> None:
    model = EventModel.load()
    assert model.version and len(model.version) == 12
    assert json.loads(DEFAULT_MODEL.read_text())["feature_names"] == list(FEATURE_NAMES)
    assert 0.0 < model.join_threshold <= model.merge_threshold


def test_save_and_load_give_identical_decisions(tmp_path: Path) -> None:
    model = EventModel.load()
    path = tmp_path / "copy.json"
    model.save(path)
    again = EventModel.load(path)
    assert again.version == model.version
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 3, size=(500, len(FEATURE_NAMES)))
    assert np.array_equal(again.proba(x), model.proba(x))
    assert _decide(again) == _decide(model)


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(ModelError, match="not found") as err:
        configured_model(DeduplicatorSettings(deduplicator_model=path))
    assert str(path) in str(err.value) and isinstance(err.value, WirewatchError)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text[: len(text) // 2], "cannot read"),
        (lambda text: json.dumps({**json.loads(text), "init": 0.123}), "checksum"),
        (lambda text: json.dumps({**json.loads(text), "format_version": 99}), "format version"),
        (lambda text: json.dumps([1, 2]), "not a"),
    ],
)
def test_corrupt_model_file_is_a_clear_error(tmp_path: Path, damage: object, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(damage(DEFAULT_MODEL.read_text()))  # type: ignore[operator]
    with pytest.raises(ModelError, match=message) as err:
        EventModel.load(path)
    assert str(path) in str(err.value)


def test_a_model_for_other_features_is_refused(tmp_path: Path) -> None:
    doc = json.loads(DEFAULT_MODEL.read_text())
    doc["feature_names"] = [*doc["feature_names"][:-1], "something_else"]
    model = EventModel.from_json(json.loads(DEFAULT_MODEL.read_text()))
    doc = {**model.to_json(), "feature_names": doc["feature_names"]}
    doc.pop("checksum")
    from services.deduplicator.model import _checksum  # noqa: PLC0415

    doc["checksum"] = _checksum(doc)
    path = tmp_path / "other.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelError, match="other features"):
        EventModel.load(path)


def test_thresholds_are_the_models() -> None:
    """With a join threshold above every probability, every article starts its own event."""
    never = replace(EventModel.load(), join_threshold=1.01, merge_threshold=1.01)
    decisions = _decide(never)
    originals = [d for d in decisions if d[1].value == "original"]
    assert len({d[3] for d in originals}) == len(originals)


@pytest.mark.slow
def test_training_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("services.extractor.logic")
    from services.deduplicator.training import train_files  # noqa: PLC0415
    from services.replay import enrich_records  # noqa: PLC0415

    monkeypatch.setenv("WIREWATCH_CACHE", str(tmp_path / "cache"))
    data = FIXTURES / "labelled_small.jsonl"
    first = train_files([data], tmp_path / "a.json", enrich_records)
    second = train_files([data], tmp_path / "b.json", enrich_records)
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert first.training["articles"] == 64 and first.training["positives"] > 0
    assert first.version == second.version
