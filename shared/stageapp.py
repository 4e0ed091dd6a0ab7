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

from shared.stage import Batched, BuildContext, S, Stage, Step
from shared.streaming import Outputs, make_app, run_batched_stage, run_stage, send_durably, topic_for


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
            self.route_outputs = Outputs(self.app, [])
            self.route = self.app.agent(self.source, name=f"{stage.name}.route")(self._route)
            self.agent = self.app.agent(self.assign_topic, name=f"{stage.name}.consume")(self._consume)

    def _table(self) -> TableT[str, Any]:
        spec = self.stage.state
        assert spec is not None
        return self.app.Table(
            spec.name,
            default=spec.default,
            partitions=spec.partitions,
            schema=faust.Schema(key_type=str, key_serializer="raw", value_serializer="json"),
            help=spec.help,
        )

    def _on_revoked(self, _sender: Any, /, *_args: Any, **_kwargs: Any) -> None:
        if self.step.reset is not None:
            self.step.reset()

    async def _consume(self, stream: faust.StreamT[Any]) -> None:
        handle = self.step.handle
        if isinstance(handle, Batched):
            await run_batched_stage(
                self.stage.dead_letters.service,
                self.outputs,
                handle.handle_many,
                stream,
                self.stage.source,
                max_batch=handle.max_batch,
                within_s=handle.within_s,
            )
        else:
            await run_stage(self.stage.dead_letters.service, self.outputs, handle, stream.events(), self.stage.source)

    async def _route(self, stream: faust.StreamT[Any]) -> None:
        """Forward every valid input to the single-partition topic (undecodable input is dead-lettered here)."""
        assert self.assign_topic is not None
        topic = self.assign_topic

        async def forward(message: Any) -> list[Any]:
            # Wait for the broker's ack before the input offset can be committed (see send_durably).
            await send_durably(topic, "all", message)
            return []

        await run_stage(
            self.stage.dead_letters.service, self.route_outputs, forward, stream.events(), self.stage.source
        )
