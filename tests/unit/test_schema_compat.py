"""Published contracts: the current schemas stay backward compatible with their committed snapshots."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import BaseModel, Field

from tests.unit.schema_compat import SNAPSHOTS, breaking_changes, current_schemas

CURRENT = current_schemas()


@pytest.mark.parametrize("stem", sorted(CURRENT))
def test_current_schema_is_compatible_with_its_snapshot(stem: str) -> None:
    path = SNAPSHOTS / f"{stem}.json"
    hint = "new topic or schema version? run `python -m tests.unit.schema_compat`"
    assert path.exists(), f"no snapshot {path.name}: {hint}"
    problems = breaking_changes(json.loads(path.read_text()), CURRENT[stem], stem)
    assert not problems, "breaking schema changes within one version (bump SCHEMA_VERSION):\n" + "\n".join(problems)


def _split(stem: str) -> tuple[str, int]:
    topic, version = stem.rsplit(".v", 1)
    return topic, int(version)


def test_no_topic_or_version_disappeared() -> None:
    """Every snapshot's topic is still published, at that version or a later one."""
    current = dict(_split(stem) for stem in CURRENT)
    for path in SNAPSHOTS.glob("*.json"):
        topic, version = _split(path.stem)
        assert current.get(topic, 0) >= version, f"{path.name}: topic or schema version no longer published"


# -- the checker, on synthetic schemas built from small models -------------------------------


class V1(BaseModel):
    name: str
    count: int = 0
    score: float = 0.0
    tags: list[str] = Field(default_factory=list)
    note: str | None = None
    label: str = Field(default="x", max_length=50)


def schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(mode="serialization")


def test_identical_and_compatible_additions_pass() -> None:
    class V1b(V1):
        extra: str | None = None  # new optional field
        more: list[int] = Field(default_factory=list)

    class Wider(BaseModel):
        name: str | None  # now also null
        count: float = 0  # integer -> number is wider
        score: float = 0.0
        tags: list[str] | None = None
        note: str | None = None
        label: str = Field(default="x", max_length=80)  # looser bound

    assert breaking_changes(schema(V1), schema(V1)) == []
    assert breaking_changes(schema(V1), schema(V1b)) == []
    assert breaking_changes(schema(V1), schema(Wider)) == []


def _with(base: dict[str, Any], field: str, **changes: Any) -> dict[str, Any]:
    new = copy.deepcopy(base)
    new["properties"][field] = {**new["properties"][field], **changes}
    return new


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda s: {**s, "properties": {k: v for k, v in s["properties"].items() if k != "note"}},
            "$.note: field removed",
        ),
        (lambda s: _with(s, "score", type="integer"), "$.score: type narrowed"),
        (lambda s: _with(s, "note", anyOf=[{"type": "string"}]), "$.note: type narrowed, no longer accepts ['null']"),
        (lambda s: _with(s, "tags", items={"type": "integer"}), "$.tags[]: type narrowed"),
        (lambda s: _with(s, "label", maxLength=20), "$.label: type narrowed, maxLength 50 -> 20"),
        (lambda s: _with(s, "name", format="date-time"), "$.name: type narrowed, format"),
        (lambda s: {**s, "required": [*s["required"], "count"]}, "$.count: optional field made required"),
        (
            lambda s: {
                **s,
                "properties": {**s["properties"], "owner": {"type": "string"}},
                "required": [*s["required"], "owner"],
            },
            "$.owner: new required field",
        ),
    ],
)
def test_breaking_changes_are_found(mutate: Any, expected: str) -> None:
    problems = breaking_changes(schema(V1), mutate(schema(V1)))
    assert any(p.startswith(expected) for p in problems), problems


def test_enums_behind_refs() -> None:
    from enum import StrEnum  # noqa: PLC0415

    class Color(StrEnum):
        RED = "red"
        BLUE = "blue"

    class Inner(BaseModel):
        color: Color

    class Outer(BaseModel):
        items: list[Inner]

    old = schema(Outer)
    fewer = json.loads(json.dumps(old).replace('["red", "blue"]', '["red"]'))
    more = json.loads(json.dumps(old).replace('["red", "blue"]', '["red", "blue", "green"]'))
    assert breaking_changes(old, fewer) == ["$.items[].color: enum value(s) removed: ['blue']"]
    assert breaking_changes(old, more) == []


def test_real_contract_mutations_are_caught() -> None:
    events = CURRENT["events.v1"]
    broken = copy.deepcopy(events)
    broken["$defs"]["SourceRef"]["properties"].pop("outlet")
    broken["$defs"]["Tense"]["enum"].remove("announced")
    problems = breaking_changes(events, broken, "events")
    assert "events.sources[].outlet: field removed" in problems
    assert any(p.startswith("events.status: enum value(s) removed: ['announced']") for p in problems)
