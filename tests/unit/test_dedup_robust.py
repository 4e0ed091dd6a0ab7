"""Whatever text arrives, the deduplicator decides or rejects it with a reason; it never crashes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from services.deduplicator.logic import Deduplicator
from shared.contracts.articles import CleanArticle, EnrichedArticle, Entity, EntityKind, EventDate, Precision
from shared.errors import RejectedInput


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(st.text(min_size=1, max_size=400), min_size=1, max_size=6),
    ent_ids=st.lists(st.text(max_size=12), max_size=4),
    day=st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1))),
    precision=st.sampled_from(list(Precision)),
)
def test_any_text_is_decided_or_rejected(
    texts: list[str], ent_ids: list[str], day: date | None, precision: Precision
) -> None:
    d = Deduplicator()
    for i, text in enumerate(texts):
        at = datetime(2024, 1, 1, tzinfo=UTC)
        clean = CleanArticle(article_id=f"a{i % 3}", version=1 + i, text=text, fetched_at=at)
        ents = [Entity(id=e, name=e or "?", kind=EntityKind.OTHER, salience=0.5) for e in ent_ids]
        ed = EventDate(date=day, precision=precision, confidence=0.9) if day else None
        art = EnrichedArticle(article=clean, entities=ents, event_date=ed)
        try:
            dec = d.process(art)
        except RejectedInput as err:
            assert err.reason == "no_words"
            continue
        assert dec.event_id.startswith("ev-")
        assert d.process(art) == dec
