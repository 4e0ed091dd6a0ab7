"""API settings: the event store it reads (``WIREWATCH_DATABASE_URL``) and where to listen (``WIREWATCH_API_*``)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import StoreSettings


class ApiSettings(StoreSettings):
    api_host: str = Field(default="127.0.0.1", description="address the API listens on")
    api_port: int = Field(default=8080, ge=1, le=65535, description="port the API listens on")
    api_poll_interval_s: float = Field(
        default=1.0, gt=0, le=60, description="how often /events/stream checks the store for changes"
    )
    api_stage_metrics: dict[str, str] = Field(
        default_factory=dict,
        description='each stage\'s /metrics URL for the health strip, JSON: {"cleaner": "http://127.0.0.1:6067/metrics"}',
    )
    api_fetcher_health_url: str | None = Field(
        default=None, description="the fetcher's /fetcher/health URL, for source health on the page"
    )
