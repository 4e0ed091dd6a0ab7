"""Which documents were already published, and in which content version.

The state is a plain ``MutableMapping[str, dict]`` so that the fetcher can keep
it in a changelog-backed faust table (it survives restarts and moves with the
worker) while tests use a dict. Keys are ``u:<canonical url>`` for web pages and
``f:<absolute path>`` / ``r:<source>:<record id>`` for files and records; values
are JSON-serialisable dicts (the table's changelog stores them as JSON).

Policy: a document is published once per (key, content hash). When the same key
comes back with a different hash it is published again with ``version + 1`` and
the same ``article_id``, so downstream stages can treat it as an update.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any


def content_hash(data: bytes | str) -> str:
    """A short, stable digest of a document's content."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


@dataclass(frozen=True)
class SeenRecord:
    article_id: str
    content_hash: str
    version: int
    checked_at: float = 0.0  # when the document was last fetched (epoch seconds)
    etag: str | None = None
    last_modified: str | None = None
    marker: str | None = None  # what the listing said last time (feed `updated`, sitemap `lastmod`)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.article_id, "h": self.content_hash, "v": self.version, "t": self.checked_at}
        if self.etag:
            out["etag"] = self.etag
        if self.last_modified:
            out["lm"] = self.last_modified
        if self.marker:
            out["mk"] = self.marker
        return out

    @classmethod
    def from_json(cls, value: Any) -> SeenRecord | None:
        """Parse a stored value; ``None`` for anything malformed (treated as unseen)."""
        if not isinstance(value, dict):
            return None
        try:
            return cls(
                article_id=str(value["id"]),
                content_hash=str(value["h"]),
                version=max(1, int(value["v"])),
                checked_at=float(value.get("t", 0.0)),
                etag=value.get("etag"),
                last_modified=value.get("lm"),
                marker=value.get("mk"),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Decision:
    publish: bool
    version: int
    article_id: str
    reason: str  # "new", "changed", "unchanged"


class SeenState:
    """Publish-once decisions over a mapping that outlives the process."""

    def __init__(self, table: MutableMapping[str, Any]) -> None:
        self.table = table

    def get(self, key: str) -> SeenRecord | None:
        return SeenRecord.from_json(self.table.get(key))

    def decide(self, keys: Sequence[str] | str, digest: str, article_id: str) -> Decision:
        """Whether to publish the document known under ``keys`` whose content hashes to ``digest``.

        The first key with a record decides (a page reached through an alias,
        e.g. its AMP or ``www.`` URL, is the same document). The article id of a
        known document is kept across versions, so an update carries the id of
        the original even if the caller computed another.
        """
        record = None
        for key in [keys] if isinstance(keys, str) else keys:
            record = self.get(key)
            if record is not None:
                break
        if record is None:
            return Decision(True, 1, article_id, "new")
        if record.content_hash == digest:
            return Decision(False, record.version, record.article_id, "unchanged")
        return Decision(True, record.version + 1, record.article_id, "changed")

    def commit(
        self,
        keys: Sequence[str],
        decision: Decision,
        digest: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        marker: str | None = None,
        now: float | None = None,
    ) -> None:
        """Record the outcome of ``decide`` under every key (primary and aliases)."""
        record = SeenRecord(
            article_id=decision.article_id,
            content_hash=digest,
            version=decision.version,
            checked_at=time.time() if now is None else now,
            etag=etag,
            last_modified=last_modified,
            marker=marker,
        )
        value = record.to_json()
        for key in dict.fromkeys(keys):
            self.table[key] = value

    def touch(self, key: str, *, marker: str | None = None, now: float | None = None) -> None:
        """Note that ``key`` was checked (e.g. answered 304) without changing its version."""
        record = self.get(key)
        if record is None:
            return
        updated = SeenRecord(
            article_id=record.article_id,
            content_hash=record.content_hash,
            version=record.version,
            checked_at=time.time() if now is None else now,
            etag=record.etag,
            last_modified=record.last_modified,
            marker=marker if marker is not None else record.marker,
        )
        self.table[key] = updated.to_json()

    def needs_check(self, key: str, *, marker: str | None, recheck_seconds: float, now: float | None = None) -> bool:
        """Whether a listed document should be fetched now.

        Unknown keys always; known ones when the listing's marker (feed
        ``updated``, sitemap ``lastmod``) changed, or when the last check is
        older than ``recheck_seconds`` (conditional GET keeps that cheap).
        """
        record = self.get(key)
        if record is None:
            return True
        if marker is not None and marker != record.marker:
            return True
        current = time.time() if now is None else now
        return current - record.checked_at >= recheck_seconds

    def prune(self, older_than: float, prefix: str = "u:") -> int:
        """Forget web pages not seen since ``older_than`` (epoch seconds); returns how many.

        Only keys with ``prefix`` are pruned: web pages are the ones that grow
        without bound, and feeds stop listing an article long before the
        retention ends. Files are kept (a file still in a folder would be
        published again after a restart otherwise).
        """
        stale = []
        for key, value in list(self.table.items()):
            if not str(key).startswith(prefix):
                continue
            record = SeenRecord.from_json(value)
            if record is None or record.checked_at < older_than:
                stale.append(key)
        for key in stale:
            del self.table[key]
        return len(stale)
