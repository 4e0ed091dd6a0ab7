"""Which parts of a text the NER model needs to read.

Why: the model is ~85% of the extractor's time and its cost grows with every
token, yet the entity kinds we keep (people, organisations, places, groups,
named events) are written with capitals. Runs of lowercase prose far from any
capitalised word cannot hold one. So the model reads only windows of
``context`` words around each word with a capital letter (sentence-initial
stop words such as "The" or "He" do not count), joined by line breaks; the
model's own features look at a few tokens either side, so two words of context
keep its decisions nearly unchanged (``make bench-extract`` measures the
agreement with reading everything: 99.6% of the top-10 entities).

Text in scripts without letter case, or mostly without capitals, is read whole.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from spacy.lang.en.stop_words import STOP_WORDS

_WORD = re.compile(r"\S+")
_OPENERS = "\"'“”‘’([{«"
_CLOSERS = ".,;:!?\"'”’)]}»"
_SENTENCE_END = frozenset('.!?:"”’')
_STOP = frozenset(w.lower() for w in STOP_WORDS)
_LETTER = re.compile(r"[^\W\d_]")
#: Letters of scripts without case: Hebrew, Arabic, Indic, Thai, Tibetan, Hangul, kana, CJK.
_UNCASED = re.compile(r"[\u0590-\u08FF\u0900-\u0DFF\u0E00-\u0FFF\u1100-\u11FF\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7AF]")
#: Above this share of letters from uncased scripts the text is read whole.
MAX_UNCASED_SHARE = 0.5
SEPARATOR = "\n"


@dataclass(frozen=True, slots=True)
class Focus:
    """The text the model reads and how its offsets map back to the original."""

    text: str
    #: where each window starts in ``text``, in order
    starts: tuple[int, ...]
    #: the windows' (start, end) in the original text
    windows: tuple[tuple[int, int], ...]
    #: where in the original text the model stops reading (the text's length when it reads to the end)
    read_to: int

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of ``text`` back to the original; a span running past its window is cut there."""
        i = max(0, bisect_right(self.starts, start) - 1)
        orig_start, win_end = self.windows[i]
        begin = orig_start + (start - self.starts[i])
        return begin, min(win_end, begin + (end - start))


def _namey(word: str, sentence_start: bool) -> bool:
    if word == word.lower():  # no capital anywhere
        return False
    return not (sentence_start and word.strip(_OPENERS).rstrip(_CLOSERS).lower() in _STOP)


def _cased_enough(text: str) -> bool:
    sample = text[:5000]
    if sample.isascii():
        return True
    return len(_UNCASED.findall(sample)) <= MAX_UNCASED_SHARE * len(_LETTER.findall(sample))


def focus(text: str, context: int, limit: int = 0) -> Focus:
    """The windows of ``text`` worth reading: ``context`` words either side of every capitalised word.

    ``limit`` > 0: only the words that start before that character are read (the model's cost
    grows with every token; see ``Extractor``'s ``ner_chars``).
    """
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    read_to = len(text)
    if limit > 0 and words and words[-1][0] >= limit:
        words = words[: bisect_right(words, (limit, -1))]
        read_to = words[-1][1] if words else 0
    whole = Focus(text[:read_to], (0,), ((0, read_to),), read_to)
    if context <= 0 or not _cased_enough(text):
        return whole
    keep = [False] * len(words)
    sentence_start = True
    for i, (start, end) in enumerate(words):
        if _namey(text[start:end], sentence_start):
            for j in range(max(0, i - context), min(len(words), i + context + 1)):
                keep[j] = True
        sentence_start = text[end - 1] in _SENTENCE_END or text.startswith("\n", end)
    windows: list[list[int]] = []
    for i, (start, end) in enumerate(words):
        if not keep[i]:
            continue
        if windows and i > 0 and keep[i - 1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    if not windows:
        return Focus("", (0,), ((0, 0),), read_to)
    if len(windows) == 1 and windows[0] == [words[0][0], words[-1][1]]:
        return whole
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for start, end in windows:
        starts.append(pos)
        parts.append(text[start:end])
        pos += end - start + len(SEPARATOR)
    return Focus(SEPARATOR.join(parts), tuple(starts), tuple((s, e) for s, e in windows), read_to)
