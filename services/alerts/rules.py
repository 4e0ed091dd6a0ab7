"""Watch rules, read from a TOML file.

A rule names what an analyst wants to hear about: entities that must all be
involved, keywords of which one must appear, event types, and a minimum number
of distinct outlets (a story one outlet carries is often noise; five outlets
make it news). ``escalate_at`` lists further outlet counts at which the same
event alerts again, so a story that keeps spreading is not reported only once.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator, model_validator

from shared.errors import ConfigError


def _clean_terms(values: list[str]) -> list[str]:
    """Strip, drop empties and case-insensitive duplicates, keep the order."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        term = " ".join(value.split())
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            out.append(term)
    return out


class Rule(BaseModel):
    """One watch rule; every condition given must hold (entities: all of them; keywords: any).

    A rule without conditions matches every event (a feed of new events); unknown keys are
    refused, so a misspelt condition cannot silently widen a rule to everything.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
    entities: list[str] = Field(default_factory=list, description="entity ids or names; all must be involved")
    keywords: list[str] = Field(default_factory=list, description="words or phrases; one must be in title/summary")
    event_types: list[str] = Field(default_factory=list, description="one of these event types")
    min_outlets: int = Field(default=1, ge=1, le=10_000)
    escalate_at: list[int] = Field(default_factory=list, description="outlet counts that alert again")

    @field_validator("entities", "keywords", "event_types")
    @classmethod
    def _terms(cls, values: list[str]) -> list[str]:
        return _clean_terms(values)

    @field_validator("escalate_at")
    @classmethod
    def _levels(cls, values: list[int]) -> list[int]:
        if any(v < 1 for v in values):
            raise ValueError("escalate_at values must be positive outlet counts")
        return sorted(set(values))

    @property
    def thresholds(self) -> list[int]:
        """Outlet counts at which the rule fires, lowest first (min_outlets, then escalations above it)."""
        return [self.min_outlets, *(v for v in self.escalate_at if v > self.min_outlets)]


class Webhook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: HttpUrl
    timeout_s: float = Field(default=5.0, gt=0, le=60)


class AlertsConfig(BaseModel):
    """The whole alerts file: rules and an optional webhook every alert is POSTed to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: list[Rule] = Field(default_factory=list)
    webhook: Webhook | None = None

    @model_validator(mode="after")
    def _unique_names(self) -> AlertsConfig:
        names = [r.name for r in self.rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique (fired state is kept per name): {duplicates}")
        return self


def parse_config(data: dict[str, Any], origin: str = "<alerts config>") -> AlertsConfig:
    """Validate an already parsed TOML document; errors name the file and the field."""
    try:
        return AlertsConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"{origin}: {problems}") from exc


def load_config(path: Path) -> AlertsConfig:
    """Read and validate the alerts file; a missing or malformed file is a :class:`ConfigError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read alerts file {path}: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(data, str(path))
