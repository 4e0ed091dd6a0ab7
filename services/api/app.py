"""The read API: list and search events, one event's detail, health, and the live page.

Responses are the contract models themselves (``EventUpdate``), so API clients
and topic consumers read the same shapes. Every error is JSON with one shape
(:class:`ErrorResponse`): a code, a message, and per-parameter details.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.api.access import StoreAccess
from services.api.models import ErrorDetail, ErrorInfo, ErrorResponse, EventPage, Health, PipelineHealth
from services.api.pipeline import PipelineProbe, ingestion
from services.api.settings import ApiSettings
from services.api.stream import change_events
from shared.contracts import EventUpdate
from shared.errors import StoreNotReady
from shared.eventstore import EventQuery

STATIC = Path(__file__).parent / "static"
MAX_LIMIT = 200
ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorResponse, "description": "invalid parameters"}}
TAGS = [
    {"name": "events", "description": "Consolidated events from the sink: one per real-world event, with sources."},
    {"name": "live", "description": "The live events page and its change stream."},
    {"name": "ops", "description": "Health checks."},
]


def page_csp(html: str) -> str:
    """A Content-Security-Policy for the live page: its own inline script and style (by hash), the API, nothing else.

    Event titles are untrusted web text; the page only sets them with ``textContent``, and this
    policy keeps any slip from running injected script or loading anything from elsewhere.
    """

    def hashes(tag: str) -> str:
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)
        digests = (base64.b64encode(hashlib.sha256(b.encode("utf-8")).digest()).decode() for b in blocks)
        return " ".join(f"'sha256-{d}'" for d in digests) or "'none'"

    return (
        f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


@functools.cache
def _page_csp() -> str:
    return page_csp((STATIC / "index.html").read_bytes().decode("utf-8"))  # the bytes served, CRLF or not


async def _nosniff(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    response.headers.setdefault("x-content-type-options", "nosniff")  # no guessing a type from the content
    return response


def error(status: int, code: str, message: str, details: list[ErrorDetail] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorInfo(code=code, message=message, details=details or []))
    return JSONResponse(status_code=status, content=body.model_dump(mode="json"))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        ErrorDetail(field=str(err["loc"][-1]) if len(err["loc"]) > 1 else None, problem=str(err["msg"]))
        for err in exc.errors()
    ]
    message = "; ".join(f"{d.field}: {d.problem}" if d.field else d.problem for d in details)
    return error(422, "invalid_request", message or "invalid request", details)


async def _store_not_ready(request: Request, exc: Exception) -> JSONResponse:
    return error(503, "store_not_ready", str(exc))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error(exc.status_code, code, str(exc.detail))


def _access(request: Request) -> StoreAccess:
    access: StoreAccess = request.app.state.access
    return access


def _settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


# The app's own store and settings, set by create_app: the routes are module-level, not closures.
Access = Annotated[StoreAccess, Depends(_access)]
Settings = Annotated[ApiSettings, Depends(_settings)]
router = APIRouter()


@router.get("/events", response_model=EventPage, tags=["events"], summary="List and search events", responses=ERRORS)
def list_events(
    request: Request,
    access: Access,
    *,
    entity: Annotated[
        str | None,
        Query(max_length=200, description="entity id (`person:vladimir-putin`) or part of an entity name"),
    ] = None,
    text: Annotated[str | None, Query(max_length=200, description="words in the title or summary")] = None,
    date_from: Annotated[date | None, Query(description="event date on or after (YYYY-MM-DD)")] = None,
    date_to: Annotated[date | None, Query(description="event date on or before (YYYY-MM-DD)")] = None,
    min_sources: Annotated[int, Query(ge=1, le=100_000, description="at least this many articles")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="events to skip")] = 0,
) -> EventPage | JSONResponse:
    """Events most recently updated first; merged-away events are left out. Filters combine with AND."""
    if date_from and date_to and date_from > date_to:
        detail = ErrorDetail(field="date_from", problem=f"is after date_to ({date_from} > {date_to})")
        return error(422, "invalid_request", f"date_from: {detail.problem}", [detail])
    query = EventQuery(
        entity=(entity or "").strip() or None,
        text=(text or "").strip() or None,
        date_from=date_from,
        date_to=date_to,
        min_sources=min_sources,
        limit=limit + 1,  # one more tells whether there is a next page
        offset=offset,
    )
    with access.use() as store:
        found = store.events(query)
    next_url = None
    if len(found) > limit:
        nxt = request.url.include_query_params(offset=offset + limit, limit=limit)
        next_url = f"{nxt.path}?{nxt.query}"
    return EventPage(items=found[:limit], limit=limit, offset=offset, next=next_url)


@router.get("/events/stream", tags=["live"], summary="Change notifications (server-sent events)", responses=ERRORS)
async def stream_changes(
    request: Request,
    access: Access,
    settings: Settings,
    duration_s: Annotated[
        float, Query(gt=0, le=3600, description="close the stream after this long (clients reconnect)")
    ] = 300.0,
) -> StreamingResponse:
    """A `changed` event (data: `{"version": ...}`) at once and whenever any event changes; refetch `/events`."""

    async def version() -> str:
        return await run_in_threadpool(access.version)

    frames = change_events(
        version, request.is_disconnected, interval_s=settings.api_poll_interval_s, duration_s=duration_s
    )
    return StreamingResponse(
        frames, media_type="text/event-stream", headers={"cache-control": "no-store", "x-accel-buffering": "no"}
    )


@router.get(
    "/events/{event_id}",
    response_model=EventUpdate,
    tags=["events"],
    summary="One event with its sources, timeline, entities and quantities",
    responses={404: {"model": ErrorResponse, "description": "no such event"}, **ERRORS},
)
def get_event(
    request: Request,
    response: Response,
    access: Access,
    event_id: Annotated[str, PathParam(min_length=1, max_length=256, description="the event id")],
) -> EventUpdate | Response:
    """The event's full current state; an event merged into another says so in `merged_into`.

    A browser (``Accept`` naming ``text/html`` before any JSON) gets the event page instead,
    which reads this same URL as JSON: one address for people and programs.
    """
    if wants_html(request.headers.get("accept", "")):
        return page()
    response.headers["vary"] = "Accept"
    with access.use() as store:
        found = store.event(event_id)
    if found is None:
        return error(404, "not_found", f"no event with id {event_id!r}")
    return found


def wants_html(accept: str) -> bool:
    """Whether an Accept header asks for HTML first: a browser's navigation, not ``fetch`` or curl."""
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    html = kinds.index("text/html") if "text/html" in kinds else None
    json_at = min((kinds.index(k) for k in ("application/json", "*/*") if k in kinds), default=None)
    return html is not None and (json_at is None or html < json_at)


