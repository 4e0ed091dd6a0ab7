"""services.cleaner.stamps: date/time stamps in text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.cleaner.stamps import parse_stamp, stamp_kind


@pytest.mark.parametrize(
    ("line", "utc", "tz", "known"),
    [
        ("Published 08:16 IST, February 12th 2022", datetime(2022, 2, 12, 2, 46, tzinfo=UTC), "IST", True),
        ("12 Feb 2022, 02:46 pm", datetime(2022, 2, 12, 14, 46, tzinfo=UTC), None, False),
        ("Posted: March 3, 2021 at 4:05 p.m. ET", datetime(2021, 3, 3, 21, 5, tzinfo=UTC), "ET", True),
        ("2019-11-19T08:57:40+01:00", datetime(2019, 11, 19, 7, 57, tzinfo=UTC), "+01:00", True),
        ("Updated 5 May 2020 10.30 GMT", datetime(2020, 5, 5, 10, 30, tzinfo=UTC), "GMT", True),
        ("Veröffentlicht am 12.02.2022 um 08:16 Uhr", datetime(2022, 2, 12, 8, 16, tzinfo=UTC), None, False),
        ("Aktualisiert: 12.02.2022, 14:46 MEZ", datetime(2022, 2, 12, 13, 46, tzinfo=UTC), "MEZ", True),
    ],
)
def test_parse_stamp(line: str, utc: datetime, tz: str | None, known: bool) -> None:
    stamp = parse_stamp(line)
    assert stamp is not None
    assert stamp.when == utc
    assert stamp.tz_label == tz
    assert stamp.tz_known is known


def test_stamp_kind() -> None:
    assert stamp_kind("Published 08:16 IST, February 12th 2022") == "published"
    assert stamp_kind("Last updated: 1 June 2021") == "updated"
    assert stamp_kind("Published by the ministry of health, the report says a lot.") is None
    assert parse_stamp("February 30 2022") is None
