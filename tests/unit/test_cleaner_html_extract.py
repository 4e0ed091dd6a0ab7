"""services.cleaner.html_extract: site names in titles."""

from __future__ import annotations

import pytest

from services.cleaner.html_extract import strip_site_suffix


@pytest.mark.parametrize(
    ("title", "site", "url", "expected"),
    [
        ("Storm closes port | The Daily Example", "Daily Example", None, "Storm closes port"),
        ("Storm closes port - News | Example.com", "Example.com", None, "Storm closes port - News"),
        (
            "Opinion | Is the port safe?",
            "Daily Example",
            "https://www.dailyexample.com/a",
            "Opinion | Is the port safe?",
        ),
        ("Storm closes port – dailyexample", None, "https://www.dailyexample.com/a", "Storm closes port"),
        ("Biden - Putin talks end", "Reuters", None, "Biden - Putin talks end"),
    ],
)
def test_strip_site_suffix(title: str, site: str | None, url: str | None, expected: str) -> None:
    assert strip_site_suffix(title, site, url) == expected