@router.get(
    "/health/pipeline",
    response_model=PipelineHealth,
    tags=["ops"],
    summary="The health strip: ingestion rate, consumer lag per stage, dead letters, source health",
)
def pipeline_health(request: Request, access: Access) -> PipelineHealth:
    """Ingestion from the store; lag and dead letters from each configured stage's `/metrics`; sources
    from the fetcher's `/fetcher/health` (`WIREWATCH_API_STAGE_METRICS`, `WIREWATCH_API_FETCHER_HEALTH_URL`)."""
    probe: PipelineProbe = request.app.state.probe
    with access.use() as store:
        current = ingestion(store)
    return probe.health(current)


@router.get("/healthz", response_model=Health, tags=["ops"], summary="Is the store readable?")
def healthz(access: Access) -> Health | JSONResponse:
    try:
        with access.use() as store:
            count = store.count_events()
    except Exception as exc:  # noqa: BLE001 - any store failure means unhealthy, reported not raised
        body = Health(status="unavailable", error=str(exc)[:300])
        return JSONResponse(status_code=503, content=body.model_dump())
    return Health(status="ok", events=count)


@router.get("/", tags=["live"], summary="The live events page", response_class=FileResponse)
def page() -> FileResponse:
    """The page; at ``/events/<id>`` (asked for as HTML) the same page shows that event."""
    headers = {"cache-control": "no-cache", "content-security-policy": _page_csp(), "vary": "Accept"}
    return FileResponse(STATIC / "index.html", media_type="text/html", headers=headers)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The API over the store named by ``settings.database_url`` (opened on first request, read only)."""
    settings = settings or ApiSettings()
    access = StoreAccess(settings.database_url.get_secret_value(), version_ttl_s=settings.api_poll_interval_s / 2)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        access.close()

    app = FastAPI(
        title="wirewatch events API",
        version="1",
        description="Read-only access to the consolidated events the sink stores, and a live page at `/`.",
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StoreNotReady, _store_not_ready)
    app.middleware("http")(_nosniff)
    app.state.access = access
    app.state.settings = settings
    app.state.probe = PipelineProbe(settings.api_stage_metrics, settings.api_fetcher_health_url)
    app.include_router(router)
    return app
