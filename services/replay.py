"""Run the pipeline's stages in one process, without Kafka, on files.

Used for evaluation and backfills. Each stage is built from the same
declaration its worker is (``services/<name>/stage.py``): the same handler,
the same state, the same dead-letter policy; only the transport differs. The
deduplicator's wall-clock eviction is off here (the input is historic), and
the sink writes to an in-memory database.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Awaitable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr, ValidationError

from services.cleaner.stage import STAGE as CLEANER
from services.deduplicator.stage import STAGE as DEDUPLICATOR
from services.extractor.stage import STAGE as EXTRACTOR
from services.sink.stage import STAGE as SINK
from shared.contracts import (
    BodyEncoding,
    DeadLetter,
    EventUpdate,
    FeedMetadata,
    Message,
    RawArticle,
    utcnow,
)
from shared.settings import BaseServiceSettings
from shared.stage import Batched, BuildContext, Stage, Step
from shared.streaming import dead_letter_from, failure_letter

StageName = Literal["clean", "extract", "dedup", "events"]
STAGES: tuple[StageName, ...] = ("clean", "extract", "dedup", "events")
#: The pipeline in order, by the name ``--until`` takes: each entry is the stage's declaration.
PIPELINE: dict[StageName, Stage[Any]] = {"clean": CLEANER, "extract": EXTRACTOR, "dedup": DEDUPLICATOR, "events": SINK}
REPLAY_OVERRIDES: dict[str, Any] = {"database_url": SecretStr("sqlite:///:memory:")}
SUFFIXES = (".txt", ".html", ".htm", ".html.gz", ".htm.gz", ".jsonl")


def _article_id(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".html", ".htm", ".txt"):
        name = name.removesuffix(suffix)
    return name


def _read_file(path: Path, fetched_at: datetime) -> RawArticle:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    is_html = ".htm" in path.name
    return RawArticle(
        article_id=_article_id(path),
        source_id=f"replay:{path.parent.name}",
        url=None,
        content_type="text/html" if is_html else "text/plain",
        body_encoding=BodyEncoding.BASE64,
        body=base64.b64encode(data).decode("ascii"),
        fetched_at=fetched_at,
    )


def _from_record(record: dict[str, Any], fetched_at: datetime) -> RawArticle:
    article_id = record.get("doc_id") or record.get("id")
    html = record.get("html")
    return RawArticle(
        article_id=str(article_id),
        source_id="replay:jsonl",
        url=record.get("url"),
        content_type="text/html" if html else "text/plain",
        body=html if html else (record.get("text") or ""),
        fetched_at=fetched_at,
        feed=FeedMetadata(title=record.get("title"), link=record.get("url"), published=record.get("published_at")),
    )


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the supported files inside folders named, in name order."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith(SUFFIXES))
        else:
            found.append(p)
    return found


def read_inputs(paths: Iterable[str | Path], fetched_at: datetime | None = None) -> Iterator[RawArticle | DeadLetter]:
    """Raw articles from files and JSONL records; unreadable input becomes a dead letter."""
    when = fetched_at or utcnow()
    for path in expand(paths):
        if path.name.endswith(".jsonl"):
            with path.open(encoding="utf-8", errors="replace") as fh:
                for n, line in enumerate(fh):
                    if not line.strip():
                        continue
                    try:
                        yield _from_record(json.loads(line), when)
                    except (json.JSONDecodeError, ValidationError, TypeError, AttributeError) as exc:
                        yield dead_letter_from(
                            "replay",
                            "invalid_record",
                            str(exc)[:500],
                            topic=str(path),
                            partition=None,
                            offset=n,
                            key=None,
                            payload=line.encode(),
                        )
            continue
        try:
            yield _read_file(path, when)
        except (OSError, EOFError, ValidationError) as exc:
            yield dead_letter_from(
                "replay",
                "unreadable_file",
                str(exc)[:500],
                topic=str(path),
                partition=None,
                offset=None,
                key=None,
                payload=None,
            )


def _settings(stage: Stage[Any]) -> BaseServiceSettings:
    """The stage's settings from the environment, except that replay never touches the real database."""
    settings: BaseServiceSettings = stage.settings()
    overrides = {k: v for k, v in REPLAY_OVERRIDES.items() if k in type(settings).model_fields}
    return settings.model_copy(update=overrides)


def run_offline(stage: Stage[Any], step: Step, inputs: Sequence[Message]) -> tuple[list[Message], list[DeadLetter]]:
    """One stage over a list of inputs, as its worker would run them: outputs in order, failures as letters.

    Inputs go through one at a time, or in batches of the declared size for a batched handler.
    """
    service = stage.dead_letters.service
    out: list[Message] = []
    letters: list[DeadLetter] = []

    def collect(item: Message, result: Sequence[Message] | Exception) -> None:
        if isinstance(result, Exception):
            letters.append(_letter(service, result, item))
        else:
            out.extend(result)

    handle = step.handle
    if isinstance(handle, Batched):
        for start in range(0, len(inputs), handle.max_batch):
            batch = inputs[start : start + handle.max_batch]
            for item, result in zip(batch, handle.handle_many(batch), strict=True):
                collect(item, result)
        return out, letters
    for item in inputs:
        try:
            produced = handle(item)
            if isinstance(produced, Awaitable):
                raise TypeError(f"{service}: replay runs synchronous handlers only")
            collect(item, list(produced))
        except Exception as exc:  # noqa: BLE001 - routed to dead letters like the worker does
            collect(item, exc)
    return out, letters


def _letter(service: str, exc: Exception, message: Message) -> DeadLetter:
    return failure_letter(
        service,
        exc,
        topic=message.TOPIC,
        partition=None,
        offset=None,
        key=message.key(),
        payload=message,
        article_id=getattr(message, "article_id", None),
    )


def final_events(updates: Iterable[Message]) -> list[EventUpdate]:
    """Each event's last update (what the sink's store holds), merged-away events left out, oldest first."""
    last: dict[str, EventUpdate] = {}
    for update in updates:
        if isinstance(update, EventUpdate):
            last[update.event_id] = update
    alive = [e for e in last.values() if e.merged_into is None]
    return sorted(alive, key=lambda e: (e.first_seen, e.event_id))


@dataclass
class Replay:
    """The pipeline's stages, built from their declarations and run in process; holds their state."""

    until: StageName = "events"
    dead_letters: list[DeadLetter] = field(default_factory=list)
    outputs: dict[StageName, list[Message]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._steps: dict[StageName, Step] = {}

    def step(self, name: StageName) -> Step:
        """The stage's handler, built once per replay (the deduplicator and the sink keep state)."""
        if name not in self._steps:
            stage = PIPELINE[name]
            self._steps[name] = stage.build(_settings(stage), BuildContext(state={}, live=False))
        return self._steps[name]

    def stage(self, name: StageName, inputs: Sequence[Message]) -> list[Message]:
        """Run one stage on the previous stage's messages of its input model; keep its outputs."""
        stage = PIPELINE[name]
        wanted = [m for m in inputs if isinstance(m, stage.source)]
        out, letters = run_offline(stage, self.step(name), wanted)
        self.dead_letters += letters
        self.outputs[name] = out
        return out

    def run(self, paths: Iterable[str | Path]) -> list[Message]:
        """Raw files through every stage up to ``until``; for ``events``, each event's final state."""
        messages: list[Message] = []
        for item in read_inputs(paths):
            if isinstance(item, DeadLetter):
                self.dead_letters.append(item)
            else:
                messages.append(item)
        for name in STAGES:
            messages = self.stage(name, messages)
            if name == self.until:
                break
        return list(final_events(messages)) if self.until == "events" else messages
