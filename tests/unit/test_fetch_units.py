"""Pure parts of the fetcher: canonical URLs, seen-state, files, records, config, listings, safety helpers."""

from __future__ import annotations

import base64
import gzip
import ipaddress
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from services.fetcher.canonical import canonicalize_url, page_canonical, site_of
from services.fetcher.documents import encode_body, url_article_id
from services.fetcher.files import FileStats, FolderWatcher, file_article_id, read_file
from services.fetcher.health import HealthBook, backoff_delay
from services.fetcher.http import parse_retry_after
from services.fetcher.listings import maybe_gunzip, newest, parse_feed, parse_sitemap
from services.fetcher.netguard import AddressPolicy, is_public, split_target
from services.fetcher.runner import Fetcher
from services.fetcher.seen import SeenState, content_hash
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceConfig, SourceKind, SourcesLoader, StaticSources, parse_sources
from shared.contracts import BodyEncoding, RawArticle
from shared.errors import ConfigError, RejectedInput
from shared.urls import is_tracking_param

# --- canonical URLs ------------------------------------------------------------------------


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


# --- seen-state -----------------------------------------------------------------------------


def test_seen_publish_once_then_version_on_change() -> None:
    table: dict[str, Any] = {}
    seen = SeenState(table)
    first = seen.decide(["u:a"], "h1", "id-a")
    assert (first.publish, first.version, first.reason) == (True, 1, "new")
    seen.commit(["u:a", "u:alias"], first, "h1", etag='"e"')
    repeat = seen.decide(["u:a"], "h1", "other-id")
    assert not repeat.publish and repeat.reason == "unchanged"
    changed = SeenState(table).decide(["u:alias"], "h2", "other-id")  # a new instance over the same table
    assert (changed.publish, changed.version, changed.article_id) == (True, 2, "id-a")
    seen.commit(["u:a"], changed, "h2")
    assert seen.decide("u:a", "h1", "x").version == 3  # reverting is a change too
    assert json.loads(json.dumps(table))  # JSON-serialisable (faust changelog)


def test_seen_needs_check_and_malformed_values() -> None:
    table: dict[str, Any] = {"u:bad": "garbage", "u:worse": {"id": "x"}}
    seen = SeenState(table)
    assert seen.get("u:bad") is None and seen.get("u:worse") is None
    assert seen.decide("u:bad", "h", "id").publish
    seen.commit(["u:k"], seen.decide("u:k", "h", "id"), "h", marker="m1", now=1000.0)
    assert not seen.needs_check("u:k", marker="m1", recheck_seconds=60, now=1030.0)
    assert seen.needs_check("u:k", marker="m2", recheck_seconds=60, now=1030.0)
    assert seen.needs_check("u:k", marker="m1", recheck_seconds=60, now=1061.0)
    seen.touch("u:k", now=2000.0)
    assert not seen.needs_check("u:k", marker=None, recheck_seconds=60, now=2030.0)
    assert content_hash("a") == content_hash(b"a") != content_hash("b")


def test_seen_prune_forgets_old_pages_only() -> None:
    table: dict[str, Any] = {}
    seen = SeenState(table)
    for key, when in (("u:old", 100.0), ("u:new", 900.0), ("f:/data/old.txt", 100.0)):
        seen.commit([key], seen.decide(key, "h", "id"), "h", now=when)
    table["u:junk"] = 42
    assert seen.prune(older_than=500.0) == 2
    assert sorted(table) == ["f:/data/old.txt", "u:new"]


# --- files -----------------------------------------------------------------------------------


def test_file_ids_and_types(tmp_path: Path) -> None:
    assert file_article_id(Path("000_7f11475e37a074b1.txt")) == "000_7f11475e37a074b1"
    assert file_article_id(Path("page.v2.html.gz")) == "page.v2"
    (tmp_path / "a.txt").write_text("Plain text.", encoding="utf-8")
    (tmp_path / "b.html.gz").write_bytes(gzip.compress(b"<html><body>zipped</body></html>"))
    (tmp_path / "c.htm").write_bytes('<meta charset="windows-1252"><p>caf\xe9</p>'.encode("cp1252"))
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    watcher = FolderWatcher(tmp_path, "folder", 1_000_000)
    cands = {c.article.article_id: c.article for c in watcher.scan(FileStats())}
    assert set(cands) == {"a", "b", "c"}
    assert cands["a"].content_type == "text/plain" and cands["a"].body == "Plain text."
    assert cands["b"].content_type == "text/html" and "zipped" in cands["b"].body
    latin = cands["c"]
    assert latin.body_encoding is BodyEncoding.BASE64 and latin.charset == "cp1252"
    assert base64.b64decode(latin.body).decode("cp1252").endswith("café</p>")
    assert list(watcher.scan(FileStats())) == []  # unchanged files are not read again
    (tmp_path / "a.txt").write_text("Plain text, corrected.", encoding="utf-8")
    os.utime(tmp_path / "a.txt", (time.time() + 5, time.time() + 5))
    assert [c.article.article_id for c in watcher.scan(FileStats())] == ["a"]


