"""Main-participant feature (``leaders_differ``): look-alike events led by different people
differ, one event whose articles spell or rank its people differently does not."""

from __future__ import annotations

from datetime import UTC, datetime

from services.deduplicator.config import DedupConfig
from services.deduplicator.pairs import participants_differ
from shared.contracts.articles import CleanArticle, EnrichedArticle, Entity, EntityKind

CFG = DedupConfig()
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

RAHMAN_FIGHT = {"person:wladimir-klitschko": 1.0, "person:hasim-rahman": 1.0, "org:ibf": 0.6, "place:mannheim": 0.5}
THOMPSON_FIGHT = {"person:wladimir-klitschko": 0.9, "person:tony-thompson": 1.2, "org:ibf": 0.6, "place:bern": 0.5}


def test_different_leading_participants_differ() -> None:
    assert participants_differ(THOMPSON_FIGHT, RAHMAN_FIGHT)
    assert participants_differ(RAHMAN_FIGHT, THOMPSON_FIGHT)


def test_a_past_opponent_named_in_passing_is_still_a_mismatch() -> None:
    rahman_with_history = {**RAHMAN_FIGHT, "person:tony-thompson": 0.3}
    assert participants_differ(THOMPSON_FIGHT, rahman_with_history)


def test_same_people_spelled_differently_do_not_differ() -> None:
    short = {"person:klitschko": 1.0, "person:rahman": 0.95, "org:ibf": 0.4}
    assert not participants_differ(short, RAHMAN_FIGHT)


def test_one_side_adding_a_new_actor_is_not_a_mismatch() -> None:
    # the article leads with a newcomer but also gives the event's leaders a main role
    article = {"person:don-king": 1.2, "person:wladimir-klitschko": 1.0, "person:hasim-rahman": 1.0}
    assert not participants_differ(article, RAHMAN_FIGHT)


def test_groups_and_empty_sides_never_differ() -> None:
    assert not participants_differ({"group:ukrainians": 1.0}, {"group:americans": 1.0})
    assert not participants_differ({}, RAHMAN_FIGHT)


def test_an_entity_mislabelled_by_kind_is_still_the_same_entity() -> None:
    """The model tags "Maurice Cheeks" as a person in one article and a place in the next: the
    deduplicator compares people, organisations and places by name, groups stay apart."""
    from services.deduplicator.features import entity_key, featurize  # noqa: PLC0415

    assert entity_key("person:maurice-cheeks") == entity_key("place:maurice-cheeks") == "name:maurice-cheeks"
    assert entity_key("org:76ers") == "name:76ers"
    assert entity_key("group:american") == "group:american"
    text = "The coach was fired after the loss, the team said on Monday."
    ents = [Entity(id="place:maurice-cheeks", name="Maurice Cheeks", kind=EntityKind.PLACE, count=2, salience=0.8)]
    article = EnrichedArticle(article=CleanArticle(article_id="a", text=text, fetched_at=T0), entities=ents)
    assert featurize(article).entities == {"name:maurice-cheeks": 1.05}
    assert not participants_differ({"name:maurice-cheeks": 1.0}, {"person:maurice-cheeks": 1.0})
