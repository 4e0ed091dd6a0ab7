"""The fetcher against a real HTTP server on 127.0.0.1 (loopback allowed only by the sources' config)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from services.fetcher.http import FetchError, HttpFetcher
from services.fetcher.netguard import AddressPolicy, BlockedAddress
from services.fetcher.runner import Fetcher
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceConfig, SourceKind, StaticSources
from shared.contracts import DeadLetter, RawArticle
from shared.errors import RejectedInput
from tests.fixtures.fetcher.server import Page, Site, article_html, rss, serve

LOOPBACK = ("127.0.0.1/32",)


def make_settings(**overrides: Any) -> FetcherSettings:
    values: dict[str, Any] = {
        "per_host_rate": 1000.0,
        "per_host_concurrency": 4,
        "backoff_base": 0.01,
        "backoff_max": 5.0,
        "max_retries": 2,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "recheck_seconds": 0.0,
        **overrides,
    }
    return FetcherSettings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async for s in serve(Site()):
        yield s


class Harness:
    """A fetcher publishing into a list, with a seen-state dict that can outlive it."""

    def __init__(self, settings: FetcherSettings, seen: dict[str, Any] | None = None, delay: float = 0.0) -> None:
        self.published: list[RawArticle] = []
        self.delay = delay
        self.seen: dict[str, Any] = {} if seen is None else seen
        self.health: dict[str, Any] = {}
        self.dead_letters: list[DeadLetter] = []
        self.fetcher = Fetcher(
            settings, self._publish, seen_table=self.seen, health_table=self.health, dead_letter=self._dead_letter
        )

    async def _dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(letter)

    async def _publish(self, article: RawArticle) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)  # a send that takes time, like a real producer
        self.published.append(article)

    async def run(self, *sources: SourceConfig) -> list[RawArticle]:
        before = len(self.published)
        self.fetcher.loader = StaticSources(list(sources))
        await self.fetcher.run_once()
        return self.published[before:]

    async def close(self) -> None:
        await self.fetcher.aclose()


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness(make_settings())
    yield h
    await h.close()


def feed_source(site: Site, path: str = "/feed.xml", kind: SourceKind = SourceKind.FEED, **kw: Any) -> SourceConfig:
    return SourceConfig(id="test", kind=kind, url=site.url(path), allow_networks=LOOPBACK, **kw)


async def test_rss_feed_pages_published_with_feed_metadata(site: Site, harness: Harness) -> None:
    site.routes["/feed.xml"] = Page(
        rss(
            [
                {"title": "First story", "link": site.url("/news/1"), "summary": "one"},
                {"title": "Second story", "link": site.url("/news/2"), "date": "Sun, 13 Feb 2022 08:30:00 GMT"},
            ]
        ),
        content_type="application/rss+xml",
    )
    site.routes["/news/1"] = Page(article_html("First story", "Body one."))
    site.routes["/news/2"] = Page(article_html("Second story", "Body two."))
    out = await harness.run(feed_source(site))
    assert sorted(a.feed.title for a in out if a.feed) == ["First story", "Second story"]
    second = next(a for a in out if a.feed and a.feed.title == "Second story")
    assert second.content_type == "text/html" and "Body two." in second.body
    assert second.feed is not None and second.feed.published is not None
    assert second.feed.published.isoformat() == "2022-02-13T08:30:00+00:00"
    assert second.canonical_url == site.url("/news/2") and second.url == site.url("/news/2")
    assert second.article_id.startswith("u") and second.version == 1 and second.source_id == "test"
    assert harness.health["test"]["items_published"] == 2
    assert harness.health["test"]["http_status"]["200"] >= 3


async def test_atom_feed(site: Site, harness: Harness) -> None:
    site.routes["/atom"] = Page(
        f"""<?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2024-01-02T00:00:00Z</updated>
        <entry><title>Atom entry</title><id>urn:1</id><link href="{site.url("/a/1")}"/>
        <updated>2024-01-02T03:04:05Z</updated><author><name>Jane Doe</name></author><summary>S</summary></entry>
        </feed>""",
        content_type="application/atom+xml",
    )
    site.routes["/a/1"] = Page(article_html("Atom entry", "Atom body."))
    out = await harness.run(feed_source(site, "/atom"))
    assert len(out) == 1
    assert out[0].feed is not None and out[0].feed.author == "Jane Doe" and out[0].feed.title == "Atom entry"
    assert "Atom body." in out[0].body


async def test_news_sitemap_and_index(site: Site, harness: Harness) -> None:
    site.routes["/sitemap-index.xml"] = Page(
        f"""<?xml version="1.0" encoding="UTF-8"?>
        <sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <sitemap><loc>{site.url("/news-sitemap.xml")}</loc><lastmod>2024-05-01</lastmod></sitemap></sitemapindex>""",
        content_type="application/xml",
    )
    site.routes["/news-sitemap.xml"] = Page(
        f"""<?xml version="1.0" encoding="UTF-8"?>
        <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
                xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
        <url><loc>{site.url("/s/1")}</loc><news:news><news:publication><news:name>Daily</news:name>
        <news:language>en</news:language></news:publication>
        <news:publication_date>2024-05-01T10:00:00+02:00</news:publication_date>
        <news:title>Sitemap story</news:title></news:news></url>
        </urlset>""",
        content_type="application/xml",
    )
    site.routes["/s/1"] = Page(article_html("Sitemap story", "From the sitemap."))
    out = await harness.run(feed_source(site, "/sitemap-index.xml", SourceKind.SITEMAP))
    assert len(out) == 1
    assert out[0].feed is not None and out[0].feed.title == "Sitemap story"
    assert out[0].feed.published is not None and out[0].feed.published.isoformat() == "2024-05-01T10:00:00+02:00"


async def test_conditional_get_304_publishes_nothing(site: Site, harness: Harness) -> None:
    site.routes["/feed.xml"] = Page(rss([{"title": "t", "link": site.url("/p")}]), etag='"feed-1"')
    site.routes["/p"] = Page(article_html("t", "text"), etag='"page-1"')
    assert len(await harness.run(feed_source(site))) == 1
    assert await harness.run(feed_source(site)) == []
    feed_requests = [h for p, h in site.requests if p == "/feed.xml"]
    assert feed_requests[-1].get("If-None-Match") == '"feed-1"'
    assert site.hits("/p") == 1  # the feed answered 304, so the page was not asked for again
    # the page itself answers 304 when listed again by another source
    second = SourceConfig(id="list", kind=SourceKind.URLS, urls=(site.url("/p"),), allow_networks=LOOPBACK)
    assert await harness.run(second) == []
    page_requests = [h for p, h in site.requests if p == "/p"]
    assert page_requests[-1].get("If-None-Match") == '"page-1"'
    assert harness.health["list"]["http_status"].get("304") == 1


async def test_429_with_retry_after_is_honoured(site: Site, harness: Harness) -> None:
    site.routes["/busy"] = [
        Page("slow down", status=429, headers={"Retry-After": "1"}, content_type="text/plain"),
        Page(article_html("ok", "finally")),
    ]
    started = time.monotonic()
    out = await harness.run(
        SourceConfig(id="u", kind=SourceKind.URLS, urls=(site.url("/busy"),), allow_networks=LOOPBACK)
    )
    assert time.monotonic() - started >= 0.95
    assert len(out) == 1 and "finally" in out[0].body
    assert harness.health["u"]["http_status"] == {"429": 1, "200": 1}


async def test_retry_after_longer_than_backoff_max_gives_up(site: Site) -> None:
    site.routes["/busy"] = Page("no", status=503, headers={"Retry-After": "3600"}, content_type="text/plain")
    http = HttpFetcher(make_settings(respect_robots=False))
    try:
        with pytest.raises(FetchError) as info:
            await http.get(site.url("/busy"), policy=AddressPolicy(allow_networks=LOOPBACK))
        assert info.value.reason == "rate_limited"
    finally:
        await http.aclose()


async def test_slow_server_times_out_and_other_items_still_publish(site: Site) -> None:
    h = Harness(make_settings(read_timeout=0.3, max_retries=1))
    site.routes["/slow"] = Page(article_html("slow", "late"), delay=2.0)
    site.routes["/fast"] = Page(article_html("fast", "quick"))
    src = SourceConfig(
        id="u", kind=SourceKind.URLS, urls=(site.url("/slow"), site.url("/fast")), allow_networks=LOOPBACK
    )
    started = time.monotonic()
    out = await h.run(src)
    await h.close()
    assert [a.url for a in out] == [site.url("/fast")]
    assert site.hits("/slow") == 2  # one retry
    assert time.monotonic() - started < 1.9
    assert h.health["u"]["item_errors"] == 1 and h.health["u"]["consecutive_failures"] == 0


async def test_body_over_limit_is_refused_also_when_compressed(site: Site) -> None:
    http = HttpFetcher(make_settings(max_body_bytes=4096, respect_robots=False))
    big = article_html("big", "x" * 50_000)
    site.routes["/big"] = Page(big)
    site.routes["/bomb"] = Page(big, gzip=True)  # ~200 bytes on the wire
    policy = AddressPolicy(allow_networks=LOOPBACK)
    try:
        for path in ("/big", "/bomb"):
            with pytest.raises(FetchError) as info:
                await http.get(site.url(path), policy=policy)
            assert info.value.reason == "too_large"
        site.routes["/small"] = Page(article_html("s", "fits"), gzip=True)
        assert b"fits" in (await http.get(site.url("/small"), policy=policy)).body
    finally:
        await http.aclose()


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/", "http://[::1]:9/"])
async def test_redirect_to_private_address_is_refused(site: Site, target: str) -> None:
    site.routes["/go"] = Page("", status=302, headers={"Location": target}, content_type="text/plain")
    http = HttpFetcher(make_settings(respect_robots=False))
    try:
        with pytest.raises(BlockedAddress):
            await http.get(site.url("/go"), policy=AddressPolicy(allow_networks=LOOPBACK))
    finally:
        await http.aclose()
    assert site.hits("/go") == 1


async def test_loopback_refused_without_explicit_permission(site: Site) -> None:
    site.routes["/p"] = Page(article_html("p", "p"))
    http = HttpFetcher(make_settings(respect_robots=False))
    try:
        with pytest.raises(BlockedAddress):
            await http.get(site.url("/p"))
        with pytest.raises(RejectedInput) as info:
            await http.get("file:///etc/passwd")
        assert info.value.reason == "blocked_scheme"
    finally:
        await http.aclose()
    assert site.hits("/p") == 0


async def test_redirects_are_followed_hop_by_hop_with_a_limit(site: Site) -> None:
    site.routes["/r1"] = Page("", status=301, headers={"Location": "/r2"}, content_type="text/plain")
    site.routes["/r2"] = Page("", status=302, headers={"Location": site.url("/final")}, content_type="text/plain")
    site.routes["/final"] = Page(article_html("f", "landed"))
    site.routes["/loop"] = Page("", status=302, headers={"Location": "/loop"}, content_type="text/plain")
    http = HttpFetcher(make_settings(respect_robots=False, max_redirects=3))
    policy = AddressPolicy(allow_networks=LOOPBACK)
    try:
        result = await http.get(site.url("/r1"), policy=policy)
        assert result.url == site.url("/final") and b"landed" in result.body
        with pytest.raises(FetchError) as info:
            await http.get(site.url("/loop"), policy=policy)
        assert info.value.reason == "too_many_redirects"
    finally:
        await http.aclose()


async def test_robots_txt_disallow_and_crawl_delay(site: Site, harness: Harness) -> None:
    site.routes["/robots.txt"] = Page("User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n", content_type="text/plain")
    site.routes["/private/x"] = Page(article_html("secret", "no"))
    site.routes["/public/y"] = Page(article_html("open", "yes"))
    site.routes["/public/z"] = Page(article_html("open2", "yes2"))
    src = SourceConfig(
        id="u",
        kind=SourceKind.URLS,
        urls=(site.url("/private/x"), site.url("/public/y"), site.url("/public/z")),
        allow_networks=LOOPBACK,
    )
    started = time.monotonic()
    out = await harness.run(src)
    assert sorted(a.url or "" for a in out) == [site.url("/public/y"), site.url("/public/z")]
    assert site.hits("/private/x") == 0 and site.hits("/robots.txt") == 1
    assert time.monotonic() - started >= 0.9  # the second public page waited for the crawl delay
    assert harness.health["u"]["item_errors"] == 1


async def test_tracking_parameter_variants_published_once(site: Site, harness: Harness) -> None:
    site.routes["/story"] = Page(article_html("s", "same story"))
    links = ["/story?utm_source=rss&utm_medium=feed", "/story?fbclid=abc", "/story#comments", "/story/"]
    site.routes["/feed.xml"] = Page(rss([{"title": f"t{i}", "link": site.url(p)} for i, p in enumerate(links)]))
    out = await harness.run(feed_source(site))
    assert len(out) == 1
    assert out[0].canonical_url == site.url("/story")


async def test_amp_variant_with_declared_canonical_published_once(site: Site, harness: Harness) -> None:
    site.routes["/story"] = Page(article_html("s", "story text", canonical=site.url("/story")))
    site.routes["/story/amp"] = Page(article_html("s", "story text", canonical=site.url("/story")))
    src = SourceConfig(
        id="u", kind=SourceKind.URLS, urls=(site.url("/story/amp"), site.url("/story")), allow_networks=LOOPBACK
    )
    harness.fetcher.settings = make_settings()
    out = await harness.run(src)
    assert len(out) == 1 and out[0].canonical_url == site.url("/story")


async def test_updated_article_is_published_as_version_2(site: Site, harness: Harness) -> None:
    site.routes["/feed.xml"] = Page(rss([{"title": "t", "link": site.url("/p")}]))
    site.routes["/p"] = Page(article_html("t", "first version"))
    first = await harness.run(feed_source(site))
    site.routes["/p"] = Page(article_html("t", "corrected version"))
    second = await harness.run(feed_source(site))
    third = await harness.run(feed_source(site))
    assert [a.version for a in first + second] == [1, 2]
    assert first[0].article_id == second[0].article_id
    assert "corrected" in second[0].body
    assert third == []


async def test_restart_publishes_nothing_twice(site: Site) -> None:
    site.routes["/feed.xml"] = Page(rss([{"title": f"t{i}", "link": site.url(f"/p{i}")} for i in range(3)]))
    for i in range(3):
        site.routes[f"/p{i}"] = Page(article_html(f"t{i}", f"text {i}"))
    first = Harness(make_settings())
    assert len(await first.run(feed_source(site))) == 3
    await first.close()
    restarted = Harness(make_settings(), seen=first.seen)  # the table restored from its changelog
    assert await restarted.run(feed_source(site)) == []
    await restarted.close()


async def test_failing_feed_is_backed_off_and_does_not_block_others(site: Site, harness: Harness) -> None:
    site.routes["/broken"] = Page("gone", status=410, content_type="text/plain")
    site.routes["/ok"] = Page(article_html("ok", "fine"))
    broken = SourceConfig(id="broken", kind=SourceKind.FEED, url=site.url("/broken"), allow_networks=LOOPBACK)
    ok = SourceConfig(id="ok", kind=SourceKind.URLS, urls=(site.url("/ok"),), allow_networks=LOOPBACK)
    out = await harness.run(broken, ok)
    assert len(out) == 1
    health = harness.health["broken"]
    assert health["consecutive_failures"] == 1 and "410" in health["last_error"]
    assert harness.fetcher.next_due["broken"] - time.time() > 300  # 2 x the default interval


async def test_not_a_feed_fails_the_poll_with_a_reason(site: Site, harness: Harness) -> None:
    site.routes["/feed.xml"] = Page(b"\x00\x01 definitely not xml <<<", content_type="application/octet-stream")
    assert await harness.run(feed_source(site)) == []
    assert "not a parsable feed" in harness.health["test"]["last_error"]


async def handler_echo_ua(request: web.Request) -> web.Response:
    return web.Response(text=article_html("ua", request.headers.get("User-Agent", "")), content_type="text/html")


async def test_user_agent_is_sent(site: Site) -> None:
    site.routes["/ua"] = handler_echo_ua
    h = Harness(make_settings(user_agent="wirewatch-test/9"))
    out = await h.run(SourceConfig(id="u", kind=SourceKind.URLS, urls=(site.url("/ua"),), allow_networks=LOOPBACK))
    await h.close()
    assert "wirewatch-test/9" in out[0].body


async def test_same_page_listed_by_two_sources_at_once_is_published_once(site: Site) -> None:
    h = Harness(make_settings(), delay=0.05)
    site.routes["/shared"] = Page(article_html("s", "shared story"))
    site.routes["/feed1"] = Page(rss([{"title": "a", "link": site.url("/shared?utm_campaign=1")}]))
    site.routes["/feed2"] = Page(rss([{"title": "b", "link": site.url("/shared")}]))
    sources = [
        SourceConfig(id=f"f{i}", kind=SourceKind.FEED, url=site.url(f"/feed{i}"), allow_networks=LOOPBACK)
        for i in (1, 2)
    ]
    out = await h.run(*sources)
    await h.close()
    assert len(out) == 1 and site.hits("/shared") + site.hits("/shared?utm_campaign=1") == 2


async def echo_host(request: web.Request) -> web.Response:
    return web.Response(text=article_html("host", request.headers.get("Host", "")), content_type="text/html")


async def test_host_names_are_resolved_and_checked(site: Site) -> None:
    site.routes["/host"] = echo_host
    by_name = site.url("/host").replace("127.0.0.1", "localhost")
    http = HttpFetcher(make_settings(respect_robots=False))
    try:
        with pytest.raises(BlockedAddress):
            await http.get(by_name)  # localhost resolves to loopback: refused by default
        loopback = AddressPolicy(allow_networks=("127.0.0.0/8", "::1/128"))
        result = await http.get(by_name, policy=loopback)
        assert f"localhost:{by_name.split(':')[2].split('/')[0]}" in result.body.decode()
    finally:
        await http.aclose()


async def test_connect_time_guard_refuses_what_the_precheck_did_not_see(site: Site) -> None:
    """The client's own network backend re-checks addresses (a DNS answer that changed after the check)."""
    site.routes["/p"] = Page(article_html("p", "p"))
    http = HttpFetcher(make_settings(respect_robots=False))
    try:
        with pytest.raises(BlockedAddress):
            await http.client.get(site.url("/p"))  # bypasses get()'s pre-check; policy: public only
    finally:
        await http.aclose()
    assert site.hits("/p") == 0


