"""The article's unit vectors in ``views.ArticleView`` are built on arrays for speed; they must be
the plain definition to the last bit: ``TermVector.from_mapping(unit_vector(terms, idf))`` for the
text, headline and lead, with idf from the same document frequencies."""

from __future__ import annotations

import numpy as np

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import featurize
from services.deduplicator.index import DocFreq
from services.deduplicator.vectors import TermVector
from services.deduplicator.views import ArticleView, unit_vector
from tests.unit.test_dedup_logic import TEXTS, make


def test_article_vectors_equal_their_definition() -> None:
    cfg = DedupConfig()
    docs = list(TEXTS.values())
    term_df: DocFreq[int] = DocFreq()
    for i, text in enumerate(docs[1:8]):  # earlier articles: unequal document frequencies
        term_df.add(featurize(make(f"d{i}", text), cfg).terms)  # as the store counts them
    art = make("a", docs[0])
    art = art.model_copy(update={"article": art.article.model_copy(update={"title": "Headline words here"})})
    feats = featurize(art, cfg)
    assert feats.terms and feats.title_terms and feats.lead_terms
    view = ArticleView(feats, term_df, lambda _: 1.0)
    for got, part in ((view.terms, feats.terms), (view.title, feats.title_terms), (view.lead, feats.lead_terms)):
        want = TermVector.from_mapping(unit_vector(part, term_df.idf))
        assert np.array_equal(got.keys, want.keys)
        assert np.array_equal(got.vals, want.vals)
