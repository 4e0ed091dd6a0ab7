"""A faust worker built from a stage's declaration (:class:`shared.stage.Stage`).

It makes the app, the source topic, the output topics, the state table, the
agent(s), and builds the stage's handler once per process. Service ``app.py``
modules hold only what is not a stage (the fetcher's timer, the API).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Generic, cast

import faust
from faust.types import TableT

from shared.codec import STATE_CODEC
from shared.contracts import Message
from shared.stage import BuildContext, S, Stage, Step
from shared.stageloop import run_batches
from shared.streaming import Outputs, make_app, topic_for


class StageWorker(Generic[S]):
    """The faust side of one declared stage: ``agent`` consumes, ``outputs`` sends."""

    def __init__(self, stage: Stage[S], settings: S, **app_overrides: Any) -> None:
        self.stage = stage
        self.settings = settings
        self.app = make_app(stage.name, settings, **app_overrides)
        self.source = topic_for(self.app, stage.source)
        self.outputs = Outputs(self.app, stage.outputs)
        self.table: TableT[str, Any] | None = self._table() if stage.state else None
        state = cast(MutableMapping[str, Any], self.table) if self.table is not None else {}
        # Built at start-up, so a bad configuration stops the worker before it consumes;
        # heavy resources (the spaCy model, the database) are opened by the step on first use.
        self.step: Step = stage.build(settings, BuildContext(state=state, live=True))
        self.app.on_partitions_revoked.connect(self._on_revoked)
        if stage.single_partition is None:
            self.assign_topic: faust.TopicT | None = None
            self.route: Any = None
            self.agent: Any = self.app.agent(self.source, name=f"{stage.name}.consume")(self._consume)
        else:
            self.assign_topic = topic_for(
                self.app, stage.source, name=stage.single_partition, partitions=1, internal=True
            )
            # the route forwards each valid input unchanged, under one key, to the single-partition topic
            self.route_outputs = Outputs(self.app, [], forward={stage.source.TOPIC: (self.assign_topic, "all")})
            self.route = self.app.agent(self.source, name=f"{stage.name}.route")(self._route)
            self.agent = self.app.agent(self.assign_topic, name=f"{stage.name}.consume")(self._consume)

    def _table(self) -> TableT[str, Any]:
        spec = self.stage.state
        assert spec is not None
        table = self.app.Table(
            spec.name,
            default=spec.default,
            partitions=spec.partitions,
            schema=faust.Schema(key_type=str, key_serializer="raw", value_serializer=STATE_CODEC),
            help=spec.help,
        )
        # The table writes its changelog with the serializer it derives from its value type ("json"
        # without one), not the schema's; values are the same JSON either way.
        cast(Any, table).value_serializer = STATE_CODEC
        return table

    def _on_revoked(self, _sender: Any, /, *_args: Any, **_kwargs: Any) -> None:
        if self.step.reset is not None:
            self.step.reset()

    async def _consume(self, stream: faust.StreamT[Any]) -> None:
        await run_batches(
            self.stage.dead_letters.service,
            self.outputs,
            self.step.handle,
            stream,
            self.stage.source,
            max_batch=self.settings.batch_max,
            within_s=self.settings.batch_wait_s,
        )

    async def _route(self, stream: faust.StreamT[Any]) -> None:
        """Forward every valid input to the single-partition topic (undecodable input is dead-lettered here)."""
        await run_batches(
            self.stage.dead_letters.service,
            self.route_outputs,
            _forward,
            stream,
            self.stage.source,
            max_batch=self.settings.batch_max,
            within_s=self.settings.batch_wait_s,
        )


def _forward(message: Message) -> list[Message]:
    return [message]
