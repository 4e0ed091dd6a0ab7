"""The sources file: one TOML document listing every source and its poll interval.

Example (see ``deploy/sources.example.toml``)::

    [[sources]]
    id = "bbc-world"
    kind = "feed"            # feed | sitemap | urls | folder | jsonl | auto
    url = "https://feeds.bbci.co.uk/news/world/rss.xml"
    interval = 300           # seconds between polls

The file is re-read when its modification time or size changes, so adding or
removing a source takes effect without a restart. A file that does not parse
keeps the previous configuration (and is logged), so a typo never stops the
sources that were already running.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.errors import ConfigError
from shared.logging import get_logger

log = get_logger(__name__)

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")


class SourceKind(StrEnum):
    FEED = "feed"  # RSS 0.9x/1.0/2.0 or Atom
    SITEMAP = "sitemap"  # news sitemap, sitemap or sitemap index
    URLS = "urls"  # a plain list of article URLs (inline or one per line in a file)
    FOLDER = "folder"  # a watched folder of .txt/.html/.html.gz/.json/.jsonl files (or one such file)
    JSONL = "jsonl"  # replay of a JSONL file of records, rate limited
    AUTO = "auto"  # a URL whose kind (feed, sitemap or article page) is judged from its content


_KIND_ALIASES = {"rss": "feed", "atom": "feed", "news_sitemap": "sitemap", "url_list": "urls", "dir": "folder"}


class SourceConfig(BaseModel):
    """One source. Only the fields that make sense for its kind are used."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: SourceKind
    url: str | None = None  # feed / sitemap
    urls: tuple[str, ...] = ()  # urls (inline)
    path: Path | None = None  # folder, jsonl, or a file of URLs for kind=urls
    interval: float | None = Field(default=None, gt=0)
    enabled: bool = True
    allow_private: bool = False  # allow every loopback/private/link-local address (intranets)
    allow_networks: tuple[str, ...] = ()  # or only these CIDRs, e.g. ["127.0.0.1/32"] for a local test server
    outlet: str | None = None  # outlet name put on every article; default: the host name
    rate: float = Field(default=50.0, gt=0, description="jsonl: records per second")
    loop: bool = False  # jsonl: start again at the end of the file (load tests)
    recursive: bool = False  # folder: descend into sub-folders
    fetch_pages: bool = True  # feed/sitemap: fetch each entry's page (else publish the feed summary)
    max_items: int | None = Field(default=None, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("kind"), str):
            kind = data["kind"].strip().lower()
            data = {**data, "kind": _KIND_ALIASES.get(kind, kind)}
        return data

    @model_validator(mode="after")
    def _check(self) -> SourceConfig:
        if not _ID_RE.match(self.id):
            raise ValueError(f"source id {self.id!r}: use letters, digits, . _ : - (at most 100)")
        if self.kind in (SourceKind.FEED, SourceKind.SITEMAP, SourceKind.AUTO) and not self.url:
            raise ValueError(f"source {self.id}: kind {self.kind} needs url")
        if self.kind is SourceKind.URLS and not (self.urls or self.path):
            raise ValueError(f"source {self.id}: kind urls needs urls = [...] or path")
        if self.kind in (SourceKind.FOLDER, SourceKind.JSONL) and self.path is None:
            raise ValueError(f"source {self.id}: kind {self.kind} needs path")
        for cidr in self.allow_networks:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                raise ValueError(f"source {self.id}: allow_networks: {exc}") from exc
        return self

    def poll_interval(self, default: float) -> float:
        return self.interval if self.interval is not None else default


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: dict[str, Any] = Field(default_factory=dict)
    sources: list[SourceConfig] = Field(default_factory=list)


def parse_sources(text: str, *, base_dir: Path | None = None) -> list[SourceConfig]:
    """Parse a sources document; relative paths are resolved against ``base_dir``.

    ``[defaults]`` values (e.g. ``interval``, ``allow_private``) apply to every
    source that does not set them. Raises :class:`ConfigError` with the reason.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"sources file is not valid TOML: {exc}", reason="invalid_toml") from exc
    defaults = raw.get("defaults", {})
    items = raw.get("sources", [])
    if not isinstance(defaults, dict) or not isinstance(items, list):
        raise ConfigError("expected [defaults] table and [[sources]] array", reason="invalid_sources")
    merged = [{**defaults, **item} if isinstance(item, dict) else item for item in items]
    try:
        parsed = SourcesFile.model_validate({"sources": merged})
    except ValidationError as exc:
        raise ConfigError(f"invalid sources file: {exc}", reason="invalid_sources") from exc
    seen: set[str] = set()
    out: list[SourceConfig] = []
    for src in parsed.sources:
        if src.id in seen:
            raise ConfigError(f"duplicate source id {src.id!r}", reason="duplicate_source")
        seen.add(src.id)
        if src.path is not None and base_dir is not None and not src.path.is_absolute():
            out.append(src.model_copy(update={"path": base_dir / src.path}))
        else:
            out.append(src)
    return out


def default_sources(watch_dir: Path, interval: float = 5.0) -> list[SourceConfig]:
    """The configuration used without a sources file: one watched folder."""
    return [SourceConfig(id="samples", kind=SourceKind.FOLDER, path=watch_dir, interval=interval)]


@dataclass
class SourcesLoader:
    """Re-reads the sources file when it changes; keeps the last good configuration."""

    path: Path | None
    watch_dir: Path
    watch_interval: float = 5.0
    _stamp: tuple[int, int] | None = None
    _sources: list[SourceConfig] | None = None

    def load(self) -> tuple[list[SourceConfig], bool]:
        """The current sources, and whether they changed since the last call."""
        if self.path is None:
            if self._sources is None:
                self._sources = default_sources(self.watch_dir, self.watch_interval)
                return self._sources, True
            return self._sources, False
        try:
            st = self.path.stat()
        except OSError as exc:
            if self._sources is None:
                log.error("sources_file_unreadable", path=str(self.path), error=str(exc))
                self._sources = []
                return self._sources, True
            return self._sources, False
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp and self._sources is not None:
            return self._sources, False
        self._stamp = stamp
        try:
            sources = parse_sources(self.path.read_text(encoding="utf-8"), base_dir=self.path.parent)
        except (OSError, UnicodeDecodeError, ConfigError) as exc:
            log.error("sources_file_invalid", path=str(self.path), error=str(exc)[:1000])
            if self._sources is None:
                self._sources = []
                return self._sources, True
            return self._sources, False
        changed = sources != self._sources
        self._sources = sources
        if changed:
            log.info("sources_loaded", path=str(self.path), count=len(sources), ids=[s.id for s in sources])
        return sources, changed


@dataclass
class StaticSources:
    """A fixed list of sources (CLI runs, tests): reported as changed only on the first load."""

    sources: list[SourceConfig]
    _given: bool = False

    def load(self) -> tuple[list[SourceConfig], bool]:
        changed, self._given = not self._given, True
        return self.sources, changed


class SourcesProvider(Protocol):
    def load(self) -> tuple[list[SourceConfig], bool]: ...
