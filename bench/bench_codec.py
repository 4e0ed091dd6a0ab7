"""Micro-benchmark of the topic codecs: ways to decode+validate and to encode one message, per topic model.

Replays the benchmark's seed articles (``bench/loadgen.py``) as they look on each topic with the
identity stages' outputs (``bench/identity_stages.py``), and times each way over them. Prints one
JSON object: microseconds per message per model and way.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.identity_stages import IDENTITY
from bench.loadgen import load_seeds, stream
from shared.contracts import Message


def _time(fn: Callable[[Any], Any], items: list[Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - started)
    return round(best / len(items) * 1e6, 1)


def main() -> None:
    seeds = load_seeds(html_pages=181)
    raws = [next(a) for a in [stream(seeds, "codec")] for _ in range(len(seeds))]
    chain: list[list[Message]] = [list(raws)]
    for stage in ("cleaner", "extractor", "deduplicator", "sink"):
        chain.append([IDENTITY[stage](m)[0] for m in chain[-1]])
    report: dict[str, Any] = {}
    for messages in chain:
        model = type(messages[0])
        wire = [m.model_dump_json().encode() for m in messages]
        report[model.__name__] = {
            "bytes_avg": round(sum(map(len, wire)) / len(wire)),
            "decode_json_loads_validate_us": _time(lambda b, m=model: m.model_validate(json.loads(b)), wire),
            "decode_orjson_validate_us": _time(lambda b, m=model: m.model_validate(orjson.loads(b)), wire),
            "decode_validate_json_us": _time(lambda b, m=model: m.model_validate_json(b), wire),
            "encode_dump_json_encode_us": _time(lambda x: x.model_dump_json().encode(), messages),
            "encode_serializer_to_json_us": _time(lambda x: x.__pydantic_serializer__.to_json(x), messages),
            "encode_orjson_dump_us": _time(lambda x: orjson.dumps(x.model_dump(mode="json")), messages),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
