"""Command-line helpers (wired into the ``wirewatch`` console script by ``services/cli.py``).

``fetch_once`` runs the fetcher's own logic once, without Kafka, over sources
named on the command line; ``sources_health`` shows each configured source and,
when the running fetcher's web endpoint answers, its health.
"""

from __future__ import annotations

import asyncio
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from services.fetcher.context import PollStats
from services.fetcher.runner import Fetcher
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceConfig, SourceKind, SourcesLoader, StaticSources
from shared.contracts import DeadLetter, RawArticle
from shared.contracts.text import terminal_safe
from shared.errors import ConfigError

#: JSONL files named on the command line are read as fast as they can be.
CLI_REPLAY_RATE = 1_000_000.0


def source_from_arg(arg: str, index: int, *, allow_private: bool = False) -> SourceConfig:
    """A source for one command-line argument: a URL, a folder, a JSONL file or another file."""
    sid = f"cli-{index}"
    if arg.lower().startswith(("http://", "https://")):
        return SourceConfig(id=sid, kind=SourceKind.AUTO, url=arg, allow_private=allow_private)
    path = Path(arg).expanduser()
    if not path.exists():
        raise ConfigError(f"{arg}: no such file or folder, and not an http(s) URL", reason="invalid_source")
    if path.is_file() and path.name.lower().endswith(".jsonl"):
        return SourceConfig(id=sid, kind=SourceKind.JSONL, path=path, rate=CLI_REPLAY_RATE)
    return SourceConfig(id=sid, kind=SourceKind.FOLDER, path=path, recursive=path.is_dir())


@dataclass
class FetchOnceRun:
    """What one ``fetch --once`` did: the articles, the sources that failed and each source's counts."""

    articles: list[RawArticle] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)  # listed items that failed for good
    sources: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # source id -> last error
    stats: dict[str, PollStats] = field(default_factory=dict)

    def total(self, count: str) -> int:
        """One :class:`PollStats` count summed over the sources that polled."""
        return sum(int(getattr(s, count)) for s in self.stats.values())

    @property
    def problems(self) -> int:
        """Items that were refused, failed or left for later in the sources that did poll."""
        return self.total("invalid") + self.total("item_errors") + self.total("deferred")

    def summary(self) -> str:
        return (
            f"fetch: {len(self.articles)} article(s) from {self.sources} source(s); {len(self.failed)} source(s) "
            f"failed, {self.total('item_errors')} item error(s), {self.total('invalid')} invalid, "
            f"{self.total('deferred')} deferred"
        )


async def fetch_once_run(
    sources: list[str], *, allow_private: bool = False, settings: FetcherSettings | None = None
) -> FetchOnceRun:
    """Poll every named source once; the articles that would be published (each document once) and the failures."""
    configs = [source_from_arg(arg, i, allow_private=allow_private) for i, arg in enumerate(sources)]
    run = FetchOnceRun(sources=len(configs))

    async def collect(article: RawArticle) -> None:
        run.articles.append(article)

    async def reject(letter: DeadLetter) -> None:
        run.dead_letters.append(letter)

    fetcher = Fetcher(
        settings or FetcherSettings(), collect, seen_table={}, loader=StaticSources(configs), dead_letter=reject
    )
    try:
        await fetcher.run_once()
        for sid, task in fetcher.tasks.items():
            if task.done() and not task.cancelled() and task.exception() is None:
                run.stats[sid] = task.result()
    finally:
        await fetcher.aclose()
    for sid, health in fetcher.health.all().items():
        if health.consecutive_failures:
            run.failed[sid] = health.last_error or "failed"
    return run


async def fetch_once_async(
    sources: list[str], *, allow_private: bool = False, settings: FetcherSettings | None = None
) -> list[RawArticle]:
    """Poll every named source once and return what would be published; source errors go to stderr."""
    run = await fetch_once_run(sources, allow_private=allow_private, settings=settings)
    for sid, error in sorted(run.failed.items()):
        print(f"{sid}: {terminal_safe(error)}", file=sys.stderr)
    return run.articles


def fetch_once(
    sources: list[str], *, allow_private: bool = False, settings: FetcherSettings | None = None
) -> Iterator[RawArticle]:
    """Articles from SOURCES (URL of a feed/sitemap/page, folder, file or JSONL file), fetched now.

    Runs the fetcher's logic (safety checks, robots.txt, canonical URLs,
    publish-once) without Kafka. Errors of a source are printed to stderr;
    a source that is neither a URL nor an existing path raises ``ConfigError``.
    """
    yield from asyncio.run(fetch_once_async(sources, allow_private=allow_private, settings=settings))


def _remote_health(url: str, timeout: float = 2.0) -> dict[str, dict[str, Any]] | None:
    """Health rows from a running fetcher's ``/fetcher/health`` page, or ``None`` when unreachable."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # local admin endpoint, not user input
            payload = json.loads(response.read(5_000_000))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    rows = payload.get("sources", []) if isinstance(payload, dict) else []
    return {str(r.get("source_id")): r for r in rows if isinstance(r, dict)}


def _when(epoch: Any) -> str:
    if not isinstance(epoch, int | float):
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def sources_health(
    sources_file: Path | None = None,
    *,
    health_url: str | None = None,
    settings: FetcherSettings | None = None,
    out: TextIO | None = None,
) -> list[dict[str, Any]]:
    """Print each configured source and its health; returns the rows printed.

    Sources come from ``sources_file`` (default: the settings' file, or the
    default watched folder). Health comes from the running fetcher's web page
    (``health_url``, default ``http://<web_host>:<web_port>/fetcher/health``
    when a fixed port is configured); without it, only the configuration shows.
    """
    settings = settings or FetcherSettings()
    stream = out or sys.stdout
    loader = SourcesLoader(sources_file or settings.sources_file, settings.watch_dir, settings.poll_interval)
    configured, _ = loader.load()
    if health_url is None and settings.web_port:
        health_url = f"http://{settings.web_host}:{settings.web_port}/fetcher/health"
    remote = _remote_health(health_url) if health_url else None
    rows: list[dict[str, Any]] = []
    for src in configured:
        h = (remote or {}).get(src.id, {})
        rows.append(
            {
                "id": src.id,
                "kind": str(src.kind),
                "target": src.url or (str(src.path) if src.path else f"{len(src.urls)} urls"),
                "interval": src.poll_interval(settings.default_interval),
                "enabled": src.enabled,
                "status": h.get("status", "unknown" if remote is None else "pending"),
                "last_success": h.get("last_success"),
                "consecutive_failures": h.get("consecutive_failures", 0),
                "items_published": h.get("items_published", 0),
                "http_status": h.get("http_status", {}),
                "last_error": h.get("last_error"),
            }
        )
    if remote is None:
        print("(fetcher health endpoint not reachable: showing configuration only)", file=stream)
    header = f"{'SOURCE':<24} {'KIND':<8} {'STATUS':<8} {'EVERY':>6} {'PUBLISHED':>9} {'FAILS':>5}  LAST SUCCESS"
    print(header, file=stream)
    for r in rows:
        print(
            f"{r['id'][:24]:<24} {r['kind']:<8} {r['status']:<8} {r['interval']:>5.0f}s {r['items_published']:>9} "
            f"{r['consecutive_failures']:>5}  {_when(r['last_success'])}",
            file=stream,
        )
        if r["last_error"]:
            print(f"{'':<24} last error: {terminal_safe(str(r['last_error']))}", file=stream)
    return rows
