"""services.cleaner.language: langdetect on a bounded sample, reproducibly."""

from __future__ import annotations

from services.cleaner import language
from services.cleaner.language import detect_language

ENGLISH = (
    "The city council approved a new budget on Monday after a long debate about road repairs and school funding. "
    "Members said the plan would raise spending on public transport over the next two years. "
)
GERMAN = (
    "Der Stadtrat hat am Montag nach einer langen Debatte über Straßenreparaturen und Schulen einen neuen Haushalt "
    "beschlossen. Die Mitglieder sagten, der Plan werde die Ausgaben für den Nahverkehr "
    "in den nächsten Jahren erhöhen. "
)


def test_detects_common_languages() -> None:
    assert detect_language(ENGLISH * 3) == "en"
    assert detect_language(GERMAN * 3) == "de"


def test_only_the_opening_sample_is_read() -> None:
    # An English opening of more than the sample, then a long German tail: the tail must not be read.
    text = ENGLISH * (language._SAMPLE_CHARS // len(ENGLISH) + 1) + GERMAN * 40
    assert detect_language(text) == "en"


def test_same_text_same_answer() -> None:
    mixed = ENGLISH[:90] + GERMAN[:90]
    assert len({detect_language(mixed) for _ in range(5)}) == 1


def test_hint_used_when_unsure_or_no_letters() -> None:
    assert detect_language("12 34 56 !!", "pt-BR") == "pt"
    assert detect_language("", None) is None