async def trickle(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    for _ in range(40):  # 8 s in all, never silent for longer than the read timeout
        await response.write(b"<p>drip</p>")
        await asyncio.sleep(0.2)
    return response


async def test_trickling_body_hits_the_whole_request_deadline(site: Site) -> None:
    site.routes["/drip"] = trickle
    http = HttpFetcher(make_settings(respect_robots=False, connect_timeout=0.5, read_timeout=0.5, max_retries=0))
    started = time.monotonic()
    try:
        with pytest.raises(FetchError) as info:
            await http.get(site.url("/drip"), policy=AddressPolicy(allow_networks=LOOPBACK))
    finally:
        await http.aclose()
    assert info.value.reason == "timeout"
    assert 1.3 < time.monotonic() - started < 3.0  # connect + 2 x read = 1.5 s


async def test_feed_without_page_fetching_and_url_list_file(site: Site, harness: Harness, tmp_path: Any) -> None:
    site.routes["/feed.xml"] = Page(
        rss([{"title": "Inline", "link": site.url("/never-fetched"), "summary": "&lt;p&gt;The summary&lt;/p&gt;"}])
    )
    inline = feed_source(site, fetch_pages=False)
    listed = tmp_path / "urls.txt"
    listed.write_text(f"# watchlist\n{site.url('/listed')}\n\n", encoding="utf-8")
    site.routes["/listed"] = Page(article_html("listed", "from a file"))
    from_file = SourceConfig(id="file", kind=SourceKind.URLS, path=listed, allow_networks=LOOPBACK)
    out = await harness.run(inline, from_file)
    by_source = {a.source_id: a for a in out}
    assert "The summary" in by_source["test"].body and site.hits("/never-fetched") == 0
    assert by_source["test"].content_type == "text/html"
    assert "from a file" in by_source["file"].body
