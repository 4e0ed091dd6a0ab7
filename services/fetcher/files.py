"""Watched folders and single files: .txt, .html, .htm (optionally .gz), .json and .jsonl.

A folder is scanned on every poll; files whose size and modification time did
not change since the last scan are skipped without being read (the seen-state
would drop them anyway, this just saves the I/O). After a restart every file is
read once more and the durable seen-state keeps repeats from being published.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from services.fetcher.documents import Candidate, ContentType, make_candidate, record_candidate
from shared.bounded import json_loads_bounded
from shared.errors import RejectedInput
from shared.logging import get_logger

log = get_logger(__name__)

#: File name endings read from watched folders, longest first, and their type.
SUFFIXES: tuple[tuple[str, str], ...] = (
    (".html.gz", "text/html"),
    (".htm.gz", "text/html"),
    (".txt.gz", "text/plain"),
    (".jsonl", "jsonl"),
    (".json", "json"),
    (".html", "text/html"),
    (".htm", "text/html"),
    (".txt", "text/plain"),
)


def file_kind(path: Path) -> tuple[str, str] | None:
    """(matched suffix, kind) for a readable document name, else ``None``."""
    name = path.name.lower()
    for suffix, kind in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffix, kind
    return None


def file_article_id(path: Path) -> str:
    """The file name without its document extensions: ``000_ab12.html.gz`` → ``000_ab12``."""
    matched = file_kind(path)
    return path.name[: -len(matched[0])] if matched else path.stem


def read_limited(path: Path, max_bytes: int, *, gzipped: bool) -> bytes:
    """The file's bytes (decompressed), refusing anything over ``max_bytes``."""
    if path.stat().st_size > max_bytes:
        raise RejectedInput(f"{path.name} is larger than {max_bytes} bytes", reason="too_large")
    if not gzipped:
        return path.read_bytes()
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise RejectedInput(f"{path.name} is not valid gzip: {exc}", reason="invalid_gzip") from exc
    if len(data) > max_bytes:
        raise RejectedInput(f"{path.name} decompresses to more than {max_bytes} bytes", reason="too_large")
    return data


@dataclass
class FileStats:
    """What reading one file produced, for health and logs."""

    candidates: int = 0
    invalid_records: int = 0
    errors: list[str] = field(default_factory=list)


def read_file(path: Path, source_id: str, max_bytes: int, stats: FileStats | None = None) -> Iterator[Candidate]:
    """Candidates from one file; invalid JSONL lines are counted and logged, never raised.

    Raises :class:`RejectedInput` (or ``OSError``) for a file that cannot be
    used at all; the caller logs it and carries on with the next file.
    """
    stats = stats if stats is not None else FileStats()
    matched = file_kind(path)
    if matched is None:
        raise RejectedInput(f"{path.name}: unsupported file type", reason="unsupported_file")
    suffix, kind = matched
    resolved = path.resolve()
    key = f"f:{resolved}"
    stem = file_article_id(path)
    if kind == "jsonl":
        yield from _read_jsonl(resolved, source_id, stem, stats)
        return
    raw = read_limited(resolved, max_bytes, gzipped=suffix.endswith(".gz"))
    if kind == "json":
        try:
            data = json_loads_bounded(raw)  # nesting checked: a RecursionError would fail the whole folder
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RejectedInput(f"{path.name} is not valid JSON: {exc}", reason="invalid_json") from exc
        records = data if isinstance(data, list) else [data]
        for i, record in enumerate(records):
            try:
                cand = record_candidate(record, source_id=source_id, key_prefix=key, fallback_id=f"{stem}-{i}")
            except RejectedInput as exc:
                stats.invalid_records += 1
                log.warning("invalid_record", file=str(resolved), index=i, reason=exc.reason, error=str(exc))
                continue
            stats.candidates += 1
            yield cand
        return
    content_type: ContentType = "text/html" if kind == "text/html" else "text/plain"
    stats.candidates += 1
    yield make_candidate(keys=(key,), article_id=stem, source_id=source_id, raw=raw, content_type=content_type)


def _read_jsonl(path: Path, source_id: str, stem: str, stats: FileStats) -> Iterator[Candidate]:
    key = f"f:{path}"
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, start=1):
            cand = parse_jsonl_line(line, source_id=source_id, key_prefix=key, fallback_id=f"{stem}-{lineno}")
            if cand is None:
                if line.strip():
                    stats.invalid_records += 1
                continue
            stats.candidates += 1
            yield cand


def parse_jsonl_line(line: bytes, *, source_id: str, key_prefix: str, fallback_id: str) -> Candidate | None:
    """One JSONL line as a candidate; ``None`` (logged) for blank or invalid lines."""
    if not line.strip():
        return None
    try:
        record = json_loads_bounded(line)
        return record_candidate(record, source_id=source_id, key_prefix=key_prefix, fallback_id=fallback_id)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("invalid_jsonl_line", source=source_id, line=fallback_id, reason="invalid_json", error=str(exc))
    except RejectedInput as exc:
        log.warning("invalid_jsonl_line", source=source_id, line=fallback_id, reason=exc.reason, error=str(exc))
    return None


@dataclass
class FolderWatcher:
    """Scans one folder, reading only files that are new or changed since the last scan."""

    folder: Path
    source_id: str
    max_bytes: int
    recursive: bool = False
    _stamps: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def scan(self, stats: FileStats) -> Iterator[Candidate]:
        """Candidates of new or changed files, in name order; unreadable files are logged and skipped."""
        if not self.folder.is_dir():
            raise FileNotFoundError(f"watched folder {self.folder} does not exist")
        pattern = "**/*" if self.recursive else "*"
        present: set[Path] = set()
        for path in sorted(self.folder.glob(pattern)):
            if path.name.startswith(".") or file_kind(path) is None or not path.is_file():
                continue
            present.add(path)
            try:
                st = path.stat()
            except OSError as exc:
                stats.errors.append(f"{path.name}: {exc}")
                continue
            stamp = (st.st_mtime_ns, st.st_size)
            if self._stamps.get(path) == stamp:
                continue
            try:
                yield from read_file(path, self.source_id, self.max_bytes, stats)
            except (OSError, RejectedInput) as exc:
                reason = exc.reason if isinstance(exc, RejectedInput) else "unreadable_file"
                stats.errors.append(f"{path.name}: {exc}")
                log.warning("file_skipped", file=str(path), reason=reason, error=str(exc))
            self._stamps[path] = stamp
        for gone in set(self._stamps) - present:
            del self._stamps[gone]

    def forget(self) -> None:
        """Re-read every file on the next scan (after a failed publish, nothing is lost)."""
        self._stamps.clear()
