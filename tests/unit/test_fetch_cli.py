"""The fetcher's CLI functions: fetch_once over paths and URLs, sources_health."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from services.fetcher.cli import fetch_once, sources_health
from services.fetcher.settings import FetcherSettings
from shared.errors import ConfigError

SAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "samples"

ROUTES: dict[str, tuple[str, bytes]] = {}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        content_type, body = ROUTES.get(path, ("text/plain", b""))
        self.send_response(200 if path in ROUTES else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    ROUTES.clear()


def settings() -> FetcherSettings:
    return FetcherSettings(_env_file=None, per_host_rate=1000.0, max_retries=0)  # type: ignore[call-arg]


def test_fetch_once_paths(tmp_path: Path) -> None:
    jsonl = tmp_path / "records.jsonl"
    jsonl.write_text('{"doc_id": "r1", "text": "one"}\n{"doc_id": "r2", "text": "two"}\nnot json\n', encoding="utf-8")
    arts = list(fetch_once([str(SAMPLES), str(jsonl), str(SAMPLES / "000_7f11475e37a074b1.txt")], settings=settings()))
    ids = [a.article_id for a in arts]
    assert sorted(ids) == sorted([p.name[:-4] for p in SAMPLES.glob("*.txt")] + ["r1", "r2"])  # the file once
    with pytest.raises(ConfigError):
        list(fetch_once([str(tmp_path / "missing")], settings=settings()))


def test_fetch_once_urls_detects_feed_and_page(server: str) -> None:
    ROUTES["/rss"] = (
        "application/rss+xml",
        f"""<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>
        <item><title>Item</title><link>{server}/story?utm_source=rss</link></item></channel></rss>""".encode(),
    )
    ROUTES["/story"] = ("text/html; charset=utf-8", b"<html><body><p>Story body</p></body></html>")
    ROUTES["/page"] = ("text/html", b"<html><head><title>P</title></head><body>page itself</body></html>")
    arts = list(fetch_once([f"{server}/rss", f"{server}/page"], allow_private=True, settings=settings()))
    by_url = {a.canonical_url: a for a in arts}
    assert set(by_url) == {f"{server}/story", f"{server}/page"}
    assert by_url[f"{server}/story"].feed is not None and by_url[f"{server}/story"].feed.title == "Item"
    assert "page itself" in by_url[f"{server}/page"].body
    assert list(fetch_once([f"{server}/page"], settings=settings())) == []  # loopback refused by default


def test_sources_health_with_and_without_endpoint(server: str, tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        "[[sources]]\nid='wire'\nkind='feed'\nurl='https://example.com/rss'\ninterval=60\n"
        "[[sources]]\nid='drop'\nkind='folder'\npath='in'\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    rows = sources_health(path, settings=settings(), out=out)
    assert [r["id"] for r in rows] == ["wire", "drop"] and rows[0]["status"] == "unknown"
    assert "not reachable" in out.getvalue()
    ROUTES["/fetcher/health"] = (
        "application/json",
        json.dumps(
            {
                "sources": [
                    {"source_id": "wire", "status": "failing", "consecutive_failures": 3, "last_error": "HTTP 503"}
                ]
            }
        ).encode(),
    )
    out = io.StringIO()
    rows = sources_health(path, health_url=f"{server}/fetcher/health", settings=settings(), out=out)
    assert rows[0]["status"] == "failing" and rows[0]["consecutive_failures"] == 3
    assert rows[1]["status"] == "pending"
    assert "HTTP 503" in out.getvalue()
