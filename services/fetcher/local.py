"""Pollers for local sources: watched folders and rate-limited JSONL replay."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from services.fetcher.context import PollContext
from services.fetcher.documents import renamed
from services.fetcher.files import FileStats, FolderWatcher, file_article_id, parse_jsonl_line, read_file
from shared.logging import get_logger

log = get_logger(__name__)

#: A looping replay yields back to the scheduler after this long, so its health gets written.
REPLAY_SLICE_SECONDS = 60.0


class FolderPoller:
    """Publishes new and changed files of a watched folder."""

    def __init__(self, folder: Path, source_id: str, max_bytes: int, recursive: bool = False) -> None:
        self.watcher = FolderWatcher(folder, source_id, max_bytes, recursive)

    async def poll(self, ctx: PollContext) -> None:
        stats = FileStats()
        try:
            for candidate in self.watcher.scan(stats):
                await ctx.emit(candidate)
                await asyncio.sleep(0)  # let other sources run between files
        except BaseException:
            self.watcher.forget()  # whatever was not published is read again next time
            raise
        finally:
            ctx.stats.invalid += stats.invalid_records
            ctx.stats.item_errors += len(stats.errors)
            if stats.invalid_records:
                ctx.health.record_invalid(ctx.source.id, "invalid_record", stats.invalid_records)


class FilePoller:
    """Publishes one file (a folder source whose path is a file), again when it changes."""

    def __init__(self, path: Path, source_id: str, max_bytes: int) -> None:
        self.path = path
        self.source_id = source_id
        self.max_bytes = max_bytes
        self._stamp: tuple[int, int] | None = None

    async def poll(self, ctx: PollContext) -> None:
        st = self.path.stat()  # a missing file fails the poll: the source is reported and backed off
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        stats = FileStats()
        try:
            for candidate in read_file(self.path, self.source_id, self.max_bytes, stats):
                await ctx.emit(candidate)
        finally:
            ctx.stats.invalid += stats.invalid_records
            if stats.invalid_records:
                ctx.health.record_invalid(ctx.source.id, "invalid_record", stats.invalid_records)
        self._stamp = stamp


@dataclass
class ReplayPoller:
    """Replays a JSONL file at ``rate`` records per second, remembering its position.

    Only complete lines are consumed, so a file that is still being appended to
    is followed like ``tail -f``. With ``loop`` the file starts over at its end
    and every pass publishes copies with a ``~<pass>`` id suffix (load tests).
    """

    path: Path
    source_id: str
    rate: float
    loop: bool = False
    position: int = 0
    lineno: int = 0
    passes: int = 0

    async def poll(self, ctx: PollContext) -> None:
        started = time.monotonic()
        sent = 0
        key = f"f:{self.path.resolve()}"
        stem = file_article_id(self.path)
        while True:
            pass_start = sent
            with self.path.open("rb") as fh:
                fh.seek(self.position)
                for line in fh:
                    if not line.endswith(b"\n"):
                        break  # partial last line: wait for the writer to finish it
                    self.position += len(line)
                    self.lineno += 1
                    cand = parse_jsonl_line(
                        line, source_id=self.source_id, key_prefix=key, fallback_id=f"{stem}-{self.lineno}"
                    )
                    if cand is None:
                        if line.strip():
                            ctx.stats.invalid += 1
                            ctx.health.record_invalid(self.source_id, "invalid_jsonl_line")
                        continue
                    if self.passes:
                        cand = renamed(cand, f"~{self.passes}")
                    if not await ctx.emit(cand):
                        if self.lineno % 256 == 0:
                            await asyncio.sleep(0)  # skipping a long seen stretch must not starve other sources
                        continue  # already published (e.g. before a restart): no need to wait for it
                    sent += 1
                    ahead = started + sent / self.rate - time.monotonic()
                    await asyncio.sleep(max(0.0, ahead))
            if not self.loop or time.monotonic() - started > REPLAY_SLICE_SECONDS:
                return
            if sent == pass_start:
                return  # this pass published nothing: do not spin over an empty or invalid file
            self.position, self.lineno = 0, 0
            self.passes += 1
