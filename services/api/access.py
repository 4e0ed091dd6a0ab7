"""One store connection shared by the API's worker threads, one query at a time.

FastAPI runs plain ``def`` endpoints in a thread pool; a SQLite connection must
not be used by two threads at once, and opening one per request costs a
connection set-up every time. Queries are short, so a lock costs little. The
connection is read only (:class:`EventReader`): the API never writes or
creates tables, so a SELECT-only database role can serve it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from shared.eventstore import EventReader


class StoreAccess:
    def __init__(self, url: str, version_ttl_s: float = 0.0) -> None:
        self.url = url
        self.version_ttl_s = version_ttl_s
        self._store: EventReader | None = None
        self._lock = threading.Lock()
        self._version: tuple[float, str] | None = None

    @contextmanager
    def use(self) -> Iterator[EventReader]:
        """The store, opened on first use (the sink may create the database after the API starts)."""
        with self._lock:
            if self._store is None:
                self._store = EventReader(self.url)
            yield self._store

    def version(self) -> str:
        """A token that changes whenever any event is added, revised or merged.

        Computed at most once per ``version_ttl_s`` however many live pages are open, since it
        reads the whole events table.
        """
        cached = self._version
        if cached is not None and time.monotonic() - cached[0] < self.version_ttl_s:
            return cached[1]
        with self.use() as store:
            token = store.version()
        self._version = (time.monotonic(), token)
        return token

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
