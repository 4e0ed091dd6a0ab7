"""Fetcher throughput: poll a local HTTP server with N feeds x M items, count articles/s and peak memory.

The server runs in a child process (aiohttp) on 127.0.0.1 so its CPU and memory
are not charged to the fetcher. The fetcher runs its real logic: address
checks, robots.txt, conditional GET, canonical URLs, seen-state decisions and
message construction (each article is serialised to JSON as Kafka would).
A second poll measures the steady state (feeds unchanged, pages not re-fetched).

    .venv/bin/python bench/bench_fetch.py [--feeds 200] [--items 50] [--page-kb 8]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import socket
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import web

from services.fetcher.runner import Fetcher
from services.fetcher.settings import FetcherSettings
from services.fetcher.sources import SourceConfig, SourceKind, StaticSources
from shared.contracts import RawArticle
from shared.logging import configure_logging

WORDS = [
    "the",
    "minister",
    "said",
    "on",
    "tuesday",
    "that",
    "talks",
    "with",
    "the",
    "delegation",
    "would",
    "continue",
    "next",
    "week",
    "in",
    "geneva",
]


def _page(feed: int, item: int, size: int) -> bytes:
    words = (WORDS[(feed + item + i) % len(WORDS)] for i in range(size // 6))
    text = " ".join(words)
    paragraphs = "".join(f"<p>{text[i : i + 400]}</p>" for i in range(0, len(text), 400))
    return (
        f"<html><head><title>Story {feed}-{item}</title>"
        f'<link rel="canonical" href="/article/{feed}/{item}"></head>'
        f"<body><h1>Story {feed}-{item}</h1>{paragraphs}</body></html>"
    ).encode()


def _serve(port: int, items: int, page_bytes: int) -> None:
    async def feed(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        entries = "".join(
            f"<item><title>Story {n}-{j}</title><link>/article/{n}/{j}?utm_source=rss</link>"
            f"<pubDate>Sat, 12 Feb 2022 10:{j % 60:02d}:00 GMT</pubDate><description>Summary {j}</description></item>"
            for j in range(items)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>{entries}</channel></rss>'
        return web.Response(text=body, content_type="application/rss+xml", headers={"ETag": f'"feed-{n}"'})

    async def article(request: web.Request) -> web.Response:
        n, j = int(request.match_info["n"]), int(request.match_info["j"])
        return web.Response(body=_page(n, j, page_bytes), content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/feed/{n}.xml", feed)
    app.router.add_get("/article/{n}/{j}", article)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("bench server did not start")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


async def _run(port: int, feeds: int) -> dict[str, Any]:
    settings = FetcherSettings(
        _env_file=None,  # type: ignore[call-arg]
        per_host_rate=1_000_000.0,
        per_host_concurrency=32,
        global_concurrency=64,
        max_items_per_poll=1000,
    )
    sources = [
        SourceConfig(
            id=f"feed-{n}",
            kind=SourceKind.FEED,
            url=f"http://127.0.0.1:{port}/feed/{n}.xml",
            allow_networks=("127.0.0.1/32",),
        )
        for n in range(feeds)
    ]
    count = 0
    payload_bytes = 0

    async def publish(article: RawArticle) -> None:
        nonlocal count, payload_bytes
        count += 1
        payload_bytes += len(article.model_dump_json())

    fetcher = Fetcher(settings, publish, seen_table={}, health_table={}, loader=StaticSources(sources))
    rss_before = _rss_mb()
    started = time.perf_counter()
    await fetcher.run_once()
    first = time.perf_counter() - started
    first_count = count
    started = time.perf_counter()
    await fetcher.run_once()
    second = time.perf_counter() - started
    await fetcher.aclose()
    failures = sum(h.consecutive_failures for h in fetcher.health.all().values())
    item_errors = sum(h.item_errors for h in fetcher.health.all().values())
    return {
        "articles": first_count,
        "seconds": round(first, 2),
        "articles_per_s": round(first_count / first, 1) if first else 0.0,
        "republished_on_second_poll": count - first_count,
        "second_poll_seconds": round(second, 2),
        "mb_per_s": round(payload_bytes / first / 1e6, 2) if first else 0.0,
        "source_failures": failures,
        "item_errors": item_errors,
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--page-kb", type=float, default=8.0)
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    port = _free_port()
    server = multiprocessing.Process(target=_serve, args=(port, args.items, int(args.page_kb * 1024)), daemon=True)
    server.start()
    try:
        _wait_for(port)
        result = asyncio.run(_run(port, args.feeds))
    finally:
        server.terminate()
        server.join(5)
    result = {"bench": "fetch", "feeds": args.feeds, "items_per_feed": args.items, "page_kb": args.page_kb, **result}
    print(f"published {result['articles']} articles in {result['seconds']} s: {result['articles_per_s']} articles/s")
    second, again = result["second_poll_seconds"], result["republished_on_second_poll"]
    print(f"second poll (nothing new): {second} s, republished {again}")
    print(f"peak RSS {result['peak_rss_mb']} MB (before polling {result['rss_before_mb']} MB)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
