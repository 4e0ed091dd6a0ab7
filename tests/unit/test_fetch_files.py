"""services.fetcher.files: file ids and types, unreadable files, JSON and JSONL records."""

from __future__ import annotations

import base64
import gzip
import json
import os
import time
from pathlib import Path

import pytest

from services.fetcher.files import FileStats, FolderWatcher, file_article_id, read_file
from shared.contracts import BodyEncoding
from shared.errors import RejectedInput


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
