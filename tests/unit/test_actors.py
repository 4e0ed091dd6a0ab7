"""The actor rule (shared.actors): what is not an actor, and how cut spans are repaired or dropped."""

from __future__ import annotations

from shared.actors import TextContext, clean_entities, is_cut, reject_reason
from shared.contracts import EntityKind, EventEntity

PERSON, ORG, GROUP, PLACE = EntityKind.PERSON, EntityKind.ORG, EntityKind.GROUP, EntityKind.PLACE


def ent(name: str, kind: EntityKind, mentions: int = 1, articles: int = 1) -> EventEntity:
    slug = "-".join(name.lower().split())
    return EventEntity(id=f"{kind.value}:{slug}", name=name, kind=kind, mentions=mentions, articles=articles)


def names(entities: list[EventEntity]) -> list[str]:
    return [e.name for e in entities]


def test_nationalities_time_zones_adjectives_and_generic_words_are_not_actors() -> None:
    for name, kind in [
        ("French", GROUP),
        ("Westerners", GROUP),
        ("Russians", GROUP),
        ("South Koreans", GROUP),
        ("GMT", ORG),
        ("ET", ORG),
        ("Transatlantic", ORG),
        ("Defence", ORG),
        ("pro-Kremlin", GROUP),
    ]:
        assert reject_reason(ent(name, kind)) is not None, name


def test_real_actors_and_places_are_kept() -> None:
    for name, kind in [
        ("Joe Biden", PERSON),
        ("NATO", ORG),
        ("Kremlin", ORG),
        ("Taliban", GROUP),
        ("Republicans", GROUP),
        ("Ukraine", PLACE),
        ("Milorad Dodik", PERSON),
        ("Interfax", ORG),
        ("Ministry of Foreign Affairs of Ukraine", ORG),
    ]:
        assert reject_reason(ent(name, kind)) is None, name


def test_dateline_credit_and_lower_case_word_need_the_texts() -> None:
    texts = TextContext.of(["Washington (JEN): The call began.", "The defence minister spoke to NATO."])
    assert reject_reason(ent("JEN", ORG), texts) == "agency_credit"
    assert reject_reason(ent("JEN", ORG)) is None  # without the texts, an acronym is given the benefit
    assert reject_reason(ent("Defense", ORG), TextContext.of(["the defense of Kyiv"])) is not None
    assert reject_reason(ent("NATO", ORG), texts) is None


def test_cut_spans_are_repaired_from_the_texts_or_dropped() -> None:
    assert is_cut("Ursula Von") and is_cut("Ministry of Foreign Affairs of") and not is_cut("Joe Biden")
    texts = TextContext.of(
        ["European Commission President Ursula Von der Leyen spoke. The Ministry of Foreign Affairs of Ukraine said."]
    )
    entities = [
        ent("Joe Biden", PERSON),
        ent("Ursula Von", PERSON),
        ent("Ministry of Foreign Affairs of", ORG),
        ent("Leyen", PLACE),
        ent("Ukraine", PLACE),
    ]
    kept = clean_entities(entities, texts)
    assert names(kept) == ["Joe Biden", "Ursula Von der Leyen", "Ministry of Foreign Affairs of Ukraine", "Ukraine"]
    assert kept[1].id == "person:ursula-von-der-leyen" and kept[1].mentions == 2  # "Leyen" joined it
    assert names(clean_entities(entities)) == ["Joe Biden", "Leyen", "Ukraine"]  # no texts: dropped


def test_a_repaired_name_joins_the_entity_already_listed_under_it() -> None:
    texts = TextContext.of(["Ursula von der Leyen said. Later Ursula Von der Leyen added."])
    full = ent("Ursula von der Leyen", PERSON, mentions=3, articles=2)
    kept = clean_entities([full, ent("Ursula Von", PERSON)], texts)
    assert len(kept) == 1 and kept[0].id == full.id and kept[0].mentions == 4


def test_cleaning_is_idempotent() -> None:
    texts = TextContext.of(["Ursula Von der Leyen (EU) and the French."])
    once = clean_entities([ent("Ursula Von", PERSON), ent("French", GROUP), ent("EU", ORG)], texts)
    assert clean_entities(once, texts) == once == clean_entities(once)


def test_labelled_sample_is_complete_and_the_rule_does_not_lower_the_share() -> None:
    """The hand-labelled ECB+ dev sample (bench/actors_share.py): every listed name has a label."""
    import json  # noqa: PLC0415

    from bench.actors_share import FIXTURE, share  # noqa: PLC0415

    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    before = share([[a["name"] for a in e["before"]] for e in data["events"]], data["labels"])
    after = share([[a["name"] for a in e["after"]] for e in data["events"]], data["labels"])
    assert len(data["events"]) == 40 and before[3] == after[3] == []
    assert after[0] >= before[0]


def test_text_context_unions_each_texts_words_and_credits() -> None:
    # TextContext.of caches each text's scan; the event's context is the union over its texts
    texts = ["MOSCOW (JEN) - The president spoke.", "Another text, written by the Kremlin press office.", ""]
    context = TextContext.of(texts)
    assert context.texts == tuple(texts[:2])
    assert {"president", "spoke", "text", "written", "by", "press", "office"} <= context.lower_words
    assert "Kremlin" not in context.lower_words and "MOSCOW" not in context.lower_words
    assert context.credits == {"JEN"} == TextContext.of(reversed(texts)).credits
    assert TextContext.of(texts[1:]).lower_words < context.lower_words
