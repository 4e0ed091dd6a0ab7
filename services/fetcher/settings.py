"""Fetcher settings: where sources come from and how politely and safely to fetch them.

Every field here is read from the environment with the ``WIREWATCH_FETCHER_`` prefix, e.g.
``WIREWATCH_FETCHER_SOURCES_FILE=deploy/sources.toml`` or ``WIREWATCH_FETCHER_MAX_BODY_BYTES=5000000``;
the shared ones (broker, topics, logging) keep ``WIREWATCH_``. The sources file's own format is
in :mod:`services.fetcher.sources`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import BaseServiceSettings

DEFAULT_USER_AGENT = "wirewatch-fetcher/0.1 (news monitoring; respects robots.txt)"


class FetcherSettings(BaseServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WIREWATCH_FETCHER_")

    sources_file: Path | None = Field(default=None, description="TOML file of sources; re-read when it changes")
    watch_dir: Path = Field(default=Path("deploy/samples"), description="watched folder used when no sources file")
    poll_interval: float = Field(default=5.0, gt=0, description="poll interval of the default watched folder")
    user_agent: str = Field(default=DEFAULT_USER_AGENT, description="User-Agent of every request")
    tick_seconds: float = Field(default=1.0, gt=0, description="how often the scheduler looks for due sources")
    default_interval: float = Field(default=300.0, gt=0, description="poll interval of sources that set none")
    recheck_seconds: float = Field(
        default=3600.0, ge=0, description="an already seen feed entry's page is re-fetched at most this often"
    )
    max_body_bytes: int = Field(
        default=10_000_000, ge=1024, description="response size limit, on the wire and per decoded layer, while reading"
    )
    max_encoding_layers: int = Field(
        default=2, ge=0, le=4, description="stacked Content-Encodings accepted (gzip, deflate); more is refused"
    )
    connect_timeout: float = Field(default=10.0, gt=0, description="seconds to connect")
    read_timeout: float = Field(default=30.0, gt=0, description="seconds between two reads")
    max_redirects: int = Field(default=5, ge=0, description="redirects followed (each hop checked again)")
    max_retries: int = Field(default=3, ge=0, description="retries of a transient failure")
    backoff_base: float = Field(default=1.0, ge=0, description="first retry delay in seconds, doubled each time")
    backoff_max: float = Field(default=60.0, ge=0, description="longest retry delay; a longer Retry-After fails")
    global_concurrency: int = Field(default=32, ge=1, description="requests in flight overall")
    per_host_concurrency: int = Field(default=2, ge=1, description="requests in flight to one host")
    per_host_rate: float = Field(default=2.0, gt=0, description="requests per second to one host")
    max_crawl_delay: float = Field(
        default=60.0,
        ge=0,
        description="longest wait for a host's next request slot (Crawl-delay, rate); longer waits defer the page",
    )
    poll_deadline: float = Field(
        default=300.0, gt=0, description="one web source's poll ends after this long; unfetched pages wait"
    )
    respect_robots: bool = Field(default=True, description="obey robots.txt (Disallow, Crawl-delay)")
    max_items_per_poll: int = Field(default=500, ge=1, description="entries taken from one feed/sitemap per poll")
    seen_retention_days: float = Field(
        default=30.0, gt=0, description="web pages not listed or fetched for this long are forgotten"
    )
    failure_backoff_max: float = Field(default=3600.0, gt=0, description="longest pause of a failing source")
