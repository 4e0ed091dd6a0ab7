"""Response bodies of the API that are not topic contracts (those come from ``shared.contracts``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.contracts import EventUpdate


class EventPage(BaseModel):
    """One page of events, most recently updated first."""

    items: list[EventUpdate]
    limit: int
    offset: int
    next: str | None = Field(default=None, description="relative URL of the next page; null on the last page")


class ErrorDetail(BaseModel):
    field: str | None = Field(default=None, description="query or path parameter at fault, if any")
    problem: str


class ErrorInfo(BaseModel):
    code: str = Field(description="machine-readable: not_found, invalid_request, unavailable")
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """Every 4xx/5xx answer of the API has this shape."""

    error: ErrorInfo


class Health(BaseModel):
    status: str = Field(description="ok, or unavailable when the store cannot be read")
    events: int | None = Field(default=None, description="current (not merged) events in the store")
    error: str | None = None


class Ingestion(BaseModel):
    articles_last_hour: int = Field(description="articles the sink stored in the last hour")
    per_hour: list[int] = Field(description="articles stored in each of the last 24 hours, oldest first")


class StageHealth(BaseModel):
    name: str
    reachable: bool
    lag: int | None = Field(default=None, description="messages behind, summed over the worker's partitions")
    dead_letters_last_hour: int | None = None
    window_s: float | None = Field(default=None, description="seconds the dead-letter figure covers (at most 3600)")
    error: str | None = None


class SourceStatus(BaseModel):
    source_id: str
    status: str = Field(description="ok, failing or pending")
    last_success: float | None = None
    last_failure: float | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    items_published: int = 0


class PipelineHealth(BaseModel):
    """The page's health strip: ingestion from the store, the rest from the services' endpoints."""

    ingestion: Ingestion
    stages: list[StageHealth]
    sources: list[SourceStatus] | None = Field(default=None, description="null when the fetcher is not reachable")
    sources_error: str | None = None
