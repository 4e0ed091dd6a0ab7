"""Run the pipeline's stages in one process, without Kafka, on files.

Used for evaluation and backfills. Each stage is built from the same
declaration its worker is (``services/<name>/stage.py``): the same handler,
the same state, the same dead-letter policy; only the transport differs. The
deduplicator's wall-clock eviction is off here (the input is historic), and
the sink writes to an in-memory database.

Input comes from anywhere, so each file and JSONL line is read within a budget
(:data:`MAX_INPUT_BYTES`, checked while decompressing; JSON nested at most
:data:`~shared.bounded.MAX_JSON_DEPTH` deep) and anything wrong with one input
becomes a dead letter with its reason: the run goes on with the others.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Awaitable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr, ValidationError

from services.cleaner.stage import STAGE as CLEANER
from services.deduplicator.stage import STAGE as DEDUPLICATOR
from services.extractor.stage import STAGE as EXTRACTOR
from services.sink.stage import STAGE as SINK
from shared.bounded import TooLarge, gunzip_bounded, json_loads_bounded
from shared.contracts import (
    BodyEncoding,
    CleanArticle,
    DeadLetter,
    EnrichedArticle,
    EventUpdate,
    FeedMetadata,
    Message,
    RawArticle,
    utcnow,
)
from shared.errors import RejectedInput
from shared.settings import BaseServiceSettings
from shared.stage import Batched, BuildContext, Stage, Step
from shared.streaming import dead_letter_from, failure_letter

StageName = Literal["clean", "extract", "dedup", "events"]
STAGES: tuple[StageName, ...] = ("clean", "extract", "dedup", "events")
#: The pipeline in order, by the name ``--until`` takes: each entry is the stage's declaration.
PIPELINE: dict[StageName, Stage[Any]] = {"clean": CLEANER, "extract": EXTRACTOR, "dedup": DEDUPLICATOR, "events": SINK}
REPLAY_OVERRIDES: dict[str, Any] = {"database_url": SecretStr("sqlite:///:memory:")}
#: Fetch time of labelled records (they carry a publication time or nothing): fixed, so training repeats.
LABELLED_FETCHED_AT = datetime(2026, 1, 1, tzinfo=UTC)
SUFFIXES = (".txt", ".html", ".htm", ".html.gz", ".htm.gz", ".jsonl")
#: Largest file (after decompression) or JSONL line replay reads; larger ones are dead letters.
MAX_INPUT_BYTES = 10_000_000


def _article_id(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".html", ".htm", ".txt"):
        name = name.removesuffix(suffix)
    return name


def _read_file(path: Path, fetched_at: datetime) -> RawArticle:
    if path.stat().st_size > MAX_INPUT_BYTES:
        raise TooLarge(f"{path.name} is larger than {MAX_INPUT_BYTES} bytes")
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gunzip_bounded(data, MAX_INPUT_BYTES)
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


def _record_id(record: dict[str, Any]) -> str:
    """The record's own id; without one there is no safe name (every such record used to become ``"None"``)."""
    for name in ("doc_id", "id", "article_id"):
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    raise RejectedInput("record has no doc_id, id or article_id", reason="missing_id")


