"""services.cleaner.decoding: charset detection, mojibake repair, line normalisation, binary input."""

from __future__ import annotations

import base64
import random

import ftfy
import pytest

from services.cleaner.decoding import (
    _fix_text,
    check_text,
    decode_base64,
    decode_bytes,
    looks_binary,
    normalise_line,
    repair_text,
)
from services.cleaner.settings import CleanerLimits, CleanerSettings
from shared.errors import RejectedInput

PROSE = (
    "The city council approved a new budget on Monday after a long debate about road repairs and school funding. "
    "Members said the plan would raise spending on public transport by ten percent over the next two years. "
    "Opposition members argued that the increase was not enough to cover rising maintenance costs."
)


def test_repair_text_fixes_full_mojibake_and_nfc() -> None:
    assert repair_text("CafÃ© au lait") == "Café au lait"
    assert repair_text("Cafe\u0301") == "Café"


def test_normalise_line_quotes_and_spaces() -> None:
    assert normalise_line("  \u201cHi\u201d\u00a0 it\u2019s\tme  ") == '"Hi" it\'s me'


def test_decode_prefers_valid_utf8_over_wrong_declaration() -> None:
    assert decode_bytes("Zürich".encode(), "iso-8859-1", is_html=False) == "Zürich"


def test_decode_uses_declared_charset() -> None:
    data = "Zürich — Genève".encode("cp1252")
    assert decode_bytes(data, "windows-1252", is_html=False) == "Zürich — Genève"


def test_decode_uses_meta_charset_for_html() -> None:
    data = '<html><head><meta charset="iso-8859-2"></head><body>Łódź</body></html>'.encode("iso-8859-2")
    assert "Łódź" in decode_bytes(data, None, is_html=True)


def test_looks_binary() -> None:
    assert looks_binary(b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert looks_binary(bytes(range(256)) * 4)
    assert not looks_binary(PROSE.encode())


def test_the_control_character_share_is_a_setting() -> None:
    text = "Plain words here and there.\x01\x02" * 20  # about 7 % control characters
    check_text(text, CleanerLimits(max_control_ratio=0.1))
    with pytest.raises(RejectedInput):
        check_text(text, CleanerLimits(max_control_ratio=0.05))
    limits = CleanerSettings(cleaner_max_control_ratio=0.1).limits()
    assert limits.max_control_ratio == 0.1 and not looks_binary(text.encode(), limits)


def test_looks_binary_counts_exactly_the_control_bytes() -> None:
    # 2% is the default ratio: tab, LF, CR (9-13) are text, the rest below 32 and DEL are control bytes
    for control in (1, 8, 14, 31, 127):
        assert looks_binary(bytes([control]) * 3 + b"a" * 97), control
        assert not looks_binary(bytes([control]) * 2 + b"a" * 98), control
    assert not looks_binary(bytes([9, 10, 11, 12, 13]) * 20)
    assert not looks_binary("é ü ß".encode() * 30)  # bytes over 127 are not control bytes


def _ftfy_reference(text: str) -> str:
    return ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False, fix_line_breaks=True)


def test_fix_text_skips_plain_lines_but_still_unescapes_and_strips_controls_in_ascii() -> None:
    # ASCII lines that ftfy does change must still go through it
    assert _fix_text("Tom &amp; Jerry\nplain line\n") == "Tom & Jerry\nplain line\n"
    assert _fix_text("plain\nred\x1b[31m text\nnul\x00 here") == "plain\nred text\nnul here"


def test_fix_text_carries_the_markup_state_across_skipped_lines() -> None:
    # ftfy stops unescaping entities for good after a line with "<"; a skipped plain line can be that line
    text = "a <b> tag line\nA &amp; B\n"
    assert _fix_text(text) == _ftfy_reference(text) == text
    assert _fix_text("A &amp; B\na <b> tag\nC &amp; D") == _ftfy_reference("A &amp; B\na <b> tag\nC &amp; D")


def test_fix_text_keeps_ftfy_segments_when_lines_break_at_other_separators() -> None:
    text = "Caf\u00c3\u00a9\u2028plain ascii\nok"
    assert _fix_text(text) == _ftfy_reference(text)


def test_fix_text_equals_ftfy_on_random_mixtures() -> None:
    pieces = [
        "plain words",
        "Tom &amp; Jerry",
        "<b>x</b>",
        "Caf\u00c3\u00a9",
        "caf\u00e9",
        "\u201cq\u201d",
        "\x1b[31mred",
        "a\x00b",
        "\x7f",
        "\u2028",
        "\uff21",
        "&lt;",
        "\t",
        "\x0c",
        "\u0085",
        "\u00e2\u20ac\u2122",
        "e\u0301",
    ]
    rng = random.Random(3)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) + rng.choice(["\n", "", " ", "\n\n"]) for _ in range(rng.randint(0, 10)))
        assert _fix_text(text) == _ftfy_reference(text), repr(text)


def test_decode_base64_accepts_wrapped_bodies_and_rejects_invalid_ones() -> None:
    payload = bytes(range(256)) * 4
    encoded = base64.b64encode(payload).decode("ascii")
    assert decode_base64(encoded) == payload
    assert decode_base64("\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))) == payload
    with pytest.raises(RejectedInput) as info:
        decode_base64(encoded[:-2] + "*=")
    assert info.value.reason == "undecodable"
