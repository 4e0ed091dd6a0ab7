"""services.fetcher.canonical: canonical URLs and trusted page canonicals."""

from __future__ import annotations

import pytest

from services.fetcher.canonical import canonicalize_url, page_canonical, site_of
from shared.urls import is_tracking_param


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM:80/a?utm_source=x&b=2&a=1#frag", "http://example.com/a?a=1&b=2"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x/", "https://example.com:8443/x"),
        ("https://x.com/p?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&id=7", "https://x.com/p?id=7"),
        ("https://x.com/%7euser/a%2fb", "https://x.com/~user/a%2Fb"),
        ("https://x.com//a//b/", "https://x.com/a/b"),
        ("https://bücher.de/x", "https://xn--bcher-kva.de/x"),
        ("https://x.com/p?q=", "https://x.com/p?q="),
    ],
)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


def test_canonicalize_keeps_distinct_pages_distinct() -> None:
    assert canonicalize_url("https://www.x.com/a") != canonicalize_url("https://x.com/a")
    assert canonicalize_url("https://x.com/a?id=1") != canonicalize_url("https://x.com/a?id=2")
    assert canonicalize_url("mailto:a@b.c") == "mailto:a@b.c"
    assert is_tracking_param("UTM_Campaign") and not is_tracking_param("page")


def test_page_canonical_only_trusted_on_the_same_site() -> None:
    amp = '<html><head><link rel="amphtml canonical" href="https://www.news.com/story?utm_source=amp"></head>'
    assert page_canonical(amp, "https://amp.news.com/story/amp") == "https://www.news.com/story"
    relative = "<link href='/story' rel='canonical'>"
    assert page_canonical(relative, "https://m.news.com/story/amp") == "https://m.news.com/story"
    syndicated = '<link rel="canonical" href="https://original.org/story">'
    assert page_canonical(syndicated, "https://copy.com/story") == "https://copy.com/story"
    assert page_canonical("<p>no head</p>", "https://x.com/a/") == "https://x.com/a"
    home = '<link rel="canonical" href="https://www.news.com/">'
    assert page_canonical(home, "https://www.news.com/2024/story") == "https://www.news.com/2024/story"
    assert page_canonical(home, "https://news.com/") == "https://www.news.com/"
    assert site_of("https://www.bbc.co.uk/x") == "bbc.co.uk" and site_of("https://m.x.com") == "x.com"
