"""JSON Schemas of every topic's message, generated from the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.contracts import TOPICS


def schema_of(topic: str) -> dict[str, Any]:
    model = TOPICS[topic]
    schema = model.model_json_schema(mode="serialization")
    schema["$id"] = f"wirewatch/{topic}/v{model.SCHEMA_VERSION}"
    schema["x-topic"] = topic
    schema["x-schema-version"] = model.SCHEMA_VERSION
    return schema


def write_schemas(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for topic, model in TOPICS.items():
        path = out / f"{topic}.v{model.SCHEMA_VERSION}.json"
        path.write_text(json.dumps(schema_of(topic), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
