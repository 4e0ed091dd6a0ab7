"""A stage declared once: what it reads, what it writes, how it handles input, where failures go.

Every consuming service declares its stage in ``services/<name>/stage.py`` as a
:class:`Stage`. Both ways of running it are built from that declaration, so
they cannot drift apart:

- the faust worker (``python -m services.<name>``): :class:`shared.stageapp.StageWorker`;
- ``wirewatch replay`` over files, without Kafka: :mod:`services.replay`.

The declaration's ``build`` makes the stage's handler for one process (its
state lives in the returned :class:`Step`); everything around it (reading,
sending, dead letters) belongs to the runner.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.contracts import Message
from shared.settings import BaseServiceSettings

S = TypeVar("S", bound=BaseServiceSettings)

Handler = Callable[[Any], Sequence[Message] | Awaitable[Sequence[Message]]]
BatchHandler = Callable[[Sequence[Any]], Sequence[Sequence[Message] | Exception]]


@dataclass(frozen=True)
class Batched:
    """A handler that is cheaper per message on a batch: one result (messages or exception) per input."""

    handle_many: BatchHandler
    max_batch: int
    within_s: float  # longest wait for a batch to fill


@dataclass(frozen=True)
class Step:
    """A stage's handler in one process, and what it must do when the worker loses its partitions."""

    handle: Handler | Batched
    reset: Callable[[], None] | None = None  # state must be reloaded from the table (another worker wrote it)


@dataclass(frozen=True)
class StateTable:
    """State the handler keeps across messages: a changelog-backed faust table in a worker, a dict in replay."""

    name: str
    help: str
    default: Callable[[], Any] | None = None
    partitions: int | None = None  # None: the topics' partition count


@dataclass(frozen=True)
class DeadLetterPolicy:
    """Every failed input becomes one dead letter and the stage goes on with the next.

    The letter (on ``DeadLetter.TOPIC``) names ``service``, carries the original
    payload, and a reason: a ``WirewatchError``'s own, ``unexpected_error`` for
    anything else (a bug; logged with its traceback), or the codec's reason for
    input that does not decode. In a batched stage, each input fails alone.
    """

    service: str


@dataclass(frozen=True)
class BuildContext:
    """What a runner hands a stage's ``build``."""

    state: MutableMapping[str, Any]  # the declared StateTable's contents ({} when none is declared)
    live: bool  # True in a worker on the broker; False in replay, whose input is historic


@dataclass(frozen=True)
class Stage(Generic[S]):
    """One consuming stage: input model (its topic), output models, handler, dead-letter policy."""

    name: str  # the service: consumer group ``wirewatch-<name>``, metrics label
    settings: type[S]
    source: type[Message]  # consumed from ``source.TOPIC``
    outputs: tuple[type[Message], ...]  # each sent to its model's TOPIC (dead letters always allowed)
    build: Callable[[S, BuildContext], Step]
    dead_letters: DeadLetterPolicy
    state: StateTable | None = None
    # An internal single-partition topic every input is forwarded to first, so that exactly one
    # worker of the group decides for all of them (the deduplicator); None: consume the source.
    single_partition: str | None = None
