"""The deduplicator's decisions on a small real stream equal a recording made before the speed
work of issue 15 (the code of main at 5ca2907): work on its speed must not change what it decides.

The stream is the 64 ECB+ articles of ``labelled_small.jsonl`` through the real cleaner and
extractor, scored by the shipped model, once with the default re-check schedule and once with
re-checks every 4 articles (many re-checks and merges on update). Every emitted decision is
compared (``decided_at`` aside), and the best candidate's probability to the last bit.

Regenerate the recording (only when a decision is meant to change, and say why in the
CHANGELOG): ``.venv/bin/python -m tests.unit.test_dedup_recorded``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from services.deduplicator.config import DedupConfig
from services.deduplicator.model import EventModel

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

# the recorder of bench/dedup_decisions.py, here on a small stream
from dedup_decisions import run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dedup"
RECORDING = FIXTURES / "decisions_small.json"
CONFIGS = {"default": DedupConfig(), "recheck_every_4": DedupConfig(recheck_after=4)}


def record() -> dict[str, Any]:
    from services.deduplicator.labelled import load_labelled  # noqa: PLC0415
    from services.replay import enrich_records  # noqa: PLC0415

    stream = load_labelled(FIXTURES / "labelled_small.jsonl", enrich_records)
    model = EventModel.load()
    out: dict[str, Any] = {"model_version": model.version}
    for name, cfg in CONFIGS.items():
        recorded = run(stream, cfg, model)
        out[name] = {"decisions": recorded["decisions"], "best_p": recorded["best_p"]}
    return out


@pytest.mark.slow
def test_decisions_equal_the_recording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("services.extractor.logic")
    monkeypatch.setenv("WIREWATCH_CACHE", str(tmp_path / "cache"))
    expected = json.loads(RECORDING.read_text(encoding="utf-8"))
    got = record()
    assert got["model_version"] == expected["model_version"], "the shipped model changed: re-record"
    for name in CONFIGS:
        assert len(got[name]["decisions"]) == len(expected[name]["decisions"])
        for mine, theirs in zip(got[name]["decisions"], expected[name]["decisions"], strict=True):
            assert mine == theirs, name
        assert got[name]["best_p"] == expected[name]["best_p"], name
    # the stream is not trivial: joins, new events, and re-checks that moved articles
    moved = [d for d in expected["recheck_every_4"]["decisions"] if d["merged_event_ids"]]
    kinds = {d["event_decision"] for d in expected["default"]["decisions"]}
    assert kinds == {"joined", "new_event"} and moved


if __name__ == "__main__":
    os.environ.setdefault("WIREWATCH_CACHE", str(Path.home() / ".cache" / "wirewatch"))
    RECORDING.write_text(json.dumps(record(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"recorded to {RECORDING}")
