"""Copy detection on real articles: each sampled ECB+ article is re-published as a syndicated
copy, a lightly edited version, a truncated one and an extended one; the bench counts how many
are linked to their original (role duplicate / syndicated / update, ``duplicate_of`` = the
original or a copy of it) and how many land in the original's event. Used by ``bench_dedup.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import featurize
from services.deduplicator.logic import Deduplicator
from shared.contracts.articles import EnrichedArticle
from shared.contracts.events import ArticleRole

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _syndicated(text: str, rng: np.random.Generator) -> str:
    """Another outlet's copy: its own headline and trailer, punctuation and spacing changed."""
    body = text.replace(",", " ,").replace('"', "'").replace("  ", " ")
    return f"WIRE REPORT {int(rng.integers(1000))}\n{body}\nCopyright the agency. All rights reserved."


def _edited(text: str, rng: np.random.Generator) -> str:
    """About one word in twenty replaced by another word of the same article."""
    words = text.split(" ")
    for i in rng.choice(len(words), size=max(1, len(words) // 20), replace=False):
        words[int(i)] = words[int(rng.integers(len(words)))]
    return " ".join(words)


def _truncated(text: str, rng: np.random.Generator) -> str:
    """The first sentences, up to about 60 % of the text (a teaser or a cut wire version)."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if out and len(" ".join(out)) + len(sentence) > 0.6 * len(text):
            break
        out.append(sentence)
    return " ".join(out)


def _extended(text: str, rng: np.random.Generator) -> str:
    """The article with an update paragraph added (a third as long as the text)."""
    words = text.split(" ")
    extra = [words[int(i)] for i in rng.integers(len(words), size=max(5, len(words) // 3))]
    return text + "\nUPDATE: " + " ".join(extra) + "."


VARIANTS: dict[str, Callable[[str, np.random.Generator], str]] = {
    "syndicated": _syndicated,
    "edited": _edited,
    "truncated": _truncated,
    "extended": _extended,
}
_LINKED = {ArticleRole.DUPLICATE, ArticleRole.SYNDICATED, ArticleRole.UPDATE}


def _variant(art: EnrichedArticle, kind: str, rng: np.random.Generator) -> EnrichedArticle:
    clean = art.article.model_copy(
        update={
            "article_id": f"{art.article_id}~{kind}",
            "text": VARIANTS[kind](art.article.text, rng),
            "outlet": "copydesk.example",
            "url": None,
        }
    )
    return art.model_copy(update={"article": clean})


def run_copies(arts: list[EnrichedArticle], cfg: DedupConfig, every: int = 4) -> dict[str, float]:
    """Originals streamed first (all of them, so look-alikes compete), then one kind of variant
    of every ``every``-th article; a fresh state per kind, so a variant can only match originals."""
    feats = [featurize(a, cfg) for a in arts]
    sample = arts[::every]
    out: dict[str, float] = {}
    for kind in VARIANTS:
        rng = np.random.default_rng(11)
        dedup = Deduplicator(cfg)
        originals = [dedup.assign(a, f) for a, f in zip(arts, feats, strict=True)]
        # ECB+ has copies of its own (one wire story on several sites): a variant linked to its
        # original's copy, or to that copy's variant, is linked to the right text too
        root: dict[str, str] = {}
        for d in originals:
            root[d.article_id] = root.get(d.duplicate_of or "", d.article_id)
        if kind == "syndicated":  # once: distinct ECB+ articles taken for copies of each other
            out["originals_taken_as_copies"] = sum(d.role is not ArticleRole.ORIGINAL for d in originals)
        linked = same_event = 0
        for art in sample:
            decision = dedup.process(_variant(art, kind, rng))
            target = (decision.duplicate_of or "").split("~", 1)[0]
            linked += decision.role in _LINKED and root.get(target) == root[art.article_id]
            same_event += decision.event_id == dedup.event_of(art.article_id)
        out[f"{kind}_linked"] = round(linked / len(sample), 3)
        out[f"{kind}_in_original_event"] = round(same_event / len(sample), 3)
    out["copies_sampled"] = len(sample)
    return out
