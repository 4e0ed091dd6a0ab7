"""Delayed re-check: an article that founded an event, and is still alone in it some articles
later, is folded into an event that has grown to fit it; the move is re-emitted."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from services.deduplicator.config import DedupConfig
from services.deduplicator.logic import Deduplicator
from shared.contracts.articles import CleanArticle, EnrichedArticle
from shared.contracts.events import EventDecision
from tests.unit.dedup_stub import stub_model

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def _mix(seed: int, **shares: int) -> EnrichedArticle:
    """An article drawing ``shares[prefix]`` words from each 40-word vocabulary."""
    rng = random.Random(seed)
    words = [rng.choice([f"{p}{i}" for i in range(40)]) for p, n in shares.items() for _ in range(n)]
    clean = CleanArticle(article_id=f"m{seed}", text=" ".join(words), fetched_at=T0, published_at=T0)
    return EnrichedArticle(article=clean)


def _stream(cfg: DedupConfig) -> tuple[Deduplicator, list[str]]:
    d = Deduplicator(cfg, stub_model(merge=1.01))  # no merges: only re-checks act
    first = d.process(_mix(1, core=300))
    lone = d.process(_mix(2, core=50, side=250))  # too little in common with the first: its own event
    assert lone.event_decision is EventDecision.NEW_EVENT and lone.event_id != first.event_id
    # later articles of the first event turn out to cover the side story too
    others = [d.process(_mix(s, core=220, side=80)) for s in (3, 4, 5)]
    return d, [first.event_id, *(o.event_id for o in others)]


def test_lone_founder_is_folded_into_the_event_that_grew_to_fit_it() -> None:
    cfg = DedupConfig(recheck_after=3)
    d, events = _stream(cfg)
    assert len(set(events)) == 1
    moved = d.drain_reassignments()
    assert [m.article_id for m in moved] == ["m2"]
    assert moved[0].event_id == events[0] and moved[0].event_decision is EventDecision.JOINED
    assert moved[0].merged_event_ids and moved[0].merged_event_ids[0] != events[0]
    assert d.event_of("m2") == events[0]
    assert d.drain_reassignments() == []  # drained once
    replayed = d.process(_mix(2, core=50, side=250))  # a replay returns the latest decision
    assert replayed.event_id == events[0]


def test_without_recheck_the_lone_founder_stays_apart() -> None:
    d, events = _stream(DedupConfig(recheck_after=0))
    assert d.event_of("m2") not in events
    assert d.drain_reassignments() == []


def _late_stream(cfg: DedupConfig) -> Deduplicator:
    """The lone founder's re-check comes before the articles that make the first event fit it
    (they were still on other partitions): unrelated articles first, then the fitting ones."""
    d = Deduplicator(cfg, stub_model(merge=1.01))  # no merges: only re-checks act
    d.process(_mix(1, core=300))
    d.process(_mix(2, core=50, side=250))
    for s in (10, 11, 12):
        d.process(_mix(s, other=300))
    for s in (3, 4, 5):
        d.process(_mix(s, core=220, side=80))
    for s in (13, 14, 15, 16, 17, 18):
        d.process(_mix(s, other=300))
    return d


def test_a_founder_still_alone_is_re_checked_again_later() -> None:
    d = _late_stream(DedupConfig(recheck_after=1, recheck_rounds=5))
    assert d.event_of("m2") == d.event_of("m1") == d.event_of("m5")
    assert [m.article_id for m in d.drain_reassignments()] == ["m2"]


def test_one_round_only_gives_up_after_the_first_re_check() -> None:
    d = _late_stream(DedupConfig(recheck_after=1, recheck_rounds=1))
    assert d.event_of("m1") == d.event_of("m5") != d.event_of("m2")
    assert d.drain_reassignments() == []


def test_merge_on_update_folds_the_founder_as_soon_as_the_event_grows_to_fit_it() -> None:
    """No re-check falls due (``recheck_after`` far away): the founder is folded in when an article
    that had it among its candidates joins the first event and makes it fit."""
    d, events = _stream(DedupConfig(recheck_after=1000))
    assert len(set(events)) == 1
    assert d.event_of("m2") == events[0]
    moved = d.drain_reassignments()
    assert [m.article_id for m in moved] == ["m2"]
    assert moved[0].event_decision is EventDecision.JOINED and moved[0].event_id == events[0]


def test_an_unrelated_founder_is_not_folded_on_update() -> None:
    d = Deduplicator(DedupConfig(recheck_after=1000), stub_model(merge=1.01))
    d.process(_mix(1, core=300))
    d.process(_mix(2, other=300))
    for s in (3, 4, 5):
        d.process(_mix(s, core=280, other=20))
    assert d.event_of("m2") != d.event_of("m1") == d.event_of("m5")
    assert d.drain_reassignments() == []