def test_bad_files_are_skipped_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"  \n")
    (tmp_path / "broken.html.gz").write_bytes(b"not gzip at all")
    (tmp_path / "bad.json").write_text("{nope", encoding="utf-8")
    (tmp_path / "good.txt").write_text("fine", encoding="utf-8")
    stats = FileStats()
    ids = [c.article.article_id for c in FolderWatcher(tmp_path, "f", 1_000_000).scan(stats)]
    assert ids == ["good"]
    assert len(stats.errors) == 3
    with pytest.raises(RejectedInput) as info:
        list(read_file(tmp_path / "good.txt", "f", max_bytes=2))
    assert info.value.reason == "too_large"


def test_json_and_jsonl_records(tmp_path: Path) -> None:
    lines = [
        json.dumps({"doc_id": "1_10ecb", "text": "Tara Reid checked in.", "topic": 1}),
        "{not json",
        json.dumps({"id": 7, "html": "<p>hi</p>", "url": "https://x.com/a", "title": "T", "published": "2024-01-01"}),
        json.dumps({"doc_id": "empty"}),
        json.dumps(["a", "list"]),
        "",
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "one.json").write_text(json.dumps({"text": "single record"}), encoding="utf-8")
    stats = FileStats()
    out = {c.article.article_id: c.article for c in FolderWatcher(tmp_path, "f", 1_000_000).scan(stats)}
    assert set(out) == {"1_10ecb", "7", "one-0"}
    assert out["7"].content_type == "text/html" and out["7"].feed is not None and out["7"].feed.title == "T"
    assert out["7"].feed.published is not None and out["7"].feed.published.tzinfo is not None
    assert stats.invalid_records == 3


def test_encode_body() -> None:
    assert encode_body("naïve".encode(), None) == ("naïve", BodyEncoding.TEXT, None)
    assert encode_body(b"\xef\xbb\xbfbom", "UTF-8")[0] == "bom"
    body, enc, charset = encode_body(b"\xff\xfe\x00bad", None)
    assert enc is BodyEncoding.BASE64 and charset is None and base64.b64decode(body) == b"\xff\xfe\x00bad"
    assert encode_body("ok".encode("latin-1"), "ISO-8859-1")[1] is BodyEncoding.BASE64  # declared non-UTF-8
    assert url_article_id("https://x.com/a") == url_article_id("https://x.com/a") != url_article_id("https://x.com/b")


# --- config ----------------------------------------------------------------------------------


def test_parse_sources(tmp_path: Path) -> None:
    text = """
    [defaults]
    interval = 120
    [[sources]]
    id = "bbc"
    kind = "rss"
    url = "https://feeds.bbci.co.uk/news/world/rss.xml"
    [[sources]]
    id = "drop"
    kind = "folder"
    path = "incoming"
    interval = 5
    [[sources]]
    id = "replay"
    kind = "jsonl"
    path = "/data/ecb.jsonl"
    rate = 200
    """
    sources = parse_sources(text, base_dir=tmp_path)
    assert [s.kind for s in sources] == [SourceKind.FEED, SourceKind.FOLDER, SourceKind.JSONL]
    assert sources[0].interval == 120 and sources[1].interval == 5
    assert sources[1].path == tmp_path / "incoming" and sources[2].path == Path("/data/ecb.jsonl")


def test_example_sources_file_parses() -> None:
    path = Path(__file__).resolve().parents[2] / "deploy" / "sources.example.toml"
    sources = parse_sources(path.read_text(encoding="utf-8"), base_dir=path.parent)
    assert {s.kind for s in sources} == set(SourceKind)
    samples = next(s for s in sources if s.id == "samples")
    assert samples.path is not None and samples.path.resolve() == (path.parent / "samples").resolve()


@pytest.mark.parametrize(
    "text",
    [
        "[[sources]]\nid='a'\nkind='feed'\n",  # no url
        "[[sources]]\nid='a'\nkind='telepathy'\nurl='x'\n",
        "[[sources]]\nid='a b'\nkind='feed'\nurl='https://x'\n",
        "[[sources]]\nid='a'\nkind='feed'\nurl='https://x'\n[[sources]]\nid='a'\nkind='feed'\nurl='https://y'\n",
        "[[sources]]\nid='a'\nkind='feed'\nurl='https://x'\nallow_networks=['not a cidr']\n",
        "[[sources]\n",
    ],
)
def test_invalid_sources_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_sources(text)


