"""Offline language identification (langdetect, seeded so results are reproducible)."""

from __future__ import annotations

import threading

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

_LOCK = threading.Lock()
_SAMPLE_CHARS = 2000  # enough for a stable answer; more only costs time
DetectorFactory.seed = 0


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code of the text, or the page's declared ``hint`` when detection is unsure."""
    sample = text[:_SAMPLE_CHARS]
    try:
        with _LOCK:  # langdetect's factory is module-global state
            DetectorFactory.seed = 0
            guesses = detect_langs(sample)
    except LangDetectException:
        guesses = []
    hint_code = hint.split("-")[0].split("_")[0].lower() if hint else None
    if guesses and guesses[0].prob >= 0.7:
        return str(guesses[0].lang).split("-")[0]
    return hint_code or (str(guesses[0].lang).split("-")[0] if guesses else None)
