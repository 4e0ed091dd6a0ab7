"""Run the pipeline's stage logic in one process, without Kafka, on files.

Used for evaluation and backfills: the same ``clean``, ``Extractor``,
``Deduplicator`` and sink consolidation the services run, in the same order.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import ValidationError

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
from shared.streaming import dead_letter_from, failure_letter

M = TypeVar("M", bound=Message)
T = TypeVar("T")
Stage = Literal["clean", "extract", "dedup", "events"]
STAGES: tuple[Stage, ...] = ("clean", "extract", "dedup", "events")
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


@dataclass
class Replay:
    """The stages, wired in process; holds the deduplicator's and the sink's state."""

    until: Stage = "events"
    dead_letters: list[DeadLetter] = field(default_factory=list)

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
        from shared.eventstore import EventQuery, EventWriter  # noqa: PLC0415

        if self._store is None:
            self._store = EventWriter("sqlite:///:memory:")
        for decision in decisions:
            apply_decision(self._store, decision)
        events: list[EventUpdate] = self._store.events(EventQuery(limit=1_000_000))
        return sorted(events, key=lambda e: (e.first_seen, e.event_id))

    def run(self, paths: Iterable[str | Path]) -> list[Message]:
        raws: list[RawArticle] = []
        for item in read_inputs(paths):
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
