"""Print every consolidated event update: a minimal wirewatch consumer (docs/adding-a-consumer.md).

    WIREWATCH_TOPIC_PREFIX=... python docs/examples/print_events.py [CONSUMER_GROUP]
"""

import asyncio
import sys

from aiokafka import AIOKafkaConsumer

from shared.codec import Undecodable, decode
from shared.contracts import EventUpdate
from shared.settings import BaseServiceSettings


async def main(group: str) -> None:
    settings = BaseServiceSettings()  # WIREWATCH_KAFKA_BOOTSTRAP, WIREWATCH_TOPIC_PREFIX, ...
    consumer = AIOKafkaConsumer(
        settings.topic_prefix + EventUpdate.TOPIC,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=settings.topic_prefix + group,  # each group reads every event once, independently
        auto_offset_reset="earliest",  # a new group starts with the oldest update still stored
    )
    latest: dict[str, int] = {}  # event id -> highest revision handled, so redelivery is a no-op
    await consumer.start()
    try:
        async for record in consumer:
            update = decode(EventUpdate, record.value)
            if isinstance(update, Undecodable):  # never crash on a bad message: report and go on
                print(f"skipped offset {record.offset}: {update.reason}", file=sys.stderr, flush=True)
                continue
            assert isinstance(update, EventUpdate)
            if update.revision <= latest.get(update.event_id, 0):
                print(f"redelivered {update.event_id} r{update.revision}", file=sys.stderr, flush=True)
                continue
            latest[update.event_id] = update.revision
            print(f"{update.event_id} r{update.revision} {len(update.sources)} source(s): {update.title}", flush=True)
    finally:
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "print-events"))
