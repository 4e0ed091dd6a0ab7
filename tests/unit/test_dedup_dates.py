"""Date and weekday vetoes: an event reported over several days keeps every well-supported
day as its own, while a day far from all of them still vetoes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import ArticleFeatures
from services.deduplicator.scoring import date_factor, weekday_factor
from services.deduplicator.state import EventState

CFG = DedupConfig()
T0 = datetime(2008, 12, 9, 12, 0, tzinfo=UTC)

FEAT = ArticleFeatures(
    article_id="a",
    version=1,
    outlet=None,
    url_key=None,
    stream_time=T0,
    fingerprint="f",
    signature=np.zeros(CFG.minhash_perms, dtype=np.uint32),
    n_shingles=40,
    terms={},
    entities={},
    phrases=frozenset(),
    event_type="other",
    event_date=None,
    date_precision="unknown",
    date_confidence=0.0,
)


def _event(**votes: dict[str, float]) -> EventState:
    return EventState(event_id="e", seq=1, first_time=T0, last_time=T0, **votes)  # type: ignore[arg-type]


# riots reported mostly on the Tuesday after the shooting (1), but also on the Saturday (5)
RIOTS = _event(weekday_votes={"1": 7.0, "5": 4.0})


def test_a_weekday_the_event_is_also_reported_on_is_no_conflict() -> None:
    assert weekday_factor(replace(FEAT, weekday=5), RIOTS, CFG) == 1.0
    assert weekday_factor(replace(FEAT, weekday=6), RIOTS, CFG) == 1.0  # next to Saturday


def test_a_weekday_away_from_every_supported_one_still_vetoes() -> None:
    assert weekday_factor(replace(FEAT, weekday=3), RIOTS, CFG) == CFG.weekday_conflict_factor


def test_a_weekday_named_once_in_passing_is_not_a_supported_day() -> None:
    event = _event(weekday_votes={"1": 9.0, "4": 1.0})  # 1/9 of the top: below the share
    assert weekday_factor(replace(FEAT, weekday=4), event, CFG) == CFG.weekday_conflict_factor
    assert weekday_factor(replace(FEAT, weekday=4), event, CFG.model_copy(update={"date_support_share": 0.1})) == 1.0


def _dated(day: date) -> ArticleFeatures:
    return replace(FEAT, event_date=day, date_precision="day", date_confidence=0.9)


def test_every_well_supported_day_of_a_multi_day_event_counts() -> None:
    event = _event(day_votes={"2008-12-06": 3.0, "2008-12-10": 2.0})
    assert date_factor(_dated(date(2008, 12, 11)), event, CFG) > 1.0  # next to the 10th
    assert date_factor(_dated(date(2008, 12, 8)), event, CFG) == 1.0  # two days from either
    assert date_factor(_dated(date(2008, 12, 15)), event, CFG) == CFG.date_conflict_factor
    assert date_factor(_dated(date(2009, 2, 1)), event, CFG) == CFG.far_date_conflict_factor


def test_with_share_one_only_the_most_reported_day_counts() -> None:
    event = _event(day_votes={"2008-12-06": 3.0, "2008-12-10": 2.0})
    strict = CFG.model_copy(update={"date_support_share": 1.0})
    assert date_factor(_dated(date(2008, 12, 11)), event, strict) == CFG.date_conflict_factor
