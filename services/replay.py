"""Run the pipeline's stage logic in one process, without Kafka, on files.

Used for evaluation and backfills: the same ``clean``, ``Extractor``,
``Deduplicator`` and sink consolidation the services run, in the same order.

Input comes from anywhere, so each file and JSONL line is read within a budget
(:data:`MAX_INPUT_BYTES`, checked while decompressing; JSON nested at most
:data:`~shared.bounded.MAX_JSON_DEPTH` deep) and anything wrong with one input
becomes a dead letter with its reason: the run goes on with the others.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

from shared.bounded import TooLarge, gunzip_bounded, json_loads_bounded
from shared.contracts import (
    BodyEncoding,
    CleanArticle,
    DeadLetter,
    DedupDecision,
    EnrichedArticle,
    EventUpdate,
    FeedMetadata,
    Message,
    RawArticle,
    utcnow,
)
from shared.errors import RejectedInput
from shared.streaming import dead_letter_from, failure_letter

M = TypeVar("M", bound=Message)
T = TypeVar("T")
Stage = Literal["clean", "extract", "dedup", "events"]
STAGES: tuple[Stage, ...] = ("clean", "extract", "dedup", "events")
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


@dataclass
class Replay:
    """The stages, wired in process; holds the deduplicator's and the sink's state."""

    until: Stage = "events"
    dead_letters: list[DeadLetter] = field(default_factory=list)
    inputs: int = 0  # files and JSONL records read (or refused)

    def __post_init__(self) -> None:
        self._extractor: Any = None
        self._dedup: Any = None
        self._store: Any = None

    def _letter(self, stage: str, exc: Exception, message: Message) -> None:
        self.dead_letters.append(
            failure_letter(
                stage,
                exc,
                topic=message.TOPIC,
                partition=None,
                offset=None,
                key=message.key(),
                payload=message,
                article_id=getattr(message, "article_id", None),
            )
        )

    def _each(self, stage: str, step: Callable[[M], T], items: Iterable[M]) -> list[T]:
        """Apply one stage's logic to each item; failures become dead letters, as in the service."""
        out: list[T] = []
        for item in items:
            try:
                out.append(step(item))
            except Exception as exc:  # noqa: BLE001 - routed to dead letters like the service does
                self._letter(stage, exc, item)
        return out

    def clean(self, raws: Iterable[RawArticle]) -> list[CleanArticle]:
        from services.cleaner.logic import BoilerplateLearner, clean  # noqa: PLC0415

        learner = BoilerplateLearner()
        return self._each("cleaner", lambda raw: clean(raw, learner), raws)

    def extract(self, articles: list[CleanArticle]) -> list[EnrichedArticle]:
        from services.extractor.logic import Extractor  # noqa: PLC0415

        if self._extractor is None:
            self._extractor = Extractor()
        return self._each("extractor", self._extractor.extract, articles)

    def dedup(self, articles: list[EnrichedArticle]) -> list[DedupDecision]:
        from services.deduplicator.logic import Deduplicator  # noqa: PLC0415

        if self._dedup is None:
            self._dedup = Deduplicator()
        decided = self._each("deduplicator", self._dedup.process, articles)
        moved: list[DedupDecision] = self._dedup.drain_reassignments()
        return decided + moved  # moves come after the decisions they revise

    def events(self, decisions: list[DedupDecision]) -> list[EventUpdate]:
        from services.sink.apply import apply_decision  # noqa: PLC0415
        from services.sink.store import EventQuery, EventStore  # noqa: PLC0415

        if self._store is None:
            self._store = EventStore("sqlite:///:memory:")
        for decision in decisions:
            apply_decision(self._store, decision)
        events: list[EventUpdate] = self._store.events(EventQuery(limit=1_000_000))
        return sorted(events, key=lambda e: (e.first_seen, e.event_id))

    def run(self, paths: Iterable[str | Path]) -> list[Message]:
        raws: list[RawArticle] = []
        for item in read_inputs(paths):
            self.inputs += 1
            if isinstance(item, DeadLetter):
                self.dead_letters.append(item)
            else:
                raws.append(item)
        clean = self.clean(raws)
        if self.until == "clean":
            return list(clean)
        enriched = self.extract(clean)
        if self.until == "extract":
            return list(enriched)
        decisions = self.dedup(enriched)
        if self.until == "dedup":
            return list(decisions)
        return list(self.events(decisions))
