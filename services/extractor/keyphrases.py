"""Key phrases: the article's most salient content-word runs, RAKE-style.

Why not noun chunks: they need the dependency parser, which would halve the
throughput. Runs of non-stopwords between stopwords and punctuation are a good
proxy for noun phrases in news prose; each phrase is scored by the frequency
of its (crudely lemmatised) words, with a bonus for the title and the lead.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from spacy.lang.en.stop_words import STOP_WORDS

_EXTRA_STOP = {
    "said", "says", "say", "told", "according", "also", "would", "could", "may", "might", "must", "will", "image",
    "read", "advertisement", "share", "follow", "news", "reported", "print", "file", "photo", "pic", "twitter",
    "com", "http", "https", "www", "mr", "ms", "mrs", "including", "however", "meanwhile", "like", "just", "new",
    "week", "weeks", "day", "days", "month", "months", "year", "years", "time", "times", "today", "tomorrow",
    "yesterday", "tonight", "evening", "morning", "night", "plan", "plans", "event", "president", "side", "part",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "way", "thing", "things",
}  # fmt: skip
STOP = frozenset(w.lower() for w in STOP_WORDS) | _EXTRA_STOP
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*|[0-9][0-9,.]*|\n|[^\sA-Za-z0-9]")
MAX_WORDS = 3
LEAD_CHARS = 700


@lru_cache(maxsize=1 << 16)
def lemma(word: str) -> str:
    """A crude lemma (lowercase, plural and possessive stripped): enough to count "talks" with "talk"."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def _phrases(text: str) -> list[list[str]]:
    """Runs of content words (lowercase), cut into pieces of at most ``MAX_WORDS``."""
    out: list[list[str]] = []
    current: list[str] = []
    for tok in _TOKEN.findall(text):
        low = tok.lower()
        if len(low) > 2 and tok[0].isalpha() and low not in STOP:
            current.append(low)
            continue
        if current:
            out.extend(current[i : i + MAX_WORDS] for i in range(0, len(current), MAX_WORDS))
            current = []
    if current:
        out.extend(current[i : i + MAX_WORDS] for i in range(0, len(current), MAX_WORDS))
    return out


def mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with the given spans replaced by line breaks (phrase boundaries), offsets unchanged."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "\n" * (end - start)
    return "".join(chars)


def key_phrases(title: str | None, text: str, top: int = 10) -> list[str]:
    """Up to ``top`` phrases (lowercase, lemmatised words), best first.

    Callers mask entity names first (``mask``): names are already in the
    entity list, key phrases should say *what* happened.
    """
    lead = text[:LEAD_CHARS]
    body_runs = [[lemma(w) for w in run] for run in _phrases(text)]  # each word's lemma once
    word_freq = Counter(w for run in body_runs for w in run)
    bonus_words = {lemma(w) for run in _phrases((title or "") + " " + lead) for w in run}
    scores: dict[str, float] = {}
    phrase_count: Counter[str] = Counter()
    for lemmas in body_runs:
        phrase = " ".join(lemmas)
        phrase_count[phrase] += 1
        score = sum(word_freq[w] for w in lemmas) / len(lemmas) * (1 + 0.3 * (len(lemmas) - 1))
        score *= 1.5 if all(w in bonus_words for w in lemmas) else 1.0
        scores[phrase] = max(scores.get(phrase, 0.0), score)
    ranked = sorted(scores, key=lambda p: (-(scores[p] + 0.5 * phrase_count[p]), p))
    chosen: list[str] = []
    for phrase in ranked:
        if any(phrase in c.split(" ") or phrase == c for c in chosen):
            continue
        chosen.append(phrase)
        if len(chosen) == top:
            break
    return chosen
