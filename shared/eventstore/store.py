"""Where consolidated events live: SQLite by default, PostgreSQL for scale.

The sink is the only writer (:class:`EventWriter`: it creates the schema and
applies upserts); the API, the CLI and the tools read through
:class:`EventReader`, which runs no DDL and opens a read-only connection
(SQLite ``mode=ro``; a PostgreSQL session whose transactions are read only),
so a database role with only SELECT can serve them.

Both databases speak the same SQL (``INSERT … ON CONFLICT DO UPDATE``); writes
are upserts keyed by article id and event id, so a replayed decision changes
nothing. The sink applies a batch of decisions in one transaction, each in a savepoint.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from shared.contracts import DedupDecision, EventUpdate, utcnow
from shared.errors import ConfigError, StoreNotReady

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS articles (
        article_id TEXT PRIMARY KEY, version INTEGER NOT NULL, event_id TEXT NOT NULL,
        decision TEXT NOT NULL, stored_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS articles_event ON articles (event_id)",
    """CREATE TABLE IF NOT EXISTS events (
        event_id TEXT PRIMARY KEY, revision INTEGER NOT NULL, title TEXT, search_text TEXT,
        event_date TEXT, first_seen TEXT NOT NULL, last_updated TEXT NOT NULL,
        n_sources INTEGER NOT NULL, merged_into TEXT, doc TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS events_updated ON events (last_updated)",
    """CREATE TABLE IF NOT EXISTS event_entities (
        event_id TEXT NOT NULL, entity_id TEXT NOT NULL, name TEXT NOT NULL,
        PRIMARY KEY (event_id, entity_id))""",
    "CREATE INDEX IF NOT EXISTS event_entities_entity ON event_entities (entity_id)",
    """CREATE TABLE IF NOT EXISTS merges (
        from_event TEXT PRIMARY KEY, into_event TEXT NOT NULL, merged_at TEXT NOT NULL)""",
]

#: ``EventReader.snapshot``: each table's rows in key order, without the wall-clock columns
_SNAPSHOT = [
    "SELECT article_id, version, event_id, decision FROM articles ORDER BY article_id",
    "SELECT event_id, revision, title, search_text, event_date, first_seen, last_updated, n_sources,"
    " merged_into, doc FROM events ORDER BY event_id",
    "SELECT event_id, entity_id, name FROM event_entities ORDER BY event_id, entity_id",
    "SELECT from_event, into_event FROM merges ORDER BY from_event",
]


def like_pattern(fragment: str) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern matching ``fragment`` literally anywhere: ``%`` and ``_`` are no wildcards."""
    escaped = fragment.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class EventQuery:
    entity: str | None = None  # entity id ("person:vladimir-putin") or a name fragment
    text: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    min_sources: int = 1
    include_merged: bool = False
    limit: int = 50
    offset: int = 0


def _connect(url: str, *, read_only: bool) -> tuple[Any, str]:
    """A DB-API connection in autocommit mode and its parameter placeholder."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if read_only:
            if path == ":memory:":
                raise ConfigError("a read-only store needs a database file, not sqlite:///:memory:")
            # mode=ro: the file must exist (the sink creates it) and nothing here can write to it
            uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False)
            return conn, "?"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn, "?"
    if url.startswith(("postgresql://", "postgres://")):
        try:
            import psycopg  # noqa: PLC0415 - optional dependency
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigError("PostgreSQL needs `pip install wirewatch[postgres]`") from exc
        pg: Any = psycopg.connect(url, autocommit=True)
        if read_only:
            pg.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        return pg, "%s"
    raise ConfigError(f"unsupported database url {url.split(':', 1)[0]!r}: use sqlite:/// or postgresql://")


def _missing_table(exc: Exception) -> bool:
    """SQLite's "no such table" or PostgreSQL's undefined_table (SQLSTATE 42P01)."""
    if isinstance(exc, sqlite3.OperationalError):
        return str(exc).startswith("no such table")
    return getattr(exc, "sqlstate", None) == "42P01"


