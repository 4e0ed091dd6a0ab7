"""One store connection shared by the API's worker threads, one query at a time.

FastAPI runs plain ``def`` endpoints in a thread pool; a SQLite connection must
not be used by two threads at once, and opening one per request would redo the
schema statements every time. Queries are short, so a lock costs little.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from services.sink.store import EventStore


class StoreAccess:
    def __init__(self, url: str) -> None:
        self.url = url
        self._store: EventStore | None = None
        self._lock = threading.Lock()

    @contextmanager
    def use(self) -> Iterator[EventStore]:
        """The store, opened on first use (the sink may create the database after the API starts)."""
        with self._lock:
            if self._store is None:
                self._store = EventStore(self.url)
            yield self._store

    def version(self) -> str:
        """A token that changes whenever any event is added, revised or merged."""
        with self.use() as store:
            row = store.execute("SELECT COUNT(*), MAX(last_updated), SUM(revision) FROM events").fetchone()
        return f"{row[0]}:{row[1] or ''}:{row[2] or 0}"

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
