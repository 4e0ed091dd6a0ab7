"""Typed settings read from the environment and an optional ``.env``: one vocabulary.

- Shared settings (this module: broker, topics, logging, the event store's
  database) are ``WIREWATCH_<FIELD>``, whichever service reads them.
- A service's own settings live in ``services/<name>/settings.py``, in a class
  that extends one of these, and are ``WIREWATCH_<SERVICE>_<NAME>``: the class
  sets ``env_prefix="WIREWATCH_<SERVICE>_"``, or names its fields
  ``<service>_<name>`` under the inherited ``WIREWATCH_`` prefix (the two
  spell the same variables). ``tests/unit/test_configuration.py`` checks it.

Shared fields carry their variable as an alias, so a service's prefix does not
apply to them; they can still be passed by field name. ``docs/configuration.md``
is generated from these classes (``wirewatch config-doc``). Nothing else in the
code base reads ``os.environ`` for configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SHARED_PREFIX = "WIREWATCH_"


def shared(name: str, default: Any = ..., **kwargs: Any) -> Any:
    """A shared field: read from ``WIREWATCH_<NAME>`` in every service, whatever its own prefix."""
    return Field(default, validation_alias=SHARED_PREFIX + name.upper(), **kwargs)


class BaseServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=SHARED_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    def __init__(self, **values: Any) -> None:
        """Shared fields may be passed by name too (``topic_prefix=...``), not only by their variable.

        (pydantic's ``populate_by_name`` would do it, but would also read ``<service prefix><field>``
        from the environment: a second name for every shared setting.)
        """
        fields = type(self).model_fields
        by_alias = {
            (alias if k in fields and isinstance(alias := fields[k].validation_alias, str) else k): v
            for k, v in values.items()
        }
        super().__init__(**by_alias)

    kafka_bootstrap: str = shared("kafka_bootstrap", "127.0.0.1:9092", description="host:port[,host:port]")
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = shared(
        "kafka_security_protocol", "PLAINTEXT", description="how workers talk to the brokers"
    )
    kafka_sasl_username: str | None = shared(
        "kafka_sasl_username", None, description="SASL user (with the password: SASL/PLAIN)"
    )
    kafka_sasl_password: SecretStr | None = shared("kafka_sasl_password", None, description="SASL password")
    kafka_session_timeout_s: float = shared(
        "kafka_session_timeout_s",
        10.0,
        ge=6.0,
        description="a worker that stops heartbeating loses its partitions after this",
    )
    consumer_guards: bool = shared(
        "consumer_guards",
        True,
        description="guard faust's consumer against committing records it never processed "
        "(shared/seekfence.py); off = faust's own consumer",
    )
    stall_after_s: float = shared(
        "stall_after_s",
        60.0,
        gt=0,
        description="a partition with records waiting where this worker commits nothing for this long, outside a "
        "rebalance, is a stall: the worker rejoins its group, and exits 75 if that does not help (shared/stall.py)",
    )
    topic_prefix: str = shared(
        "topic_prefix", "", description="prepended to every topic and consumer group (environments, tests)"
    )
    topic_partitions: int = shared(
        "topic_partitions", 8, ge=1, description="partitions of each topic `wirewatch topics` creates"
    )
    topic_replication: int = shared("topic_replication", 1, ge=1, description="replicas of each topic")
    data_dir: Path = shared("data_dir", Path("var"), description="local state (faust's table stores)")
    log_level: str = shared("log_level", "INFO", description="DEBUG, INFO, WARNING, ERROR")
    log_format: Literal["auto", "json", "console"] = shared(
        "log_format", "auto", description="auto: console on a terminal, JSON lines otherwise"
    )
    web_host: str = shared("web_host", "127.0.0.1", description="address of the metrics/health port")
    web_port: int = shared(
        "web_port", 6066, ge=1, le=65535, description="metrics/health port; one per worker on a host"
    )
    batch_max: int = shared(
        "batch_max",
        64,
        ge=1,
        description="most messages a stage takes at once; their outputs' acks are awaited together before "
        "their offsets may be committed (a stage with its own batch setting uses that)",
    )
    batch_wait_s: float = shared(
        "batch_wait_s",
        0.01,
        gt=0,
        description="longest wait for a batch to fill: at a low rate each hop adds up to this much latency",
    )
    max_message_bytes: int = shared(
        "max_message_bytes", 8_000_000, ge=1024, description="largest message produced or accepted"
    )

    @property
    def broker_url(self) -> str:
        return ";".join(f"kafka://{h.strip()}" for h in self.kafka_bootstrap.split(",") if h.strip())


class StoreSettings(BaseServiceSettings):
    """The event store's database: written by the sink, read by the API, the CLI and the tools."""

    database_url: SecretStr = shared(
        "database_url",
        SecretStr("sqlite:///var/wirewatch.db"),
        description="sqlite:///path or postgresql://user:pass@host/db",
    )
