"""services.cleaner.lostbytes: UTF-8 sequences whose invisible bytes were lost are repaired."""

from __future__ import annotations

import pytest

from services.cleaner.lostbytes import repair_lost_bytes


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("\u2757\ufe0f", "\u2757\ufe0f"),  # red exclamation + VS16: loses 0x9D and 0x8F
        ("\U0001f3c6", None),  # trophy: F0 9F 8F 86 loses 0x8F (ambiguous with other emoji, must not stay mojibake)
        ("\u201d", "\u201d"),  # right double quote: E2 80 9D loses 0x9D
    ],
)
def test_lost_byte_sequences_are_repaired(original: str, expected: str | None) -> None:
    broken = original.encode("utf-8").decode("cp1252", errors="ignore")
    assert broken != original
    fixed = repair_lost_bytes(f"He said {broken} today")
    if expected is not None:
        assert fixed == f"He said {expected} today"
    else:
        assert broken not in fixed
        assert all(ord(ch) < 0x80 or ord(ch) >= 0x1F000 for ch in fixed)


@pytest.mark.parametrize("text", ["café — très bien", "naïve Â½", "Ça va? Élan", "Zürich: 5 °C"])
def test_legitimate_latin1_text_is_untouched(text: str) -> None:
    assert repair_lost_bytes(text) == text