def _from_record(record: Any, fetched_at: datetime) -> RawArticle:
    if not isinstance(record, dict):
        raise RejectedInput(f"record is a {type(record).__name__}, not an object", reason="invalid_record")
    article_id = _record_id(record)
    html = record.get("html")
    return RawArticle(
        article_id=article_id,
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


def _input_letter(exc: Exception, path: Path, offset: int | None, payload: bytes | None) -> DeadLetter:
    """The dead letter of one input that could not be read: its own reason, or a generic one."""
    if isinstance(exc, RejectedInput):
        reason = exc.reason
    elif isinstance(exc, ValueError | ValidationError | TypeError | AttributeError):
        reason = "invalid_record" if offset is not None else "unreadable_file"
    elif isinstance(exc, OSError | EOFError):
        reason = "unreadable_file"
    else:  # a bug: still one input's problem, not the run's
        return failure_letter("replay", exc, topic=str(path), partition=None, offset=offset, key=None, payload=payload)
    return dead_letter_from(
        "replay", reason, str(exc)[:500], topic=str(path), partition=None, offset=offset, key=None, payload=payload
    )


def _lines(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) of a JSONL file; ``None`` for a line over :data:`MAX_INPUT_BYTES`, never held whole."""
    with path.open("rb") as fh:
        n = 0
        while line := fh.readline(MAX_INPUT_BYTES + 1):
            if len(line) > MAX_INPUT_BYTES:
                while line and not line.endswith(b"\n"):  # skip the rest of it, a slice at a time
                    line = fh.readline(1 << 20)
                yield n, None
            else:
                yield n, line
            n += 1


def _read_jsonl(path: Path, when: datetime) -> Iterator[RawArticle | DeadLetter]:
    for n, line in _lines(path):
        if line is None:
            error = TooLarge(f"line longer than {MAX_INPUT_BYTES} bytes")
            yield _input_letter(error, path, n, None)
            continue
        if not line.strip():
            continue
        try:
            yield _from_record(json_loads_bounded(line.decode("utf-8", "replace")), when)
        except Exception as exc:  # noqa: BLE001 - one bad record is a dead letter, the run goes on
            yield _input_letter(exc, path, n, line)


def read_inputs(paths: Iterable[str | Path], fetched_at: datetime | None = None) -> Iterator[RawArticle | DeadLetter]:
    """Raw articles from files and JSONL records; input that cannot be read becomes a dead letter."""
    when = fetched_at or utcnow()
    for path in expand(paths):
        if path.name.endswith(".jsonl"):
            try:
                yield from _read_jsonl(path, when)
            except OSError as exc:  # the file itself (gone, unreadable)
                yield _input_letter(exc, path, None, None)
            continue
        try:
            yield _read_file(path, when)
        except Exception as exc:  # noqa: BLE001 - one bad file is a dead letter, the run goes on
            yield _input_letter(exc, path, None, None)


def summary_line(until: str, outputs: int, inputs: int, dead_letters: Iterable[DeadLetter]) -> str:
    """One line for the end of a run: what came out, and the dead letters by reason."""
    reasons = Counter(letter.reason for letter in dead_letters)
    total = sum(reasons.values())
    detail = f" ({', '.join(f'{r}: {n}' for r, n in sorted(reasons.items()))})" if total else ""
    return f"replay: {outputs} {until} message(s) from {inputs} input(s), {total} dead letter(s){detail}"


def _settings(stage: Stage[Any], database_url: str | None = None) -> BaseServiceSettings:
    """The stage's settings from the environment, except that replay never touches the configured
    database: an in-memory one, or the one named by ``database_url`` (a back-fill)."""
    settings: BaseServiceSettings = stage.settings()
    wanted = {**REPLAY_OVERRIDES, **({"database_url": SecretStr(database_url)} if database_url else {})}
    overrides = {k: v for k, v in wanted.items() if k in type(settings).model_fields}
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
    database_url: str | None = None  # the sink's store; None: in memory, gone when the replay ends
    dead_letters: list[DeadLetter] = field(default_factory=list)
    inputs: int = 0  # files and JSONL records read (or refused)
    outputs: dict[StageName, list[Message]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._steps: dict[StageName, Step] = {}

    def step(self, name: StageName) -> Step:
        """The stage's handler, built once per replay (the deduplicator and the sink keep state)."""
        if name not in self._steps:
            stage = PIPELINE[name]
            self._steps[name] = stage.build(_settings(stage, self.database_url), BuildContext(state={}, live=False))
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
            self.inputs += 1
            if isinstance(item, DeadLetter):
                self.dead_letters.append(item)
            else:
                messages.append(item)
        for name in STAGES:
            messages = self.stage(name, messages)
            if name == self.until:
                break
        return list(final_events(messages)) if self.until == "events" else messages


def enrich_records(rows: Sequence[dict[str, Any]]) -> list[EnrichedArticle]:
    """Labelled records through the cleaner and the extractor, one enriched article per record, for
    training the deduplicator on what it sees in production. A record the cleaner rejects keeps its
    raw text: it is still news with a gold event (what the cleaner does with it is its own concern)."""
    replay = Replay(until="extract")
    cleaned: list[Message] = []
    for row in rows:
        raw = _from_record(row, LABELLED_FETCHED_AT)
        out, letters = run_offline(CLEANER, replay.step("clean"), [raw])
        if letters or not out:
            out = [
                CleanArticle(
                    article_id=raw.article_id,
                    text=str(row["text"]),
                    title=row.get("title"),
                    url=row.get("url"),
                    published_at=raw.feed.published if raw.feed else None,
                    fetched_at=LABELLED_FETCHED_AT,
                    source_id=raw.source_id,
                )
            ]
        cleaned += out
    enriched, letters = run_offline(EXTRACTOR, replay.step("extract"), cleaned)
    if letters:
        raise RejectedInput(f"the extractor failed on {letters[0].article_id}: {letters[0].error}", reason="labelled")
    return [m for m in enriched if isinstance(m, EnrichedArticle)]
