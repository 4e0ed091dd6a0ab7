"""Issue 18, the fetcher: hostile servers on 127.0.0.1 cost at most their budget and never take a poll down."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import time
import tracemalloc
from collections.abc import AsyncIterator

import pytest

from services.cli import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, main
from services.fetcher import web
from services.fetcher.cli import fetch_once_async, fetch_once_run
from services.fetcher.http import FetchError, HttpFetcher
from services.fetcher.netguard import AddressPolicy, BlockedAddress, is_public, resolve
from services.fetcher.sources import SourceConfig, SourceKind
from tests.conftest import SAMPLES
from tests.fixtures.fetcher.server import Page, Site, article_html, rss, serve
from tests.fixtures.hostile import MB, Server, serving, stacked_bomb
from tests.unit.test_fetch_http import LOOPBACK, Harness, feed_source, make_settings

POLICY = AddressPolicy(allow_networks=LOOPBACK)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async for s in serve(Site()):
        yield s


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness(make_settings())
    yield h
    await h.close()


# 1. stacked-encoding bomb --------------------------------------------------------------------


async def test_stacked_encoding_bomb_is_cut_while_decompressing(site: Site) -> None:
    """2 KB of ``gzip, gzip`` decoding to 200 MB: refused at the 10 MB budget without ever holding 200 MB."""
    site.routes["/bomb"] = Page(stacked_bomb(200), headers={"Content-Encoding": "gzip, gzip"})
    http = HttpFetcher(make_settings(respect_robots=False))
    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as info:
            await http.get(site.url("/bomb"), policy=POLICY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await http.aclose()
    assert info.value.reason == "too_large"
    assert peak < 40 * MB, f"peak {peak / MB:.0f} MB while refusing a bomb"


async def test_encoding_layers_are_limited_and_decoded_here(site: Site) -> None:
    body = article_html("layers", "two gzip layers are fine").encode()
    site.routes["/two"] = Page(gzip.compress(gzip.compress(body)), headers={"Content-Encoding": "gzip, gzip"})
    site.routes["/three"] = Page(
        gzip.compress(gzip.compress(gzip.compress(body))), headers={"Content-Encoding": "gzip, gzip, gzip"}
    )
    site.routes["/br"] = Page(b"\x0b\x02\x80hi\x03", headers={"Content-Encoding": "br"})
    http = HttpFetcher(make_settings(respect_robots=False))
    try:
        assert (await http.get(site.url("/two"), policy=POLICY)).body == body
        for path, reason in (("/three", "too_many_encodings"), ("/br", "unsupported_encoding")):
            with pytest.raises(FetchError) as info:
                await http.get(site.url(path), policy=POLICY)
            assert info.value.reason == reason
    finally:
        await http.aclose()
    assert site.requests[0][1].get("Accept-Encoding") == "gzip, deflate"  # only what is decoded within budget


# 2. one page with an unknown charset ---------------------------------------------------------


def _feed_of_eleven(site: Site) -> None:
    items = [{"title": f"Story {i}", "link": site.url(f"/n/{i}")} for i in range(11)]
    site.routes["/feed.xml"] = Page(rss(items), content_type="application/rss+xml")
    site.routes["/n/0"] = Page(article_html("Odd", "odd charset"), content_type="text/html; charset=x-no-such-charset")
    for i in range(1, 11):
        site.routes[f"/n/{i}"] = Page(article_html(f"Story {i}", f"Body {i}."))


async def test_unknown_charset_on_one_page_does_not_fail_the_feed(site: Site, harness: Harness) -> None:
    _feed_of_eleven(site)
    out = await harness.run(feed_source(site))
    assert {site.url(f"/n/{i}") for i in range(1, 11)} <= {a.url for a in out}
    assert harness.health["test"]["consecutive_failures"] == 0 and harness.health["test"]["last_error"] is None


async def test_a_bug_on_one_page_is_an_item_error_not_a_cancelled_poll(
    site: Site, harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    _feed_of_eleven(site)
    real = web.page_candidate

    def flaky(ctx: web.PollContext, item: web.ListedItem, result: web.FetchResult, key: str) -> web.Candidate | None:
        if item.url.endswith("/n/0"):
            raise RuntimeError("boom")
        return real(ctx, item, result, key)

    monkeypatch.setattr(web, "page_candidate", flaky)
    out = await harness.run(feed_source(site))
    assert len(out) == 10
    assert harness.health["test"]["item_errors"] == 1 and harness.health["test"]["consecutive_failures"] == 0
    [letter] = harness.dead_letters  # the failed page is a dead letter with its reason and URL
    assert (letter.service, letter.reason, letter.payload) == ("fetcher", "unexpected_error", site.url("/n/0"))
    assert "boom" in letter.error and letter.source_topic == "source:test"


async def test_fetch_once_keeps_a_failed_page_as_a_dead_letter(site: Site) -> None:
    site.routes["/feed.xml"] = Page(
        rss([{"title": f"S{i}", "link": site.url(f"/n/{i}")} for i in (1, 2)]), content_type="application/rss+xml"
    )
    site.routes["/n/1"] = Page(article_html("Story 1", "Body 1."))
    site.routes["/n/2"] = Page(b"\x1f\x8b not gzip at all", headers={"content-encoding": "gzip"})
    run = await fetch_once_run([site.url("/feed.xml")], allow_private=True, settings=make_settings())
    assert [a.url for a in run.articles] == [site.url("/n/1")]
    [letter] = run.dead_letters
    assert (letter.service, letter.payload, letter.source_key) == ("fetcher", site.url("/n/2"), site.url("/n/2"))
    assert letter.reason.startswith("invalid_") and run.problems == 1


# 3. a sitemap index given to fetch --once ----------------------------------------------------


async def test_fetch_once_reads_a_sitemap_index(site: Site) -> None:
    site.routes["/index.xml"] = Page(
        f"""<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <sitemap><loc>{site.url("/child.xml")}</loc></sitemap></sitemapindex>""",
        content_type="application/xml",
    )
    site.routes["/child.xml"] = Page(
        f"""<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <url><loc>{site.url("/s/1")}</loc></url></urlset>""",
        content_type="application/xml",
    )
    site.routes["/s/1"] = Page(article_html("From the index", "A page listed by a child sitemap."))
    out = await fetch_once_async([site.url("/index.xml")], allow_private=True, settings=make_settings())
    assert [a.url for a in out] == [site.url("/s/1")]


# 4. Crawl-delay: 3600, slow servers, the per-poll deadline -----------------------------------


async def test_long_crawl_delay_defers_the_host_instead_of_hanging(site: Site) -> None:
    site.routes["/robots.txt"] = Page("User-agent: *\nCrawl-delay: 3600\n", content_type="text/plain")
    for i in range(3):
        site.routes[f"/p/{i}"] = Page(article_html(f"P{i}", f"page {i}"))
    h = Harness(make_settings())  # the default cap: no request waits more than 60 s for its slot
    src = SourceConfig(id="u", kind=SourceKind.URLS, urls=tuple(site.url(f"/p/{i}") for i in range(3)), **_LOOP)
    started = time.monotonic()
    try:
        out = await asyncio.wait_for(h.run(src), 20)
        stats = h.fetcher.tasks["u"].result()
    finally:
        await h.close()
    assert time.monotonic() - started < 10
    assert len(out) == 1 and stats.deferred == 2 and stats.item_errors == 0
    assert sum(site.hits(f"/p/{i}") for i in range(3)) == 1  # the host's wish is kept: one page this hour
    assert h.health["u"]["consecutive_failures"] == 0


_LOOP = {"allow_networks": LOOPBACK}


async def test_poll_deadline_ends_a_slow_poll_and_a_later_poll_fetches_the_rest(site: Site) -> None:
    items = [{"title": f"S{i}", "link": site.url(f"/s/{i}")} for i in range(3)]
    site.routes["/feed.xml"] = Page(rss(items), content_type="application/rss+xml", etag='"f1"')
    site.routes["/s/0"] = Page(article_html("S0", "quick"))
    for i in (1, 2):
        site.routes[f"/s/{i}"] = Page(article_html(f"S{i}", "slow"), delay=3.0)
    h = Harness(make_settings(poll_deadline=1.0, read_timeout=10.0))
    try:
        started = time.monotonic()
        first = await h.run(feed_source(site))
        assert time.monotonic() - started < 2.5
        assert [a.url for a in first] == [site.url("/s/0")]
        assert h.fetcher.tasks["test"].result().deferred == 2
        for i in (1, 2):
            site.routes[f"/s/{i}"] = Page(article_html(f"S{i}", "now quick"))
        second = await h.run(feed_source(site))  # the feed's validators were not kept: no 304 hides them
    finally:
        await h.close()
    assert sorted(a.url for a in second) == [site.url("/s/1"), site.url("/s/2")]


async def test_retry_after_503_is_reported_as_503(site: Site) -> None:
    site.routes["/busy"] = Page("no", status=503, headers={"Retry-After": "3600"}, content_type="text/plain")
    http = HttpFetcher(make_settings(respect_robots=False))
    try:
        with pytest.raises(FetchError) as info:
            await http.get(site.url("/busy"), policy=POLICY)
    finally:
        await http.aclose()
    assert info.value.status == 503 and "HTTP 503" in str(info.value)


# 9. fetch --once exit status ------------------------------------------------------------------


def test_fetch_once_exits_non_zero_when_every_source_fails(capsys: pytest.CaptureFixture[str]) -> None:
    with serving(Server()) as srv:
        assert main(["fetch", "--once", "--allow-private", srv.url("/gone"), srv.url("/also-gone")]) == EXIT_FAILED
        assert main(["fetch", "--once", "--allow-private", srv.url("/gone"), str(SAMPLES)]) == EXIT_PARTIAL
    assert main(["fetch", "--once", str(SAMPLES)]) == EXIT_OK
    err = capsys.readouterr().err
    assert "http_404" in err or "HTTP 404" in err
    assert "2 source(s) failed" in err and "1 source(s) failed" in err


# smaller findings ----------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["2002:7f00::1", "2002:7f00:1::", "2002:a00:1::", "2002:a9fe:a9fe::"])
async def test_6to4_addresses_are_judged_by_their_ipv4(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
    with pytest.raises(BlockedAddress):
        await resolve(f"http://[{address}]/", policy=AddressPolicy())
    assert is_public(ipaddress.ip_address("2002:808:808::1"))  # 8.8.8.8 inside: public
