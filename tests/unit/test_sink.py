"""Sink logic: consolidation is a function of the article set; upserts are idempotent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from services.sink.apply import apply_batch, apply_decision
from services.sink.logic import consolidate
from shared.contracts import ArticleRole, DedupDecision, EntityKind, Tense
from shared.errors import WirewatchError
from shared.eventstore import EventQuery, EventWriter
from tests.conftest import make_decision


@pytest.fixture
def store(tmp_path: Path) -> EventWriter:
    return EventWriter(f"sqlite:///{tmp_path}/events.db")


def test_consolidate_aggregates_entities_sources_timeline() -> None:
    a = make_decision("a1", "e1", tense=Tense.ANNOUNCED)
    b = make_decision(
        "b1",
        "e1",
        entities=(("person:joe-biden", "Joe Biden", EntityKind.PERSON), ("place:kyiv", "Kyiv", EntityKind.PLACE)),
    )
    event = consolidate("e1", [b, a])
    assert [s.article_id for s in event.sources] == ["a1", "b1"]
    assert event.actors[0].id == "person:joe-biden" and event.actors[0].articles == 2
    assert [p.id for p in event.places] == ["place:kyiv"]
    assert [step.status for step in event.timeline] == [Tense.ANNOUNCED, Tense.REPORTED]
    assert event.status == Tense.REPORTED
    assert str(event.event_date) == "2022-02-12"
    assert consolidate("e1", [a, b]).model_dump() == event.model_dump()


def test_apply_is_idempotent(store: EventWriter) -> None:
    first = apply_decision(store, make_decision("a1", "e1"))
    assert len(first) == 1 and first[0].revision == 1
    # redelivered (the sink may have died before its update was acked): no new revision, the record again
    assert apply_decision(store, make_decision("a1", "e1")) == first
    assert store.event("e1") == first[0]
    second = apply_decision(store, make_decision("a2", "e1", role=ArticleRole.SYNDICATED))
    assert second[0].revision == 2 and len(second[0].sources) == 2
    assert store.count_events() == 1


def test_a_batch_is_one_transaction_where_a_failing_decision_fails_alone(
    store: EventWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = [make_decision("a1", "e1"), make_decision("bad", "e2"), make_decision("a2", "e1")]
    put_article = store.put_article

    def failing(decision: DedupDecision) -> None:
        put_article(decision)  # written, then rolled back to its savepoint
        if decision.article_id == "bad":
            raise WirewatchError("bad decision")

    monkeypatch.setattr(store, "put_article", failing)
    results = apply_batch(store, batch)
    assert isinstance(results[1], WirewatchError)
    # e1 is touched twice in the batch: rebuilt once, sent once with the last decision, both articles
    assert results[0] == []
    assert [(u.event_id, u.revision, len(u.sources)) for u in results[2]] == [("e1", 1, 2)]  # type: ignore[union-attr]
    assert store.article("bad") is None and store.event("e2") is None
    assert [e.event_id for e in store.events()] == ["e1"]
    monkeypatch.undo()
    # redelivered after a crash: no row changes or is duplicated, and e1's current record is sent again
    last = store.event("e1")
    assert apply_batch(store, batch[::2]) == [[], [last]]
    assert store.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 2


def test_older_version_is_ignored_and_newer_replaces(store: EventWriter) -> None:
    apply_decision(store, make_decision("a1", "e1", version=2, title="v2"))
    assert apply_decision(store, make_decision("a1", "e1", version=1, title="v1")) == []
    event = store.event("e1")
    assert event is not None and event.title == "v2"


def test_merge_moves_articles_and_records_it(store: EventWriter) -> None:
    apply_decision(store, make_decision("a1", "e1"))
    apply_decision(store, make_decision("b1", "e2"))
    updates = apply_decision(store, make_decision("c1", "e1", merged=("e2",)))
    by_id = {u.event_id: u for u in updates}
    assert {s.article_id for s in by_id["e1"].sources} == {"a1", "b1", "c1"}
    assert by_id["e1"].merged_from == ["e2"]
    assert by_id["e2"].merged_into == "e1"
    assert [e.event_id for e in store.events()] == ["e1"]
    # the merge redelivered: both records again, unchanged (the retired one included)
    again = apply_decision(store, make_decision("c1", "e1", merged=("e2",)))
    assert sorted(again, key=lambda u: u.event_id) == sorted(updates, key=lambda u: u.event_id)


def test_query_filters(store: EventWriter) -> None:
    apply_decision(store, make_decision("a1", "e1", title="Phone call on Ukraine"))
    apply_decision(
        store,
        make_decision(
            "b1",
            "e2",
            title="Earthquake",
            event_date=(2021, 12, 30),
            entities=(("place:chile", "Chile", EntityKind.PLACE),),
        ),
    )
    assert [e.event_id for e in store.events(EventQuery(text="ukraine"))] == ["e1"]
    assert [e.event_id for e in store.events(EventQuery(entity="place:chile"))] == ["e2"]
    assert [e.event_id for e in store.events(EventQuery(entity="chil"))] == ["e2"]
    assert [e.event_id for e in store.events(EventQuery(date_from=date(2022, 1, 1)))] == ["e1"]
    assert store.events(EventQuery(min_sources=2)) == []


def test_title_comes_from_the_first_original_that_has_one() -> None:
    untitled = make_decision("a1", "e1", title="", fetched=None)
    titled = make_decision("b1", "e1", title="Leaders spoke")
    event = consolidate("e1", [untitled, titled])
    assert event.title == "Leaders spoke"


def test_without_any_headline_the_title_is_the_lead_sentence() -> None:
    """ECB+ has whole events of articles without a headline line: their title was empty."""
    text = "Police in Athens fired tear gas at protesters on Saturday. Shops were closed."
    event = consolidate("e1", [make_decision("a1", "e1", title="", text=text)])
    assert event.title == "Police in Athens fired tear gas at protesters on Saturday."
    long = (
        "A powerful earthquake struck southern Iran on Sunday killing at least ten people "
        "and injuring dozens more in villages. More follows."
    )
    event = consolidate("e2", [make_decision("b1", "e2", title="", text=long)])
    assert event.title == "A powerful earthquake struck southern Iran on Sunday killing at least ten people and …"


def test_event_actors_follow_the_actor_rule_with_the_article_texts() -> None:
    """Nationalities, time zones and cut spans never reach the event's actors; a cut name the text
    writes in full is repaired."""
    entities = (
        ("person:joe-biden", "Joe Biden", EntityKind.PERSON),
        ("group:french", "French", EntityKind.GROUP),
        ("org:gmt", "GMT", EntityKind.ORG),
        ("person:ursula-von", "Ursula Von", EntityKind.PERSON),
        ("org:ministry-of", "Ministry of", EntityKind.ORG),
    )
    text = "At 16:04 GMT Joe Biden called Ursula Von der Leyen. The French were told."
    event = consolidate("e1", [make_decision("a1", "e1", text=text, entities=entities)])
    assert [a.name for a in event.actors] == ["Joe Biden", "Ursula Von der Leyen"]
