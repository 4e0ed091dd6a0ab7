"""Main-participant check: look-alike events led by different people stay apart, one event
whose articles spell or rank its people differently stays together."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from services.deduplicator.config import DedupConfig
from services.deduplicator.logic import Deduplicator
from services.deduplicator.scoring import participants_differ
from shared.contracts.articles import CleanArticle, EnrichedArticle, Entity, EntityKind
from shared.contracts.events import EventDecision

CFG = DedupConfig()
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

RAHMAN_FIGHT = {"person:wladimir-klitschko": 1.0, "person:hasim-rahman": 1.0, "org:ibf": 0.6, "place:mannheim": 0.5}
THOMPSON_FIGHT = {"person:wladimir-klitschko": 0.9, "person:tony-thompson": 1.2, "org:ibf": 0.6, "place:bern": 0.5}


def test_different_leading_participants_differ() -> None:
    assert participants_differ(THOMPSON_FIGHT, RAHMAN_FIGHT, CFG)
    assert participants_differ(RAHMAN_FIGHT, THOMPSON_FIGHT, CFG)


def test_a_past_opponent_named_in_passing_is_still_a_mismatch() -> None:
    rahman_with_history = {**RAHMAN_FIGHT, "person:tony-thompson": 0.3}
    assert participants_differ(THOMPSON_FIGHT, rahman_with_history, CFG)


def test_same_people_spelled_differently_do_not_differ() -> None:
    short = {"person:klitschko": 1.0, "person:rahman": 0.95, "org:ibf": 0.4}
    assert not participants_differ(short, RAHMAN_FIGHT, CFG)


def test_one_side_adding_a_new_actor_is_not_a_mismatch() -> None:
    # the article leads with a newcomer but also gives the event's leaders a main role
    article = {"person:don-king": 1.2, "person:wladimir-klitschko": 1.0, "person:hasim-rahman": 1.0}
    assert not participants_differ(article, RAHMAN_FIGHT, CFG)


def test_groups_and_empty_sides_never_differ() -> None:
    assert not participants_differ({"group:ukrainians": 1.0}, {"group:americans": 1.0}, CFG)
    assert not participants_differ({}, RAHMAN_FIGHT, CFG)


def _article(aid: str, words: list[str], ents: dict[str, float]) -> EnrichedArticle:
    clean = CleanArticle(article_id=aid, text=" ".join(words), fetched_at=T0, published_at=T0)
    entities = [
        Entity(id=e, name=e.split(":")[1], kind=EntityKind.PERSON, count=3, salience=w - 0.25) for e, w in ents.items()
    ]
    return EnrichedArticle(article=clean, entities=entities)


def _fight_words(seed: int, own: str = "") -> list[str]:
    """Vocabulary of a title defence: words any such fight shares, and (``own``) words of this one."""
    rng = random.Random(seed)
    shared = [rng.choice([f"box{i}" for i in range(60)]) for _ in range(120)]
    return shared + ([rng.choice([f"{own}{i}" for i in range(60)]) for _ in range(120)] if own else [])


def test_look_alike_events_with_different_leaders_stay_apart() -> None:
    def run(second: dict[str, float], cfg: DedupConfig = CFG) -> tuple[str, str]:
        d = Deduplicator(cfg)
        a = d.process(_article("a", _fight_words(1, "rah"), RAHMAN_FIGHT))
        b = d.process(_article("b", _fight_words(2, "tho"), second))
        return a.event_id, b.event_id

    joined = run(RAHMAN_FIGHT)
    assert joined[0] == joined[1]  # look-alike words, same people: one event
    apart = run(THOMPSON_FIGHT)
    assert apart[0] != apart[1]  # look-alike words, another opponent: another event
    unchecked = run(THOMPSON_FIGHT, DedupConfig(participant_conflict_factor=1.0))
    assert unchecked[0] == unchecked[1]  # what the check prevents


def test_no_merge_of_events_led_by_different_participants() -> None:
    d = Deduplicator()
    a = d.process(_article("a", _fight_words(1, "rah"), RAHMAN_FIGHT))
    b = d.process(_article("b", _fight_words(2, "tho"), THOMPSON_FIGHT))
    assert a.event_id != b.event_id
    # an article about the champion alone, with both fights' words, scores high against both
    bridge_words = _fight_words(3, "rah") + _fight_words(4, "tho")[120:]
    bridge = d.process(_article("c", bridge_words, {"person:wladimir-klitschko": 1.0, "org:ibf": 0.6}))
    assert bridge.event_decision is EventDecision.JOINED
    assert bridge.merged_event_ids == []
    assert d.event_of("a") != d.event_of("b")


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
    assert featurize(article, CFG).entities == {"name:maurice-cheeks": 1.05}
    assert not participants_differ({"name:maurice-cheeks": 1.0}, {"person:maurice-cheeks": 1.0}, CFG)
