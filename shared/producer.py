"""Every worker's producer waits for all in-sync replicas and is idempotent.

faust sets ``acks`` from ``producer_acks`` (``make_app`` passes -1, i.e. all) but
turns idempotence on only inside its exactly-once transactions. On a replicated
cluster a leader change makes the producer retry a batch the old leader may
already have written; without idempotence that retry is a second copy of the
record (a duplicate every stage would then have to absorb). With it, the broker
drops the retried batch by its producer id and sequence number.

``install()`` makes faust's Kafka transport build :class:`IdempotentProducer`;
it is called by :func:`shared.streaming.make_app`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

#: what every aiokafka producer a worker opens is given, on top of faust's own settings
DURABLE: Mapping[str, Any] = {"acks": "all", "enable_idempotence": True}


class IdempotentProducer(faust_aiokafka.Producer):
    """faust's aiokafka producer with ``acks=all`` and idempotence, in or outside a transaction."""

    def _settings_extra(self) -> Mapping[str, Any]:
        return {**super()._settings_extra(), **DURABLE}


def install() -> None:
    """Make faust's Kafka transport build :class:`IdempotentProducer` (idempotent)."""
    faust_aiokafka.Transport.Producer = IdempotentProducer
