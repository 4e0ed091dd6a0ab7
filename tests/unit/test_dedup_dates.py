"""Date and weekday features: an event reported over several days keeps every well-supported
day as its own, while a day far from all of them is still a gap the model sees."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import numpy as np

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import ArticleFeatures
from services.deduplicator.pairs import _date_features
from services.deduplicator.state import EventState

CFG = DedupConfig()  # only for the signature length
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


def _weekday_gap(weekday: int, event: EventState) -> float:
    return _date_features(replace(FEAT, weekday=weekday), event)[2]


def test_a_weekday_the_event_is_also_reported_on_is_no_gap() -> None:
    assert _weekday_gap(5, RIOTS) == 0.0
    assert _weekday_gap(6, RIOTS) == 1.0  # next to Saturday


def test_a_weekday_away_from_every_supported_one_is_a_gap() -> None:
    assert _weekday_gap(3, RIOTS) == 2.0  # Thursday: two days from Tuesday and from Saturday


def test_a_weekday_named_once_in_passing_is_not_a_supported_day() -> None:
    event = _event(weekday_votes={"1": 9.0, "4": 1.0})  # 1/9 of the top: below the share
    assert _weekday_gap(4, event) == 3.0


def test_unknown_dates_are_marked_unknown() -> None:
    assert _date_features(FEAT, RIOTS) == (-1.0, -1.0, -1.0)
    assert _date_features(_dated(date(2008, 12, 11)), _event()) == (-1.0, -1.0, -1.0)


def _dated(day: date) -> ArticleFeatures:
    return replace(FEAT, event_date=day, date_precision="day", date_confidence=0.9)


def test_every_well_supported_day_of_a_multi_day_event_counts() -> None:
    event = _event(day_votes={"2008-12-06": 3.0, "2008-12-10": 2.0}, month_votes={"2008-12": 5.0})
    assert _date_features(_dated(date(2008, 12, 11)), event)[:2] == (np.log1p(1), 0.0)  # next to the 10th
    assert _date_features(_dated(date(2008, 12, 15)), event)[0] == np.log1p(5)
    assert _date_features(_dated(date(2009, 2, 1)), event)[:2] == (np.log1p(53), 1.0)  # and another month


def test_a_day_named_once_in_passing_is_not_one_of_the_events_days() -> None:
    event = _event(day_votes={"2008-12-06": 9.0, "2008-12-10": 1.0})
    assert _date_features(_dated(date(2008, 12, 10)), event)[0] == np.log1p(4)
