"""Labelled article streams for training and scoring the deduplicator.

A labelled stream is JSONL, one article a line: ``doc_id``, ``event_cluster`` (the gold
event), ``text`` and optionally ``title``, ``url``, ``published_at``. Articles go through
the real cleaner and extractor, as ``wirewatch replay`` sends them, so the model is trained
on what the deduplicator sees in production. That costs tens of milliseconds an article,
so the enriched articles are cached, keyed by the input's bytes and the cleaner's and
extractor's code.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.contracts.articles import EnrichedArticle
from shared.errors import WirewatchError

_CODE = Path(__file__).resolve().parents[1]


#: Records in, enriched articles out (one per record, in order).
Enrich = Callable[[Sequence[dict[str, Any]]], list[EnrichedArticle]]


@dataclass(frozen=True, slots=True)
class LabelledArticle:
    """An enriched article with its gold event and the raw record's extra fields."""

    article: EnrichedArticle
    gold: str
    record: dict[str, Any]


class LabelledDataError(WirewatchError):
    """A labelled JSONL file is missing, unreadable or lacks the required fields."""

    reason = "labelled_data"


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of a labelled JSONL file; each must have ``doc_id``, ``event_cluster``, ``text``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LabelledDataError(f"{path}: cannot read labelled data: {exc}") from exc
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelledDataError(f"{path}:{n}: not JSON: {exc}") from exc
        missing = [k for k in ("doc_id", "event_cluster", "text") if not row.get(k)]
        if missing:
            raise LabelledDataError(f"{path}:{n}: missing {', '.join(missing)}")
        rows.append(row)
    return rows


def _code_version() -> str:
    digest = hashlib.sha1()
    for folder in ("cleaner", "extractor"):
        for p in sorted((_CODE / folder).rglob("*.py")):
            digest.update(p.read_bytes())
    return digest.hexdigest()[:10]


def cache_dir() -> Path:
    """``$WIREWATCH_CACHE`` or ``~/.cache/wirewatch``."""
    return Path(os.environ.get("WIREWATCH_CACHE") or Path.home() / ".cache" / "wirewatch")


def load_labelled(path: Path, enrich: Enrich, *, use_cache: bool = True) -> list[LabelledArticle]:
    """The labelled stream of ``path``, enriched by ``enrich`` (from the cache when it is there).

    ``enrich`` runs the real cleaner and extractor (``services.replay.enrich_records``): it is
    passed in because a service does not import another service's code."""
    rows = read_records(path)
    key = hashlib.sha1(path.read_bytes()).hexdigest()[:12] + "-" + _code_version()
    cached = cache_dir() / f"dedup-{path.stem}-{key}.jsonl"
    if use_cache and cached.exists():
        arts = [EnrichedArticle.model_validate_json(x) for x in cached.read_text().splitlines() if x]
    else:
        arts = enrich(rows)
        if use_cache:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            tmp.write_text("".join(a.model_dump_json() + "\n" for a in arts))
            tmp.replace(cached)
    if len(arts) != len(rows):
        raise LabelledDataError(f"{cached}: cache holds {len(arts)} articles for {len(rows)} records")
    return [LabelledArticle(a, str(r["event_cluster"]), r) for a, r in zip(arts, rows, strict=True)]
