"""Reading untrusted bytes within a budget: decompression and JSON nesting are bounded while they happen.

A compressed body's size says nothing about its decoded size: 2 KB of gzip inside
gzip expands to gigabytes. So every layer is decoded in slices of at most
:data:`SLICE` bytes (zlib's ``max_length``) and its output is counted as it is
produced; the budget stops the work instead of a check after the whole thing
was decoded in memory. Used by the fetcher's HTTP client and by replay.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import Any

from shared.errors import RejectedInput

#: Largest piece one decompression call may produce.
SLICE = 64 * 1024
#: Nesting deeper than this is not an article record (real ones nest a few levels).
MAX_JSON_DEPTH = 64
_GZIP_MAGIC = b"\x1f\x8b"


class TooLarge(RejectedInput):
    """Input, or one decoded layer of it, is larger than its budget."""

    reason = "too_large"


class Inflater:
    """One ``gzip`` or ``deflate`` layer, decoded incrementally; its total output is capped at ``limit``."""

    def __init__(self, encoding: str, limit: int) -> None:
        if encoding not in ("gzip", "deflate"):
            raise RejectedInput(f"unsupported content encoding {encoding!r}", reason="unsupported_encoding")
        self.encoding = encoding
        self.limit = limit
        self.produced = 0
        self._started = False
        self._decoder = self._new()

    def _new(self, wbits: int | None = None) -> Any:
        if wbits is None:
            wbits = zlib.MAX_WBITS | 16 if self.encoding == "gzip" else zlib.MAX_WBITS
        return zlib.decompressobj(wbits)

    def _count(self, piece: bytes) -> bytes:
        self.produced += len(piece)
        if self.produced > self.limit:
            raise TooLarge(f"{self.encoding} layer decodes to more than {self.limit} bytes")
        return piece

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``data`` (each at most :data:`SLICE` bytes), produced lazily."""
        while True:
            try:
                out = self._decoder.decompress(data, SLICE)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self._started:
                    self._decoder = self._new(-zlib.MAX_WBITS)  # raw deflate without the zlib wrapper
                    self._started = True
                    continue
                raise RejectedInput(f"invalid {self.encoding} data: {exc}", reason=f"invalid_{self.encoding}") from exc
            self._started = True
            if out:
                yield self._count(out)
            data = self._decoder.unconsumed_tail
            if self._decoder.eof:
                rest = self._decoder.unused_data
                if self.encoding == "gzip" and rest.startswith(_GZIP_MAGIC):  # a multi-member gzip file
                    self._decoder, data = self._new(), rest
                    continue
                return  # bytes after the end of the stream are ignored, as browsers do
            if not data and len(out) < SLICE:
                return  # input used up and nothing pending

    def finish(self) -> bytes:
        """What is left once the input has ended (small: :meth:`feed` drains the pending output)."""
        try:
            return self._count(self._decoder.flush(SLICE))
        except zlib.error as exc:
            raise RejectedInput(f"invalid {self.encoding} data: {exc}", reason=f"invalid_{self.encoding}") from exc


class LayeredDecoder:
    """A body with ``Content-Encoding: a, b, ...``: at most ``max_layers`` layers, each capped at ``limit``."""

    def __init__(self, content_encoding: str | None, limit: int, max_layers: int) -> None:
        names = [n.strip().lower() for n in (content_encoding or "").split(",")]
        names = [n for n in names if n and n != "identity"]
        if len(names) > max_layers:
            raise RejectedInput(
                f"{len(names)} stacked content encodings (at most {max_layers})", reason="too_many_encodings"
            )
        aliases = {"x-gzip": "gzip"}
        # Encodings are listed in the order they were applied: decode the last one first.
        self.layers = [Inflater(aliases.get(n, n), limit) for n in reversed(names)]

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self.layers):
            if data:
                yield data
            return
        for piece in self.layers[index].feed(data):
            yield from self._through(index + 1, piece)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of the next raw bytes."""
        return self._through(0, data)

    def finish(self) -> Iterator[bytes]:
        """Decoded pieces still held by the layers once the raw input has ended."""
        for index, layer in enumerate(self.layers):
            yield from self._through(index + 1, layer.finish())


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """Decompress gzip ``data``, refusing (``too_large``) to produce more than ``limit`` bytes."""
    inflater = Inflater("gzip", limit)
    pieces = list(inflater.feed(data))
    pieces.append(inflater.finish())
    if not inflater._decoder.eof:
        raise RejectedInput("gzip data is truncated", reason="invalid_gzip")
    return b"".join(pieces)


def _deeper_than(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack += [(c, depth + 1) for c in children if isinstance(c, dict | list)]
    return False


def json_loads_bounded(data: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads``, refusing (``too_deep``) documents nested deeper than ``max_depth``.

    Raises ``json.JSONDecodeError`` (a ``ValueError``) for invalid JSON, like ``json.loads``.
    """
    opens = data.count(b"[") + data.count(b"{") if isinstance(data, bytes) else data.count("[") + data.count("{")
    try:
        value = json.loads(data)
    except RecursionError as exc:  # the C decoder's own guard, far beyond max_depth
        raise RejectedInput(f"JSON nested deeper than {max_depth} levels", reason="too_deep") from exc
    if opens > max_depth and isinstance(value, dict | list) and _deeper_than(value, max_depth):
        raise RejectedInput(f"JSON nested deeper than {max_depth} levels", reason="too_deep")
    return value
