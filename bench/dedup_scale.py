"""The scale check's stream: real news, made into as many distinct stories as the window needs.

Copy ``c`` of a labelled corpus (the GVA dev stream) is the corpus with every content word, name
and key phrase of every article given the copy's own prefix (``qb`` + "shooting" -> "qbshooting";
copy 0 is the corpus itself); stop words, figures, dates and times stay as they are, so every copy
keeps the real texts' headlines, leads, people, places and publication times, and shares with the
other copies only what different stories share: function words, years, days. Figures other than
years move by 1,000 per copy ("3 shot" -> "1003 shot" in copy 1): kept as figures, but not the
same figures in every copy, which unrelated stories would not state all at once. The
copies are interleaved article by article in publication order, so the window fills at 1997 x
copies articles with as many stories per day as copies (50 copies: ~60,000 incidents).

Used by ``bench_dedup.py`` to measure the cost per article as the window grows (the synthetic
Zipf-word stream it replaced was over-merged by the model trained on real news, 100k articles
ending in 299 events, so its costs were those of a degenerate state) and to show that the stories
stay apart: the gold of a clone is its copy and incident, and events mixing copies are counted.
The shipped model was trained on the GVA dev stream: quality figures on these clones are in
sample, a behaviour check, never a quality claim.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from services.deduplicator.features import _STOP
from services.deduplicator.labelled import LabelledArticle
from shared.contracts.articles import EnrichedArticle

_TOKEN = re.compile(r"[^\W_]+")
_YEAR = re.compile(r"(19|20)\d\d")


def copy_tag(c: int) -> str:
    """``""`` for copy 0, else ``q`` and the copy number in letters (``qb``, ``qc``, ... ``qba``):
    letters only, so a tagged word is still one word for every tokenizer of the pipeline."""
    if c == 0:
        return ""
    digits = ""
    while c:
        c, r = divmod(c, 26)
        digits = chr(ord("a") + r) + digits
    return "q" + digits


def _retag(text: str, tag: str, c: int) -> str:
    if not tag:
        return text

    def one(m: re.Match[str]) -> str:
        word = m.group(0)
        if word.isdecimal():  # what int() reads: isdigit() also takes "²", which int() refuses
            return word if _YEAR.fullmatch(word) else str(int(word) + 1000 * c)
        return word if word.lower() in _STOP else tag + word

    return _TOKEN.sub(one, text)


def _retag_id(entity_id: str, tag: str, c: int) -> str:
    kind, sep, name = entity_id.partition(":")
    if not sep:
        return _retag(entity_id, tag, c)
    return kind + ":" + "-".join(_retag(w, tag, c) for w in name.split("-"))


def _retag_url(url: str, tag: str) -> str:
    """The tag as a path segment before the query: appended to the end it became part of the
    last query parameter, and when that one is a tracking parameter (``s_cid``), which URL keys
    ignore, every copy had the original's URL and was taken for the same article."""
    base, sep, query = url.partition("?")
    return f"{base.rstrip('/')}/{tag}{sep}{query}"


def clone(art: EnrichedArticle, c: int) -> EnrichedArticle:
    """Copy ``c`` of one enriched article (see the module docstring)."""
    tag = copy_tag(c)
    if not tag:
        return art
    clean = art.article
    url = _retag_url(clean.url, tag) if clean.url else None
    new_clean = clean.model_copy(
        update={
            "article_id": f"{clean.article_id}~{tag}",
            "title": _retag(clean.title, tag, c) if clean.title else None,
            "text": _retag(clean.text, tag, c),
            "paragraphs": [],
            "url": url,
            "canonical_url": url,
        }
    )
    entities = [
        e.model_copy(update={"id": _retag_id(e.id, tag, c), "name": _retag(e.name, tag, c), "mentions": []})
        for e in art.entities
    ]
    return art.model_copy(
        update={
            "article": new_clean,
            "entities": entities,
            "key_phrases": [_retag(p, tag, c) for p in art.key_phrases],
        }
    )


def _when(a: LabelledArticle) -> datetime:
    t = a.article.article.published_at or a.article.article.fetched_at
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def cloned_stream(base: Sequence[LabelledArticle], n: int) -> Iterator[tuple[EnrichedArticle, str]]:
    """``n`` articles with their gold (``copy/incident``): the base corpus in publication order,
    each article followed by its copies, as many copies as ``n`` needs."""
    copies = -(-n // max(1, len(base)))
    ordered = sorted(base, key=lambda a: (_when(a), a.article.article.article_id))
    done = 0
    for a in ordered:
        for c in range(copies):
            if done == n:
                return
            yield clone(a.article, c), f"{c}/{a.gold}"
            done += 1
