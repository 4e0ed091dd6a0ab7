"""Deduplicator: copies, versions, event assignment, replay, state round trip and eviction."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from services.deduplicator.config import DedupConfig
from services.deduplicator.features import ArticleFeatures, featurize
from services.deduplicator.logic import Deduplicator
from shared.contracts.articles import CleanArticle, EnrichedArticle, Entity, EntityKind, EventDate, Precision
from shared.contracts.events import ArticleRole, DedupDecision, EventDecision
from shared.errors import RejectedInput
from tests.unit.dedup_stub import stub_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "dedup"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def _texts() -> dict[str, str]:
    rows = [json.loads(x) for x in (FIXTURES / "ecbplus_sample.jsonl").read_text().splitlines() if x.strip()]
    return {r["doc_id"]: r["text"] for r in rows}


TEXTS = _texts()


def make(
    article_id: str,
    text: str,
    *,
    version: int = 1,
    outlet: str | None = None,
    url: str | None = None,
    at: datetime = T0,
    entities: tuple[str, ...] = (),
    day: date | None = None,
) -> EnrichedArticle:
    clean = CleanArticle(
        article_id=article_id, version=version, outlet=outlet, url=url, text=text, fetched_at=at, published_at=at
    )
    ents = [Entity(id=e, name=e, kind=EntityKind.PERSON, count=2, salience=0.6) for e in entities]
    ed = EventDate(date=day, precision=Precision.DAY, confidence=0.9) if day else None
    return EnrichedArticle(article=clean, entities=ents, event_date=ed)


def _syndicated(text: str) -> str:
    """Another outlet's copy: its own headline and trailer, punctuation and spacing changed."""
    body = text.replace(",", " ,").replace("  ", " ").replace('"', "'")
    return "WIRE STORY\n" + body + "\nCopyright the agency. All rights reserved. Share this article."


def test_exact_duplicate_joins_original_event() -> None:
    d = Deduplicator()
    first = d.process(make("a1", TEXTS["7_3ecbplus"], outlet="x"))
    copy = d.process(make("a2", TEXTS["7_3ecbplus"] + "  ", outlet="y"))
    assert first.role is ArticleRole.ORIGINAL and first.event_decision is EventDecision.NEW_EVENT
    assert copy.role is ArticleRole.DUPLICATE and copy.duplicate_of == "a1"
    assert copy.event_id == first.event_id and copy.event_decision is EventDecision.JOINED
    assert copy.duplicate_confidence == 1.0


@pytest.mark.parametrize("doc", ["7_3ecbplus", "7_2ecbplus", "1_10ecbplus"])
def test_syndicated_copy_is_linked(doc: str) -> None:
    d = Deduplicator()
    first = d.process(make("orig", TEXTS[doc], outlet="agency"))
    copy = d.process(make("copy", _syndicated(TEXTS[doc]), outlet="paper"))
    assert copy.role is ArticleRole.SYNDICATED
    assert copy.duplicate_of == "orig"
    assert copy.event_id == first.event_id
    assert d.n_events == 1


def test_same_outlet_edit_is_an_update() -> None:
    d = Deduplicator()
    text = TEXTS["7_3ecbplus"]
    first = d.process(make("v1", text, outlet="paper"))
    edited = text.replace("Thompson", "Tony Thompson", 2) + " This story has been updated with reactions."
    upd = d.process(make("v2", edited, outlet="paper"))
    assert upd.role is ArticleRole.UPDATE and upd.duplicate_of == "v1"
    assert upd.event_id == first.event_id


@pytest.mark.parametrize("keep", [0.5, 0.7])
def test_truncated_version_is_linked(keep: float) -> None:
    d = Deduplicator()
    words = TEXTS["7_3ecbplus"].split()
    first = d.process(make("full", " ".join(words), outlet="agency"))
    short = d.process(make("short", " ".join(words[: int(len(words) * keep)]) + " Read more", outlet="portal"))
    assert short.role is ArticleRole.SYNDICATED and short.duplicate_of == "full"
    assert short.event_id == first.event_id


def test_new_version_of_same_article_id_is_an_update() -> None:
    d = Deduplicator()
    first = d.process(make("a", TEXTS["7_2ecbplus"]))
    second = d.process(make("a", TEXTS["7_2ecbplus"] + " Updated with a new quote from the promoter.", version=2))
    assert second.role is ArticleRole.UPDATE and second.duplicate_of == "a"
    assert second.event_id == first.event_id
    assert d.n_articles == 1
    record = d.drain_changes()[f"e:{first.event_id}"]
    assert record is not None and record["article_ids"] == ["a"]


