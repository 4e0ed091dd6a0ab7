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
