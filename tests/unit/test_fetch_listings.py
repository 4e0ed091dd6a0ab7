"""services.fetcher.listings: RSS and sitemap variants."""

from __future__ import annotations

import gzip

import pytest

from services.fetcher.listings import maybe_gunzip, newest, parse_feed, parse_sitemap
from shared.errors import RejectedInput


def test_parse_rss_0_9x_and_1_0() -> None:
    rss091 = b"""<?xml version="1.0"?><rss version="0.91"><channel><title>Old</title>
    <item><title>Old item</title><link>/rel/1</link><description>d</description></item></channel></rss>"""
    items = parse_feed(rss091, "https://old.example/feed")
    assert [i.url for i in items] == ["https://old.example/rel/1"]
    rdf = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
    <channel rdf:about="https://r.example/"><title>R</title><link>https://r.example/</link><description>x</description></channel>
    <item rdf:about="https://r.example/1"><title>RDF item</title><link>https://r.example/1</link>
    <dc:date>2023-03-04T05:06:07Z</dc:date><dc:creator>Ann</dc:creator></item></rdf:RDF>"""
    (item,) = parse_feed(rdf, "https://r.example/rss")
    assert item.meta is not None and item.meta.author == "Ann" and item.meta.title == "RDF item"
    assert item.meta.published is not None and item.meta.published.year == 2023
    with pytest.raises(RejectedInput):
        parse_feed(b"\x00\x01garbage<<<", "https://x")


def test_parse_sitemap_variants() -> None:
    plain = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc> https://s.example/a </loc><lastmod>2024-01-02</lastmod></url><url><loc>https://s.example/b</loc></url>
    </urlset>"""
    sm = parse_sitemap(maybe_gunzip(gzip.compress(plain), 10_000), "https://s.example/sitemap.xml.gz")
    assert [i.url for i in sm.items] == ["https://s.example/a", "https://s.example/b"]
    assert sm.items[0].marker == "2024-01-02T00:00:00+00:00"
    assert [i.url for i in newest(sm.items, 1)] == ["https://s.example/a"]
    for bad in (b"<html><body>no</body></html>", b"<urlset", b'<!DOCTYPE x [<!ENTITY a "b">]><urlset/>'):
        with pytest.raises(RejectedInput):
            parse_sitemap(bad, "https://s.example/")
    with pytest.raises(RejectedInput):
        maybe_gunzip(gzip.compress(b"x" * 5000), 1000)
