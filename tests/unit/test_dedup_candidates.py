"""Candidate retrieval: events sharing several index keys are scored; those sharing one key
(a popular name) are capped apart, so a big window cannot make an article expensive. Publication
gaps to an event's span of publication times."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import featurize
from services.deduplicator.logic import Deduplicator
from services.deduplicator.pairs import FEATURE_NAMES, pair_matrix
from shared.contracts.articles import EnrichedArticle
from shared.contracts.events import EventDecision
from tests.unit.dedup_stub import stub_model
from tests.unit.test_dedup_logic import T0, _words, make


def _crowded(cfg: DedupConfig) -> tuple[Deduplicator, str]:
    """One event on its own words, then 30 newer unrelated events that all name one popular entity."""
    d = Deduplicator(cfg, stub_model())
    target = d.process(make("target", " ".join(_words("tgt", 40, 1)), entities=("popular", "rare")))
    for i in range(30):
        ents = ("popular", f"own{i}", f"other{i}")
        d.process(make(f"noise{i}", " ".join(_words(f"n{i}x", 40, 10 + i)), entities=ents))
    return d, target.event_id


def test_single_key_candidates_are_capped_and_the_matching_event_is_still_found() -> None:
    cfg = DedupConfig(recheck_after=0, single_key_candidates=2)
    d, target = _crowded(cfg)
    before = d.work.copy()
    follow = d.process(make("follow", " ".join(_words("tgt", 40, 2)), entities=("popular", "rare")))
    assert follow.event_decision is EventDecision.JOINED and follow.event_id == target
    done = d.work - before
    assert done["candidates"] == 1 + 2  # the target (many shared keys) + 2 of the 30 sharing "popular"
    assert done["postings_read"] >= 31  # the popular entity's list was read whole


def test_without_single_key_candidates_only_multi_key_events_are_scored() -> None:
    d, target = _crowded(DedupConfig(recheck_after=0, single_key_candidates=0))
    before = d.work.copy()
    lone = d.process(make("lone", " ".join(_words("other", 40, 3)), entities=("popular",)))
    assert (d.work - before)["candidates"] == 0  # 31 events share one name with it, none more
    assert lone.event_decision is EventDecision.NEW_EVENT and lone.event_id != target


def test_publication_gaps_are_measured_to_the_events_first_and_latest_article() -> None:
    """The model sees the gap in days to the event's first and to its latest article; the span
    survives a restart."""
    d = Deduplicator(DedupConfig(recheck_after=0))
    first = d.process(make("first", " ".join(_words("call", 40, 1)), at=T0))
    later = d.process(make("later", " ".join(_words("call", 40, 2)), at=T0 + timedelta(days=6)))
    event = d._store.events[first.event_id]
    if later.event_id != first.event_id:  # the model kept them apart: build the two-article event by hand
        d._store.merge(event, d._store.events[later.event_id])
    probe = d._store.view(
        featurize(make("probe", " ".join(_words("call", 40, 3)), at=T0 + timedelta(days=13)), d.config)
    )
    kept, rows = pair_matrix(probe, [event], [2])
    assert kept == [0]
    row = rows[0]
    assert row[FEATURE_NAMES.index("pub_gap_first_days")] == pytest.approx(math.log1p(13))
    assert row[FEATURE_NAMES.index("pub_gap_last_days")] == pytest.approx(math.log1p(7))
    restored = Deduplicator(d.config, d.model)
    restored.load(d.drain_changes().items())  # type: ignore[arg-type]
    assert restored._store.events[first.event_id].first_published == event.first_published == T0


def test_a_candidate_without_a_headline_counts_as_no_headline_evidence_in_the_margins() -> None:
    """The margin columns compare a candidate with the best other one; a side without a headline
    (title_link -1) counts as 0 there, not as -1 (which made a titled candidate lead by 1 + its
    own similarity, and an untitled one trail by as much)."""
    d = Deduplicator(DedupConfig(recheck_after=0), stub_model(cut=0.99))

    def titled(aid: str, title: str | None, seed: int) -> EnrichedArticle:
        art = make(aid, " ".join(_words("call", 40, seed)))
        return art.model_copy(update={"article": art.article.model_copy(update={"title": title})})

    with_title = d.process(titled("a", "Leaders hold phone call on crisis", 1))
    without = d.process(titled("b", None, 2))
    assert with_title.event_id != without.event_id
    events = [d._store.events[with_title.event_id], d._store.events[without.event_id]]
    probe = d._store.view(featurize(titled("p", "Leaders hold phone call", 3), d.config))
    kept, rows = pair_matrix(probe, events, [2, 2])
    assert kept == [0, 1]
    title, margin = FEATURE_NAMES.index("title_link"), FEATURE_NAMES.index("title_vs_best_other")
    assert rows[1, title] == -1.0 and rows[0, title] > 0
    assert rows[0, margin] == pytest.approx(rows[0, title])
    assert rows[1, margin] == pytest.approx(-rows[0, title])
