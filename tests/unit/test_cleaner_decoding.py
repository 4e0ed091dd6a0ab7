"""services.cleaner.decoding: charset detection, mojibake repair, line normalisation, binary input."""

from __future__ import annotations

import pytest

from services.cleaner.decoding import check_text, decode_bytes, looks_binary, normalise_line, repair_text
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
