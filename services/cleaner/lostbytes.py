"""Repair UTF-8 that was read as cp1252 *and* lost its undefined bytes on the way.

cp1252 leaves five byte values undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D). When a
UTF-8 text is decoded as cp1252 by a lenient tool, those bytes vanish, so the
mojibake is no longer a faithful image of the original bytes and ftfy leaves it
alone. Example: U+2757 U+FE0F (a red exclamation emoji) is ``E2 9D 97 EF B8 8F``
and survives as ``â—ï¸`` (``E2 97 EF B8``).

The repair looks at runs of characters that map to cp1252 bytes, walks them as
UTF-8 sequences and, where a sequence is short of continuation bytes, tries the
five lost values at each missing position. It only accepts a candidate that
decodes to an assigned non-letter character (symbols, emoji, punctuation,
variation selectors): mojibake of letters keeps all its bytes often enough for
ftfy to handle it, while legitimate Latin-1 text (``è``, ``â``) followed by
punctuation must not be rewritten. When several lost values fit, the one that
gives the most plausible web character wins (emoji and pictographs first).
"""

from __future__ import annotations

import itertools
import re
import unicodedata

_LOST = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
# A lead byte of a multi-byte UTF-8 sequence as cp1252 text (Â..ô), followed by
# characters whose cp1252 bytes are continuation bytes (0x80..0xBF).
_CONT_CHARS = "".join(ch for b in range(0x80, 0xC0) if b not in _LOST for ch in [bytes([b]).decode("cp1252")])
_RUN = re.compile("(?:[\u00c2-\u00f4][" + re.escape(_CONT_CHARS) + "]*)+")
_LEAD = re.compile("[\u00c2-\u00f4]")
_ACCEPTED_CATEGORIES = {"So", "Sm", "Sk", "Sc", "Pd", "Po", "Ps", "Pe", "Pi", "Pf", "Mn", "Me"}


def _expected_length(lead: int) -> int:
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


# Typographic punctuation that is everywhere in news text (quotes, dashes, bullets).
_COMMON_PUNCT = frozenset(
    "\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2032\u2033\u2039\u203a"
)


def _plausibility(ch: str) -> int:
    """Higher for characters that are common in web text; used to choose between candidates."""
    cp = ord(ch)
    if ch in _COMMON_PUNCT:
        return 6
    if cp == 0xFE0F or 0x1F300 <= cp <= 0x1F6FF or 0x1F900 <= cp <= 0x1FAFF:
        return 5
    if 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF:
        return 4
    if 0x1F000 <= cp <= 0x1F2FF:
        return 3
    if 0x20A0 <= cp <= 0x21FF:
        return 2
    return 1


def _repair_sequence(seq: bytes) -> str | None:
    """Best repair of one UTF-8 sequence missing bytes, or None when none is convincing."""
    need = _expected_length(seq[0])
    missing = need - len(seq)
    if missing <= 0 or missing > 2 or len(seq) < 2:
        return None
    best: tuple[int, str] | None = None
    for positions in itertools.combinations(range(1, need), missing):
        for values in itertools.product(_LOST, repeat=missing):
            buf = bytearray(seq)
            for pos, val in zip(positions, values, strict=True):
                buf.insert(pos, val)
            try:
                ch = bytes(buf).decode("utf-8")
            except UnicodeDecodeError:
                continue
            if len(ch) != 1 or unicodedata.category(ch) not in _ACCEPTED_CATEGORIES:
                continue
            score = _plausibility(ch)
            if best is None or score > best[0]:
                best = (score, ch)
    return best[1] if best else None


def _repair_run(run: str) -> str:
    """Walk a cp1252 run as UTF-8 sequences, repairing the ones that lack bytes."""
    data = run.encode("cp1252")
    out: list[str] = []
    i = 0
    changed = False
    while i < len(data):
        lead = data[i]
        need = _expected_length(lead)
        j = i + 1
        while j < len(data) and j - i < need and 0x80 <= data[j] <= 0xBF:
            j += 1
        seq = data[i:j]
        if need and len(seq) == need:
            try:
                out.append(seq.decode("utf-8"))
                changed = True
            except UnicodeDecodeError:
                out.append(seq.decode("cp1252"))
        else:
            fixed = _repair_sequence(seq) if need else None
            if fixed is None:
                out.append(seq.decode("cp1252"))
            else:
                out.append(fixed)
                changed = True
        i = j
    return "".join(out) if changed else run


def _has_lost_bytes(run: str) -> bool:
    data = run.encode("cp1252")
    i = 0
    while i < len(data):
        need = _expected_length(data[i])
        j = i + 1
        while j < len(data) and j - i < need and 0x80 <= data[j] <= 0xBF:
            j += 1
        if need and j - i < need and j - i >= 2:
            return True
        i = j
    return False


def repair_lost_bytes(text: str) -> str:
    """Replace lost-byte mojibake runs by the characters they most plausibly were."""
    if not _LEAD.search(text):
        return text

    def fix(match: re.Match[str]) -> str:
        run = match.group(0)
        if len(run) < 2 or not _has_lost_bytes(run):
            return run
        return _repair_run(run)

    return _RUN.sub(fix, text)