def test_same_url_is_an_update() -> None:
    d = Deduplicator()
    first = d.process(make("u1", TEXTS["7_2ecbplus"], url="https://www.site.test/story?utm_source=x&fbclid=y"))
    second = d.process(make("u2", TEXTS["1_10ecb"], url="http://site.test/story/#comments"))
    assert second.role is ArticleRole.UPDATE and second.duplicate_of == "u1"
    assert second.event_id == first.event_id


def test_query_parameters_that_name_the_article_keep_urls_apart() -> None:
    """``story?id=1`` and ``story?id=2`` are two articles (ECB+ has such pairs from ESPN and a
    forum: one was taken for an update of the other when the whole query was ignored)."""
    d = Deduplicator()
    d.process(make("q1", TEXTS["7_2ecbplus"], url="http://sports.site.test/news/story?id=2066717&page=1"))
    other = d.process(make("q2", TEXTS["1_10ecb"], url="http://sports.site.test/news/story?id=2115562&page=1"))
    assert other.role is ArticleRole.ORIGINAL and other.duplicate_of is None
    again = d.process(make("q3", TEXTS["24_1ecb"], url="https://sports.site.test/news/story?page=1&id=2066717"))
    assert again.role is ArticleRole.UPDATE and again.duplicate_of == "q1"  # same parameters, other order


def test_unrelated_articles_make_separate_events() -> None:
    d = Deduplicator()
    decisions = [d.process(make(k, TEXTS[k])) for k in ("7_1ecb", "24_1ecb", "1_10ecb")]
    assert len({x.event_id for x in decisions}) == 3
    assert all(x.role is ArticleRole.ORIGINAL and x.event_decision is EventDecision.NEW_EVENT for x in decisions)


def test_same_event_different_words_joins_and_a_date_conflict_lowers_the_probability() -> None:
    ents = ("person:wladimir-klitschko", "person:tony-thompson")
    d = Deduplicator()
    a = d.process(make("k1", TEXTS["7_2ecbplus"], entities=ents, day=date(2012, 7, 7)))
    b = d.process(make("k2", TEXTS["7_3ecbplus"], entities=ents, day=date(2012, 7, 7)))
    assert b.event_id == a.event_id and b.event_decision is EventDecision.JOINED
    d2 = Deduplicator()
    a2 = d2.process(make("k1", TEXTS["7_2ecbplus"], entities=ents, day=date(2012, 7, 7)))
    b2 = d2.process(make("k2", TEXTS["7_3ecbplus"], entities=ents, day=date(2012, 8, 18)))
    # six weeks apart: less likely the same event (extracted dates also disagree inside one event,
    # so the model weighs the gap rather than vetoing)
    p_same = b.event_confidence
    p_apart = b2.event_confidence if b2.event_id == a2.event_id else 1.0 - b2.event_confidence
    assert p_apart < p_same


def test_replay_is_idempotent() -> None:
    d = Deduplicator()
    arts = [make(k, t) for k, t in TEXTS.items()]
    first = [d.process(a) for a in arts]
    d.drain_changes()
    again = [d.process(a) for a in arts]
    assert again == first
    assert d.drain_changes() == {}  # a replay changes no state


def _summary(x: DedupDecision) -> tuple[object, ...]:
    return (x.article_id, x.role, x.duplicate_of, x.event_id, x.event_decision, x.event_confidence)


def test_drain_and_load_round_trip_gives_same_decisions() -> None:
    arts = [make(k, t, at=T0 + timedelta(hours=i)) for i, (k, t) in enumerate(TEXTS.items())]
    later = [
        make("s1", _syndicated(TEXTS["7_3ecbplus"]), at=T0 + timedelta(hours=10)),
        make("s2", TEXTS["7_2ecbplus"] + " More to follow.", at=T0 + timedelta(hours=11)),
        make("s3", TEXTS["1_10ecbplus"], version=1, outlet="x", at=T0 + timedelta(hours=12)),
    ]
    live = Deduplicator()
    for a in arts:
        live.process(a)
    records = json.loads(json.dumps(live.drain_changes()))  # as a changelog table would hold them
    restored = Deduplicator()
    restored.load((k, v) for k, v in records.items() if v is not None)
    assert restored.n_articles == live.n_articles and restored.n_events == live.n_events
    assert [_summary(restored.process(a)) for a in arts] == [_summary(live.process(a)) for a in arts]
    assert [_summary(restored.process(a)) for a in later] == [_summary(live.process(a)) for a in later]