def test_sources_file_reloaded_on_change_and_bad_edit_keeps_previous(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text("[[sources]]\nid='a'\nkind='folder'\npath='.'\n", encoding="utf-8")
    loader = SourcesLoader(path, tmp_path)
    first, changed = loader.load()
    assert changed and [s.id for s in first] == ["a"]
    assert loader.load() == (first, False)
    path.write_text("[[sources]]\nid='a'\nkind='folder'\npath='.'\n[[sources]]\nid='b'\nkind='folder'\npath='x'\n")
    os.utime(path, (time.time() + 10, time.time() + 10))
    second, changed = loader.load()
    assert changed and [s.id for s in second] == ["a", "b"]
    path.write_text("[[sources]\nbroken")
    os.utime(path, (time.time() + 20, time.time() + 20))
    assert loader.load() == (second, False)
    assert [s.id for s in SourcesLoader(None, tmp_path).load()[0]] == ["samples"]


async def test_adding_and_removing_a_source_takes_effect_without_restart(tmp_path: Path) -> None:
    folder_a, folder_b = tmp_path / "a", tmp_path / "b"
    folder_a.mkdir()
    folder_b.mkdir()
    (folder_a / "one.txt").write_text("one", encoding="utf-8")
    (folder_b / "two.txt").write_text("two", encoding="utf-8")
    path = tmp_path / "sources.toml"
    path.write_text("[[sources]]\nid='a'\nkind='folder'\npath='a'\n", encoding="utf-8")
    published: list[RawArticle] = []

    async def publish(article: RawArticle) -> None:
        published.append(article)

    settings = FetcherSettings(_env_file=None, sources_file=path)  # type: ignore[call-arg]
    fetcher = Fetcher(settings, publish, seen_table={})
    await fetcher.tick()
    await fetcher.wait_idle()
    assert [a.article_id for a in published] == ["one"]
    path.write_text("[[sources]]\nid='b'\nkind='folder'\npath='b'\n", encoding="utf-8")
    os.utime(path, (time.time() + 10, time.time() + 10))
    await fetcher.tick()
    await fetcher.wait_idle()
    assert [a.article_id for a in published] == ["one", "two"] and list(fetcher.sources) == ["b"]
    await fetcher.aclose()


# --- listings ---------------------------------------------------------------------------------


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


# --- safety and health helpers ----------------------------------------------------------------


def test_address_policy() -> None:
    def addr(text: str) -> Any:
        return ipaddress.ip_address(text)

    for private in (
        "127.0.0.1",
        "10.0.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "0.0.0.0",
        "::ffff:10.0.0.1",
    ):
        assert not is_public(addr(private)), private
    assert is_public(addr("93.184.216.34")) and is_public(addr("2606:4700::1111"))
    assert AddressPolicy(allow_networks=("127.0.0.1/32",)).permits(addr("127.0.0.1"))
    assert not AddressPolicy(allow_networks=("127.0.0.1/32",)).permits(addr("10.0.0.1"))
    assert AddressPolicy(allow_private=True).permits(addr("10.0.0.1"))
    for bad in ("ftp://x.com/", "http:///nohost", "https://user:pw@x.com/", "javascript:alert(1)"):
        with pytest.raises(RejectedInput):
            split_target(bad)
    assert split_target("HTTPS://x.com") == ("https", "x.com", 443)


def test_retry_after_and_backoff() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 - 30) == pytest.approx(30.0)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert backoff_delay(60, 0, 3600) == 60
    assert backoff_delay(60, 1, 3600) == 120 and backoff_delay(60, 3, 3600) == 480
    assert backoff_delay(60, 30, 3600) == 3600 and backoff_delay(7200, 2, 3600) == 7200


def test_health_book_counts() -> None:
    table: dict[str, Any] = {}
    book = HealthBook(table)
    book.record_http("s", 200)
    book.record_http("s", 200)
    book.success("s", published=3, now=10.0)
    book.record_http("s", 503)
    book.failure("s", "HTTP 503", now=20.0)
    book.failure("s", "HTTP 503", now=30.0)
    health = HealthBook(table).get("s")
    assert health.http_status == {"200": 2, "503": 1}
    assert (health.items_published, health.consecutive_failures, health.last_success) == (3, 2, 10.0)
    assert health.status == "failing"
    book.success("s", published=0, now=40.0)
    assert HealthBook(table).get("s").consecutive_failures == 0


async def test_jsonl_replay_rate_limit_and_invalid_lines(tmp_path: Path) -> None:
    path = tmp_path / "replay.jsonl"
    rows = [json.dumps({"doc_id": f"d{i}", "text": f"text {i}"}) for i in range(10)]
    path.write_text("\n".join([*rows[:5], "garbage", *rows[5:]]) + "\n", encoding="utf-8")
    published: list[RawArticle] = []

    async def publish(article: RawArticle) -> None:
        published.append(article)

    source = SourceConfig(id="replay", kind=SourceKind.JSONL, path=path, rate=20.0)
    fetcher = Fetcher(FetcherSettings(_env_file=None), publish, seen_table={}, loader=StaticSources([source]))  # type: ignore[call-arg]
    started = time.monotonic()
    await fetcher.run_once()
    elapsed = time.monotonic() - started
    assert [a.article_id for a in published] == [f"d{i}" for i in range(10)]
    assert 0.4 <= elapsed < 2.0  # 10 records at 20/s
    assert fetcher.health.get("replay").invalid_items == 1
    with path.open("a", encoding="utf-8") as fh:  # appended lines are picked up, old ones not repeated
        fh.write(json.dumps({"doc_id": "d10", "text": "late"}) + "\n" + '{"doc_id": "partial"')
    await fetcher.run_once()
    assert [a.article_id for a in published][10:] == ["d10"]
    await fetcher.aclose()
