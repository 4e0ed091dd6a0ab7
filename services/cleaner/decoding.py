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
        # Fetchers send unbroken base64: decoding it as it is skips a regex pass over the whole
        # body; only a body that fails that (wrapped lines, or invalid) pays for the strip.
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        pass
    try:
        data = base64.b64decode(re.sub(r"\s+", "", body), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RejectedInput(f"body is not valid base64: {exc}", reason="undecodable") from exc
    return data


_CONTROL_BYTES = bytes([*range(9), *range(14, 32), 127])


def looks_binary(data: bytes, limits: CleanerLimits = DEFAULT_LIMITS) -> bool:
    """True for known binary formats or byte strings dense in NUL/control bytes."""
    if data.startswith(_BINARY_MAGIC):
        return True
    head = data[:8192]
    if not head:
        return False
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))  # C-speed count of the control bytes
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


# A line ftfy leaves as it is: printable ASCII and tabs, no ``&`` (it unescapes HTML entities).
_UNTOUCHED_LINE = re.compile(r"[\t\x20-\x25\x27-\x7e]*\n?")


def _fix_text(text: str) -> str:
    """``ftfy.fix_text`` with the same result, calling ftfy only on runs of lines it could change.

    ftfy fixes each line on its own, with one exception: once a line holds ``<``
    it stops unescaping HTML entities for the rest of the text. Lines of plain
    ASCII (most of an English article) cost ftfy a full pass for nothing, so
    they are passed through, and that one piece of state is carried across them.
    """
    out: list[str] = []
    run: list[str] = []
    seen_markup = False

    def flush() -> None:
        nonlocal seen_markup
        if run:
            chunk = "".join(run)
            unescape: str | bool = False if seen_markup else "auto"
            out.append(
                ftfy.fix_text(
                    chunk, normalization="NFC", uncurl_quotes=False, fix_line_breaks=True, unescape_html=unescape
                )
            )
            seen_markup = seen_markup or "<" in chunk
            run.clear()

    # ftfy's segments: split at "\n" only (not at the other breaks str.splitlines knows)
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    for line in lines:
        if _UNTOUCHED_LINE.fullmatch(line):
            flush()
            out.append(line)
            seen_markup = seen_markup or "<" in line
        else:
            run.append(line)
    flush()
    return "".join(out)


def repair_text(text: str) -> str:
    """Mojibake repair (ftfy, then lost-byte sequences) and NFC; keeps line structure."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _fix_text(text)
    text = repair_lost_bytes(text)
    return unicodedata.normalize("NFC", text)


def normalise_line(line: str) -> str:
    """Straight quotes, plain spaces, collapsed runs of blanks, no control characters."""
    line = line.translate(_QUOTES)
    line = _CONTROL.sub("", line)
    return _SPACES.sub(" ", line).strip()
