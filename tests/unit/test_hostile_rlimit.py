"""Issue 18's bar: every hostile case, run as the CLI runs it, under a 1.5 GB address-space cap.

Each command runs in a child process limited with ``RLIMIT_AS`` (as ``prlimit
--as=1500000000`` would): a decoder without a budget dies there with a
MemoryError instead of swapping the machine. Every run must end within 60 s
with a clear error or dead letter for the bad input and the good inputs beside
it processed. Servers are on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.cli import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL
from services.sink.apply import apply_decision
from shared.eventstore.store import EventWriter
from tests.conftest import REPO, SAMPLES, make_decision
from tests.fixtures.hostile import Reply, Server, gzip_bomb, page, serving, stacked_bomb

pytestmark = pytest.mark.slow

ADDRESS_SPACE = 1_500_000_000
DEADLINE_S = 60.0
BOMB_MB = 2_500  # decoded size of each bomb: more than the cap
HTML = {"Content-Type": "text/html; charset=utf-8"}
XML = {"Content-Type": "application/xml"}


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_capped(*args: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S + 30,
        preexec_fn=_cap,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


def _normal_site(srv: Server) -> None:
    srv.routes["/bomb"] = Reply(stacked_bomb(BOMB_MB), headers={**HTML, "Content-Encoding": "gzip, gzip"})
    items = "".join(f"<item><title>S{i}</title><link>{srv.url(f'/n/{i}')}</link></item>" for i in range(11))
    srv.routes["/feed"] = Reply(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>{items}</channel></rss>',
        headers={"Content-Type": "application/rss+xml"},
    )
    srv.routes["/n/0"] = Reply(page("Odd", "odd charset"), headers={"Content-Type": "text/html; charset=x-no-such"})
    for i in range(1, 11):
        srv.routes[f"/n/{i}"] = Reply(page(f"Story {i}", f"Body {i}."), headers=HTML)
    srv.routes["/index.xml"] = Reply(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{srv.url('/child.xml')}</loc></sitemap></sitemapindex>",
        headers=XML,
    )
    srv.routes["/child.xml"] = Reply(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{srv.url('/s/1')}</loc></url></urlset>",
        headers=XML,
    )
    srv.routes["/s/1"] = Reply(page("Indexed", "listed by a child sitemap"), headers=HTML)


def _slow_site(srv: Server) -> None:
    srv.routes["/robots.txt"] = Reply("User-agent: *\nCrawl-delay: 3600\n", headers={"Content-Type": "text/plain"})
    items = "".join(f"<item><title>D{i}</title><link>{srv.url(f'/d/{i}')}</link></item>" for i in range(3))
    srv.routes["/feed"] = Reply(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>d</title>{items}</channel></rss>',
        headers={"Content-Type": "application/rss+xml"},
    )
    for i in range(3):
        srv.routes[f"/d/{i}"] = Reply(page(f"D{i}", "delayed"), headers=HTML)


def test_fetch_once_cases_under_the_cap() -> None:
    """Cases 1-4 and 9: bomb, odd charset, sitemap index and Crawl-delay 3600 in one ``fetch --once``."""
    with serving() as normal, serving(host="127.0.0.2") as slow:  # two hosts: the Crawl-delay is per host
        _normal_site(normal)
        _slow_site(slow)
        urls = [normal.url(p) for p in ("/bomb", "/feed", "/index.xml")] + [slow.url("/feed")]
        code, out, err, took = run_capped("fetch", "--once", "--allow-private", *urls)
        assert took < DEADLINE_S, err
        got = {json.loads(line)["url"] for line in out.splitlines()}
        assert {normal.url(f"/n/{i}") for i in range(1, 11)} | {normal.url("/s/1")} <= got, err
        assert "too_large" in err and "MemoryError" not in err
        assert "1 source(s) failed" in err and "3 deferred" in err
        assert code == EXIT_PARTIAL
        code, out, err, took = run_capped("fetch", "--once", "--allow-private", normal.url("/bomb"))
    assert took < DEADLINE_S and out == "" and code == EXIT_FAILED, err


def test_replay_cases_under_the_cap(tmp_path: Path) -> None:
    """Cases 5-7: corrupt gzip, gzip bomb, deep JSON, records without id, a 5-million-character title."""
    (tmp_path / "good.txt").write_text((SAMPLES / "001_49524e8554e2d548.txt").read_text(encoding="utf-8"))
    (tmp_path / "corrupt.html.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"garbage" * 100)
    (tmp_path / "bomb.html.gz").write_bytes(gzip_bomb(BOMB_MB))
    story = "The minister said on Tuesday that the talks would resume next week in Geneva. " * 3
    records = [
        "[" * 200_000 + "]" * 200_000,
        json.dumps({"text": story}),
        json.dumps({"doc_id": "titled", "title": "T" * 5_000_000, "text": story}),
    ]
    (tmp_path / "records.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    code, out, err, took = run_capped("replay", str(tmp_path), "--until", "clean")
    assert took < DEADLINE_S, err
    assert sorted(json.loads(line)["article_id"] for line in out.splitlines()) == ["good", "titled"], err
    assert len(out) < 100_000  # the huge title did not travel
    reasons = sorted(json.loads(line)["reason"] for line in err.splitlines() if line.startswith("{"))
    assert reasons == ["invalid_gzip", "missing_id", "too_deep", "too_large"]
    assert code == EXIT_PARTIAL


def test_events_listing_under_the_cap(tmp_path: Path) -> None:
    """Case 8: a stored title full of terminal escapes prints escaped."""
    url = f"sqlite:///{tmp_path}/e.db"
    store = EventWriter(url)
    apply_decision(store, make_decision("a1", "e1", title="Phone call"))
    doc = json.loads(store.execute("SELECT doc FROM events").fetchone()[0])
    doc["title"] = "\x1b]0;pwned\x07\x1b[2J\x00Evil"
    store.execute("UPDATE events SET doc = ? WHERE event_id = 'e1'", (json.dumps(doc),))
    store.close()
    code, out, err, took = run_capped("events", "--database", url)
    assert took < DEADLINE_S and code == EXIT_OK, err
    assert "Evil" in out and not any(c in out for c in "\x1b\x07\x00")