class EventReader:
    """Read-only access to the event store: no DDL, no writes (the sink owns both)."""

    read_only = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn, self.placeholder = _connect(url, read_only=self.read_only)

    def close(self) -> None:
        self.conn.close()

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self.conn.execute(self._sql(sql), tuple(params))
        except Exception as exc:
            # a reader can open the database between the sink creating the file and its tables
            # (or before the sink ever ran against it): say so, instead of a driver error
            if self.read_only and _missing_table(exc):
                raise StoreNotReady(
                    f"the event store has no tables yet (the sink creates them when it starts): {exc}"
                ) from exc
            raise

    def article(self, article_id: str) -> DedupDecision | None:
        row = self.execute("SELECT decision FROM articles WHERE article_id = ?", (article_id,)).fetchone()
        return DedupDecision.model_validate_json(row[0]) if row else None

    def articles_of(self, event_id: str) -> list[DedupDecision]:
        rows = self.execute("SELECT decision FROM articles WHERE event_id = ? ORDER BY article_id", (event_id,))
        return [DedupDecision.model_validate_json(r[0]) for r in rows.fetchall()]

    def article_documents(self, event_id: str) -> list[str]:
        """The stored decisions of an event's articles as JSON, undecoded (the sink keeps them decoded)."""
        rows = self.execute("SELECT decision FROM articles WHERE event_id = ? ORDER BY article_id", (event_id,))
        return [r[0] for r in rows.fetchall()]

    def merged_from(self, event_id: str) -> list[str]:
        rows = self.execute("SELECT from_event FROM merges WHERE into_event = ? ORDER BY from_event", (event_id,))
        return [r[0] for r in rows.fetchall()]

    def event(self, event_id: str) -> EventUpdate | None:
        document = self.event_document(event_id)
        return EventUpdate.model_validate_json(document) if document is not None else None

    def event_document(self, event_id: str) -> str | None:
        """An event's stored record as JSON, undecoded."""
        row = self.execute("SELECT doc FROM events WHERE event_id = ?", (event_id,)).fetchone()
        return str(row[0]) if row else None

    def events(self, query: EventQuery | None = None) -> list[EventUpdate]:
        q = query or EventQuery()
        where = ["n_sources >= ?"]
        params: list[Any] = [q.min_sources]
        if not q.include_merged:
            where.append("merged_into IS NULL")
        if q.text:
            where.append("search_text LIKE ? ESCAPE '\\'")
            params.append(like_pattern(q.text))
        if q.date_from:
            where.append("event_date >= ?")
            params.append(q.date_from.isoformat())
        if q.date_to:
            where.append("event_date <= ?")
            params.append(q.date_to.isoformat())
        if q.entity:
            where.append(
                "event_id IN (SELECT event_id FROM event_entities WHERE entity_id = ? OR name LIKE ? ESCAPE '\\')"
            )
            params += [q.entity, like_pattern(q.entity)]
        sql = (
            f"SELECT doc FROM events WHERE {' AND '.join(where)} ORDER BY last_updated DESC, event_id LIMIT ? OFFSET ?"
        )
        rows = self.execute(sql, [*params, q.limit, q.offset]).fetchall()
        return [EventUpdate.model_validate_json(r[0]) for r in rows]

    def stored_since(self, since_iso: str) -> int:
        """Articles the sink stored at or after this UTC time (ISO 8601, as ``stored_at`` is written)."""
        return int(self.execute("SELECT COUNT(*) FROM articles WHERE stored_at >= ?", (since_iso,)).fetchone()[0])

    def stored_per_hour(self, since: datetime) -> dict[str, int]:
        """Articles stored per UTC hour ("YYYY-MM-DDTHH") since then: the ingestion rate."""
        rows = self.execute(
            "SELECT substr(stored_at, 1, 13) AS hour, COUNT(*) FROM articles WHERE stored_at >= ? GROUP BY hour",
            (since.isoformat(),),
        ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def count_events(self) -> int:
        return int(self.execute("SELECT COUNT(*) FROM events WHERE merged_into IS NULL").fetchone()[0])

    def snapshot(self) -> list[tuple[Any, ...]]:
        """Every stored row but the wall-clock columns (``stored_at``, ``merged_at``), in key order:
        two stores fed the same decisions compare equal (replay and migration checks)."""
        return [tuple(row) for sql in _SNAPSHOT for row in self.execute(sql).fetchall()]

    def version(self) -> str:
        """A token that changes whenever any event is added, revised or merged (reads the whole table)."""
        row = self.execute("SELECT COUNT(*), MAX(last_updated), SUM(revision) FROM events").fetchone()
        return f"{row[0]}:{row[1] or ''}:{row[2] or 0}"


class EventWriter(EventReader):
    """The sink's side: creates the schema on open and applies upserts, one transaction per batch."""

    read_only = False

    def __init__(self, url: str) -> None:
        super().__init__(url)
        for statement in SCHEMA:
            self.conn.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: what fails in the block is rolled back alone, the rest of the transaction stays."""
        self.conn.execute("SAVEPOINT step")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK TO SAVEPOINT step")
            self.conn.execute("RELEASE SAVEPOINT step")
            raise
        self.conn.execute("RELEASE SAVEPOINT step")

    def put_article(self, decision: DedupDecision) -> None:
        self.execute(
            """INSERT INTO articles (article_id, version, event_id, decision, stored_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (article_id) DO UPDATE SET version = excluded.version, event_id = excluded.event_id,
               decision = excluded.decision, stored_at = excluded.stored_at""",
            (
                decision.article_id,
                decision.article.article.version,
                decision.event_id,
                decision.model_dump_json(),
                utcnow().isoformat(),
            ),
        )

    def move_articles(self, from_event: str, into_event: str) -> int:
        moved = self.execute("SELECT article_id FROM articles WHERE event_id = ?", (from_event,)).fetchall()
        self.execute("UPDATE articles SET event_id = ? WHERE event_id = ?", (into_event, from_event))
        self.execute(
            """INSERT INTO merges (from_event, into_event, merged_at) VALUES (?, ?, ?)
               ON CONFLICT (from_event) DO UPDATE SET into_event = excluded.into_event""",
            (from_event, into_event, utcnow().isoformat()),
        )
        return len(moved)

    def put_event(self, event: EventUpdate) -> str:
        """Upsert the event's record and its entity rows; return the record as stored (JSON)."""
        search = " ".join(filter(None, [event.title, event.summary])).lower()
        document = event.model_dump_json()
        self.execute(
            """INSERT INTO events (event_id, revision, title, search_text, event_date, first_seen, last_updated,
                   n_sources, merged_into, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (event_id) DO UPDATE SET revision = excluded.revision, title = excluded.title,
               search_text = excluded.search_text, event_date = excluded.event_date,
               first_seen = excluded.first_seen, last_updated = excluded.last_updated,
               n_sources = excluded.n_sources, merged_into = excluded.merged_into, doc = excluded.doc""",
            (
                event.event_id,
                event.revision,
                event.title,
                search,
                event.event_date.isoformat() if event.event_date else None,
                event.first_seen.isoformat(),
                event.last_updated.isoformat(),
                len(event.sources),
                event.merged_into,
                document,
            ),
        )
        self._put_entities(event)
        return document

    def _put_entities(self, event: EventUpdate) -> None:
        """The event's entity rows, one per entity id (the first of an id wins); left alone when they
        already are these rows: most revisions of an event change its counts, not its entities."""
        wanted: dict[str, str] = {}
        for entity in [*event.actors, *event.places]:
            wanted.setdefault(entity.id, entity.name.lower())
        rows = self.execute("SELECT entity_id, name FROM event_entities WHERE event_id = ?", (event.event_id,))
        if dict(rows.fetchall()) == wanted:
            return
        self.execute("DELETE FROM event_entities WHERE event_id = ?", (event.event_id,))
        self.conn.cursor().executemany(
            self._sql("INSERT INTO event_entities (event_id, entity_id, name) VALUES (?, ?, ?)"),
            [(event.event_id, entity_id, name) for entity_id, name in wanted.items()],
        )