def test_eviction_drops_old_state() -> None:
    d = Deduplicator(DedupConfig(retention_days=7))
    old = d.process(make("old", TEXTS["7_3ecbplus"], at=T0))
    d.process(make("new", TEXTS["1_10ecb"], at=T0 + timedelta(days=6)))
    d.drain_changes()
    assert d.evict(T0 + timedelta(days=5)) == 0
    dropped = d.evict(T0 + timedelta(days=8))
    assert dropped == 2  # the old article and its event
    changes = d.drain_changes()
    assert changes["a:old"] is None and changes[f"e:{old.event_id}"] is None
    assert d.n_articles == 1 and d.n_events == 1
    # a copy of an evicted article is no longer linked to it
    again = d.process(make("old-copy", TEXTS["7_3ecbplus"], at=T0 + timedelta(days=8)))
    assert again.role is ArticleRole.ORIGINAL and again.event_decision is EventDecision.NEW_EVENT


def test_wordless_article_is_rejected() -> None:
    with pytest.raises(RejectedInput) as err:
        featurize(make("empty", "--- !!! ..."))
    assert err.value.reason == "no_words"


def test_features_survive_serialisation() -> None:
    f = featurize(make("k1", TEXTS["7_2ecbplus"], entities=("person:x",), day=date(2012, 7, 7)))
    g = ArticleFeatures.from_record(json.loads(json.dumps(f.to_record())))
    assert g.to_record() == f.to_record()
    assert g.weekday == 5  # 2012-07-07 was a Saturday


def test_mismatched_features_are_rejected() -> None:
    d = Deduplicator()
    with pytest.raises(RejectedInput):
        d.assign(make("a", TEXTS["7_2ecbplus"]), featurize(make("b", TEXTS["7_2ecbplus"])))


def _words(prefix: str, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    vocab = [f"{prefix}{i}" for i in range(n)]
    return [rng.choice(vocab) for _ in range(8 * n)]


def test_bridging_article_merges_two_events_and_records_it() -> None:
    d = Deduplicator(model=stub_model())
    a = d.process(make("left", " ".join(_words("lft", 40, 1))))
    b = d.process(make("right", " ".join(_words("rgt", 40, 2))))
    assert a.event_id != b.event_id  # nothing in common
    both = _words("lft", 40, 3) + _words("rgt", 40, 4)
    bridge = d.process(make("bridge", " ".join(both)))
    assert bridge.event_decision is EventDecision.JOINED
    assert bridge.role is ArticleRole.ORIGINAL
    assert {bridge.event_id, *bridge.merged_event_ids} == {a.event_id, b.event_id}
    assert d.event_of("left") == d.event_of("right") == bridge.event_id
    changes = d.drain_changes()
    assert changes[f"e:{bridge.merged_event_ids[0]}"] is None  # the folded event's record is deleted
    survivor = changes[f"e:{bridge.event_id}"]
    assert survivor is not None and survivor["merged_from"] == bridge.merged_event_ids


def test_no_merge_below_the_merge_threshold() -> None:
    d = Deduplicator(model=stub_model(merge=1.01))
    a = d.process(make("left", " ".join(_words("lft", 40, 1))))
    b = d.process(make("right", " ".join(_words("rgt", 40, 2))))
    both = _words("lft", 40, 3) + _words("rgt", 40, 4)
    bridge = d.process(make("bridge", " ".join(both)))
    assert bridge.merged_event_ids == []
    assert bridge.event_id in {a.event_id, b.event_id} and a.event_id != b.event_id


def test_backfilled_old_news_is_kept_for_the_window_after_it_arrived() -> None:
    d = Deduplicator()
    fetched = T0 + timedelta(days=700)
    clean = CleanArticle(article_id="old-news", text=TEXTS["7_2ecbplus"], fetched_at=fetched, published_at=T0)
    d.process(EnrichedArticle(article=clean))
    assert d.evict(fetched + timedelta(days=1)) == 0
    assert d.watermark == fetched
    assert d.evict(fetched + timedelta(days=8)) == 2
