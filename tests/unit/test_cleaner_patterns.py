"""services.cleaner.patterns: bylines."""

from __future__ import annotations

import pytest

from services.cleaner.patterns import byline_names


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("By Jane Smith and John Doe, Reuters", ["Jane Smith", "John Doe"]),
        ("Reported by: Dipaneeta Das", ["Dipaneeta Das"]),
        ("By Monday, the council will have decided on the new budget.", []),
        ("By Tuesday", []),
        ("By 2030 the plan will be finished.", []),
    ],
)
def test_byline_names(line: str, names: list[str]) -> None:
    assert byline_names(line) == names
