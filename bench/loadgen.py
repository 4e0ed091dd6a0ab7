"""Load generator: replays real articles onto ``<prefix>articles.raw`` as ``RawArticle`` messages.

Seeds are the ECB+ dev texts (772 news articles, plain text) and the
article-extraction-benchmark pages (181 real HTML pages, sent as raw bytes in
base64 so the cleaner's decoding path runs as it does for fetched pages).
Team data, read from ``../shared/corpus`` relative to the repository; absent
data is an error the caller reports.

Volume comes from *variants*: variant 0 of a seed is the article as it is;
variant ``n > 0`` gets a new article id and outlet and, for plain text, its
lines after the lead and the sentences within each line shuffled and a few pairs of neighbouring
words swapped (one swap per ~40 words). Variants therefore look like
rewritten or syndicated copies: the deduplicator sees near-duplicates and
event joins, as in a real news stream, rather than byte-identical replays
(which it would shortcut) or unrelated noise. HTML pages only change id and
outlet (their markup is left intact so the cleaner's work stays realistic).

``fetched_at`` is the send time (UTC): the end-to-end latency is measured
from it to the first ``events`` message that lists the article as a source.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.contracts import BodyEncoding, RawArticle, utcnow

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


@dataclass(frozen=True)
class Seed:
    """One real article the generator derives variants from."""

    seed_id: str
    body: str  # text, or base64 of the raw HTML bytes
    content_type: str  # "text/plain" or "text/html"


def load_seeds(corpus: Path = CORPUS, html_pages: int = 181) -> list[Seed]:
    """ECB+ dev texts and benchmark HTML pages; raises FileNotFoundError when the corpus is absent."""
    seeds: list[Seed] = []
    with (corpus / "ecbplus" / "dev.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row.get("text"):
                seeds.append(Seed(f"ecb-{row['doc_id']}", row["text"], "text/plain"))
    pages = sorted((corpus / "article-extraction-benchmark" / "html").glob("*.html.gz"))[:html_pages]
    for page in pages:
        raw = gzip.decompress(page.read_bytes())
        seeds.append(Seed(f"aeb-{page.name[:12]}", base64.b64encode(raw).decode("ascii"), "text/html"))
    if not seeds:
        raise FileNotFoundError(f"no seed articles under {corpus}")
    return seeds


def rewrite(text: str, rng: random.Random) -> str:
    """Shuffle the lines after the first (ECB+ texts hold one sentence a line), the sentences inside
    each line, and swap a few neighbouring words; the first line (the lead) stays first."""
    lines = text.split("\n")
    rest = lines[1:]
    rng.shuffle(rest)
    paragraphs = []
    for paragraph in lines[:1] + rest:
        sentences = _SENTENCE.split(paragraph)
        rng.shuffle(sentences)
        words = " ".join(sentences).split(" ")
        for _ in range(len(words) // 40):
            i = rng.randrange(0, max(1, len(words) - 1))
            if i + 1 < len(words):
                words[i], words[i + 1] = words[i + 1], words[i]
        paragraphs.append(" ".join(words))
    return "\n".join(paragraphs)


def variant(seed: Seed, n: int, run: str, rng: random.Random) -> RawArticle:
    """Variant ``n`` of a seed as a RawArticle stamped with the current time."""
    body = seed.body
    if n > 0 and seed.content_type == "text/plain":
        body = rewrite(body, rng)
    article_id = f"{run}-{seed.seed_id}-v{n}"
    return RawArticle(
        article_id=article_id,
        source_id=f"loadgen-{n % 7}",
        outlet=f"Outlet {n % 7}",
        url=f"https://loadgen.invalid/{n % 7}/{seed.seed_id}/{n}",
        content_type="text/html" if seed.content_type == "text/html" else "text/plain",
        body_encoding=BodyEncoding.BASE64 if seed.content_type == "text/html" else BodyEncoding.TEXT,
        charset=None,
        body=body,
        fetched_at=utcnow(),
    )


def stream(seeds: list[Seed], run: str, seed: int = 7) -> Iterator[RawArticle]:
    """Every seed once as it is, then variants round after round (seed order shuffled per round)."""
    rng = random.Random(seed)
    n = 0
    while True:
        order = list(seeds)
        rng.shuffle(order)
        for s in order:
            yield variant(s, n, run, rng)
        n += 1


@dataclass
class SendLog:
    """What was sent: article id → send time (monotonic seconds)."""

    sent: dict[str, float]
    started: float
    finished: float

    @property
    def rate(self) -> float:
        return len(self.sent) / max(1e-9, self.finished - self.started)


async def send(
    bootstrap: str,
    topic: str,
    articles: Iterator[RawArticle],
    *,
    count: int,
    rate: float | None = None,
    sent: dict[str, float] | None = None,
) -> SendLog:
    """Send ``count`` articles to ``topic`` at ``rate`` per second (None: as fast as the producer goes)."""
    from aiokafka import AIOKafkaProducer  # noqa: PLC0415 - keep the module importable without a broker

    log: dict[str, float] = sent if sent is not None else {}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_request_size=10_000_000)
    await producer.start()
    started = time.monotonic()
    try:
        pending = []
        for i in range(count):
            if rate:
                delay = started + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            article = next(articles)
            article = article.model_copy(update={"fetched_at": utcnow()})
            log[article.article_id] = time.monotonic()
            pending.append(
                await producer.send(topic, key=article.key().encode(), value=article.model_dump_json().encode())
            )
            if len(pending) >= 200:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return SendLog(log, started, time.monotonic())
