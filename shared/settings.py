"""Typed settings read from the environment (prefix ``WIREWATCH_``) and an optional ``.env``.

One base for every service; a service extends it with its own fields. Nothing
else in the code base reads ``os.environ`` for configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BaseServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WIREWATCH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    kafka_bootstrap: str = Field(default="127.0.0.1:9092", description="host:port[,host:port]")
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = "PLAINTEXT"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_session_timeout_s: float = Field(
        default=10.0, ge=6.0, description="a worker that stops heartbeating loses its partitions after this"
    )
    consumer_guards: bool = Field(
        default=True,
        description="guard faust's consumer against committing records it never processed "
        "(shared/seekfence.py); off = faust's own consumer",
    )
    stall_after_s: float = Field(
        default=60.0,
        gt=0,
        description="a partition with records waiting where this worker commits nothing for this long, outside a "
        "rebalance, is a stall: the worker rejoins its group, and exits 75 if that does not help (shared/stall.py)",
    )
    topic_prefix: str = Field(
        default="", description="prepended to every topic and consumer group (environments, tests)"
    )
    topic_partitions: int = Field(default=8, ge=1)
    topic_replication: int = Field(default=1, ge=1)
    data_dir: Path = Path("var")
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=6066, ge=1, le=65535, description="metrics/health port; one per worker on a host")
    max_message_bytes: int = Field(default=8_000_000, ge=1024)

    @property
    def broker_url(self) -> str:
        return ";".join(f"kafka://{h.strip()}" for h in self.kafka_bootstrap.split(",") if h.strip())


class StoreSettings(BaseServiceSettings):
    """The event store's database: written by the sink, read by the API, the CLI and the tools."""

    database_url: SecretStr = Field(
        default=SecretStr("sqlite:///var/wirewatch.db"),
        description="sqlite:///path or postgresql://user:pass@host/db",
    )


def load_base() -> BaseServiceSettings:
    return BaseServiceSettings()
