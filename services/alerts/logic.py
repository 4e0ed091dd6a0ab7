"""Matching rules against consolidated events, and deciding which alerts are new.

Pure functions: the faust agent keeps the fired state (a Table) and passes it
in as a mapping, so the decision "fire or not" is testable without Kafka.

Fired state is one integer per (rule, event): the highest outlet threshold an
alert was sent for. An ``EventUpdate`` redelivered after a crash or restart
finds its threshold already recorded and fires nothing; a later revision of the
event that reaches the rule's next ``escalate_at`` level fires once more.
An event first seen above several thresholds fires once, at the highest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from services.alerts.rules import Rule
from shared.actors import clean_entities
from shared.contracts import Alert, EventEntity, EventUpdate, SourceRef


@lru_cache(maxsize=4096)
def _phrase(term: str) -> re.Pattern[str]:
    """A case-insensitive whole-word pattern for a word or phrase (inner spaces match any whitespace)."""
    words = [re.escape(w) for w in term.casefold().split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def contains_phrase(text: str, term: str) -> bool:
    """Whole-word match: "Putin" is in "Vladimir Putin said", "put" is not."""
    return bool(term.split()) and _phrase(term).search(text.casefold()) is not None


def entity_matches(term: str, entity: EventEntity) -> bool:
    """A rule term names an entity by its id ("person:vladimir-putin"), full name, or a word of its name."""
    folded = term.casefold()
    return folded == entity.id.casefold() or contains_phrase(entity.name, term)


def outlet_of(source: SourceRef) -> str:
    """What counts as one outlet: the outlet name, else the URL's host, else the article itself."""
    if source.outlet and source.outlet.strip():
        return source.outlet.strip().casefold().removeprefix("www.")
    if source.url:
        host = urlsplit(source.url).hostname
        if host:
            return host.casefold().removeprefix("www.")
    return f"article:{source.article_id}"


def count_outlets(event: EventUpdate) -> int:
    return len({outlet_of(s) for s in event.sources})


@dataclass(frozen=True)
class Match:
    """Why a rule matched an event, and the highest threshold the event has reached."""

    rule: Rule
    threshold: int
    outlets: int
    entities: tuple[str, ...]
    keywords: tuple[str, ...]


def match_rule(rule: Rule, event: EventUpdate) -> Match | None:
    """The match if every condition of the rule holds for the event's current state, else None."""
    if event.merged_into is not None:  # folded into another event: that one is watched instead
        return None
    if rule.event_types and event.event_type.casefold() not in {t.casefold() for t in rule.event_types}:
        return None
    # the same rule as the sink's (shared.actors): a record from an older sink lists "GMT" too
    involved = clean_entities([*event.actors, *event.places])
    matched_entities: list[str] = []
    for term in rule.entities:
        hit = next((e for e in involved if entity_matches(term, e)), None)
        if hit is None:
            return None
        matched_entities.append(hit.id)
    text = "\n".join(filter(None, [event.title, event.summary]))
    matched_keywords = [k for k in rule.keywords if contains_phrase(text, k)]
    if rule.keywords and not matched_keywords:
        return None
    outlets = count_outlets(event)
    reached = [t for t in rule.thresholds if outlets >= t]
    if not reached:
        return None
    return Match(rule, reached[-1], outlets, tuple(matched_entities), tuple(matched_keywords))


def fired_key(rule: str, event_id: str) -> str:
    """Key of the fired state: rule names cannot contain "|" (see :class:`Rule`)."""
    return f"{rule}|{event_id}"


def make_alert(match: Match, event: EventUpdate) -> Alert:
    return Alert(
        alert_id=f"{fired_key(match.rule.name, event.event_id)}|{match.threshold}",
        rule=match.rule.name,
        event_id=event.event_id,
        event_revision=event.revision,
        threshold=match.threshold,
        outlets=match.outlets,
        title=event.title,
        event_type=event.event_type,
        event_date=event.event_date,
        matched_entities=list(match.entities),
        matched_keywords=list(match.keywords),
        source_urls=[s.url for s in event.sources if s.url],
    )


def new_alerts(rules: Iterable[Rule], event: EventUpdate, fired: Mapping[str, int]) -> list[Alert]:
    """Alerts this event state deserves that were not sent before (``fired``: key → threshold sent)."""
    alerts: list[Alert] = []
    for rule in rules:
        match = match_rule(rule, event)
        if match is not None and match.threshold > fired.get(fired_key(rule.name, event.event_id), 0):
            alerts.append(make_alert(match, event))
    return alerts
