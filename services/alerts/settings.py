"""Alerts service settings (``WIREWATCH_ALERTS_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import BaseServiceSettings


class AlertsSettings(BaseServiceSettings):
    alerts_file: Path = Field(
        default=Path("deploy/alerts.example.toml"),
        description="TOML file with the watch rules and an optional webhook",
    )
