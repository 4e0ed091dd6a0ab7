"""Bytes to clean Unicode: charset choice, binary detection, mojibake repair, normalisation.

Why each step exists:

* Fetchers cannot always trust the HTTP ``charset``; pages lie about it. Valid
  UTF-8 with non-ASCII bytes is accepted first because legacy-encoded text is
  almost never valid UTF-8 by accident; otherwise the declared charset, then the
  ``<meta charset>`` of an HTML page, then statistical detection.
* ftfy repairs mojibake whose bytes all survived (``Ã©`` -> ``é``).
* :mod:`services.cleaner.lostbytes` repairs UTF-8-read-as-cp1252 sequences whose
  undefined cp1252 bytes were dropped along the way, which ftfy cannot undo.
* NFC and whitespace/quote normalisation make hashes and downstream matching stable.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata

import ftfy
from charset_normalizer import from_bytes

from services.cleaner.lostbytes import repair_lost_bytes
from services.cleaner.settings import DEFAULT_LIMITS, CleanerLimits
from shared.errors import RejectedInput

# Magic numbers of common binary formats that are never articles.
_BINARY_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\x7fELF",
    b"MZ",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"\x00\x00\x01\x00",
    b"wOFF",
    b"wOF2",
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_base64(body: str, limits: CleanerLimits = DEFAULT_LIMITS) -> bytes:
    """Base64 body -> bytes, refusing malformed or oversized payloads before decoding them."""
    if len(body) * 3 // 4 > limits.max_bytes + 3:
        raise RejectedInput("base64 body larger than the size limit", reason="too_large")
    try:
        data = base64.b64decode(re.sub(r"\s+", "", body), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RejectedInput(f"body is not valid base64: {exc}", reason="undecodable") from exc
    return data


def looks_binary(data: bytes, limits: CleanerLimits = DEFAULT_LIMITS) -> bool:
    """True for known binary formats or byte strings dense in NUL/control bytes."""
    if data.startswith(_BINARY_MAGIC):
        return True
    head = data[:8192]
    if not head:
        return False
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 or b == 127)
    return controls / len(head) > limits.max_control_ratio


def _codec_name(name: str | None) -> str | None:
    """Python codec name for a declared charset, or None when unknown to Python."""
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'").lower()).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None, is_html: bool) -> str:
    """Choose a charset and decode; raise RejectedInput(reason='undecodable') when nothing fits."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates: list[str] = []
    for name in (declared,):
        codec = _codec_name(name)
        if codec and codec != "utf-8":
            candidates.append(codec)
    if is_html:
        match = _META_CHARSET.search(data[:4096])
        if match:
            codec = _codec_name(match.group(1).decode("ascii", "ignore"))
            if codec and codec != "utf-8":
                candidates.append(codec)
    for codec in candidates:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    # A mostly-UTF-8 document with a few broken bytes is still worth cleaning.
    text = data.decode("utf-8", errors="replace")
    if text.count("\ufffd") <= max(3, len(text) // 200):
        return text
    raise RejectedInput("no charset decodes this body", reason="undecodable")


def check_text(text: str, limits: CleanerLimits = DEFAULT_LIMITS) -> None:
    """Reject decoded text that is really binary noise."""
    sample = text[:20_000]
    if not sample.strip():
        raise RejectedInput("body is empty", reason="empty")
    controls = len(_CONTROL.findall(sample))
    if controls / max(1, len(sample)) > limits.max_control_ratio:
        raise RejectedInput("body contains binary control characters", reason="binary")
    replacement = sample.count("\ufffd")
    if replacement / max(1, len(sample)) > 0.05:
        raise RejectedInput("body is mostly undecodable bytes", reason="undecodable")


_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u200a": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u3000": " ",
        "\u200b": "",
        "\u200e": "",
        "\u200f": "",
        "\u00ad": "",
        "\ufeff": "",
    }
)
_SPACES = re.compile(r"[ \t\f\v]+")


def repair_text(text: str) -> str:
    """Mojibake repair (ftfy, then lost-byte sequences) and NFC; keeps line structure."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False, fix_line_breaks=True)
    text = repair_lost_bytes(text)
    return unicodedata.normalize("NFC", text)


def normalise_line(line: str) -> str:
    """Straight quotes, plain spaces, collapsed runs of blanks, no control characters."""
    line = line.translate(_QUOTES)
    line = _CONTROL.sub("", line)
    return _SPACES.sub(" ", line).strip()
