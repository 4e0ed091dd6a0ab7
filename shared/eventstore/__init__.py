"""The event store: the sink's read model of consolidated events, shared by every reader.

The sink writes it (:class:`EventWriter`); the API, the CLI, replay and
``deploy/run_all.py`` read it (:class:`EventReader`, read only). It lives in
``shared/`` so that no reader imports the sink.
"""

from shared.eventstore.store import EventQuery, EventReader, EventWriter

__all__ = ["EventQuery", "EventReader", "EventWriter"]
