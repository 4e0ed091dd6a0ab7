"""Rule modules of the extractor, without the spaCy model (fast)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.extractor.entities import EntityResolver, RawMention, clean_mention
from services.extractor.eventdate import detect_tense, pick_event_date
from services.extractor.eventtype import event_type
from services.extractor.keyphrases import key_phrases, lemma, mask
from services.extractor.logic import Extractor, reference_for
from services.extractor.names import AliasTable, default_aliases, person_key, plain_key
from services.extractor.quantities import find_quantities
from services.extractor.spotting import Spotter
from services.extractor.temporal import Reference, find_temporals, latest_year, nearest_year
from shared.contracts import CleanArticle, DateSource, EntityKind, Precision, Tense
from shared.errors import RejectedInput

SAT = Reference(datetime(2022, 2, 12, 10, 0, tzinfo=UTC), "published_at", True)  # a Saturday
UNDATED = Reference(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), "fetched_at", False)


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Dmitry Peskov", "Dmitri Peskow"),
        ("Volodymyr Zelenskyy", "Volodymyr Zelenskiy"),
        ("Zelensky", "Zelenskyj"),
        ("Sergei Lavrov", "Sergey Lavrov"),
        ("Mikhail Gorbachev", "Mikhail Gorbachew"),
        ("José Núñez", "Jose Nunez"),
    ],
)
def test_person_key_unifies_transliterations(a: str, b: str) -> None:
    assert person_key(a) == person_key(b)


def test_person_key_keeps_different_people_apart() -> None:
    assert person_key("Joe Biden") != person_key("Hunter Biden")
    assert person_key("Anna Kowalska") == "anna kowalska"  # only Slavic -ow/-ew endings fold w→v
    assert person_key("Joseph R. Biden") == "joseph biden"  # initials dropped


def test_alias_table_exact_cross_kind_and_fuzzy() -> None:
    table = default_aliases()
    assert table.lookup(EntityKind.PLACE, "Kiev").id == "place:kyiv"  # type: ignore[union-attr]
    assert table.lookup(EntityKind.PLACE, "the Donbass").id == "place:donbas"  # type: ignore[union-attr]
    assert table.lookup(EntityKind.GROUP, "U.S.").id == "place:united-states"  # type: ignore[union-attr]
    for variant in ("US", "USA", "America", "United States"):
        assert table.lookup(EntityKind.PLACE, variant).id == "place:united-states"  # type: ignore[union-attr]
    assert table.fuzzy(EntityKind.PERSON, "Vladimir Poutin").id == "person:vladimir-putin"  # type: ignore[union-attr]
    assert table.fuzzy(EntityKind.PERSON, "Vladimir Smirnov") is None
    assert table.surname("Zelenskyy").id == "person:volodymyr-zelensky"  # type: ignore[union-attr]


def test_plain_key_strips_article_and_possessive() -> None:
    assert plain_key("the White House's") == "white house"


def test_clean_mention_drops_titles_noise_and_keeps_offsets() -> None:
    text = "said President Joe Biden today"
    m = clean_mention("President Joe Biden", 5, "PERSON")
    assert m is not None and text[m.start : m.end] == "Joe Biden"
    assert clean_mention("12345", 0, "ORG") is None
    assert clean_mention("Print\nFile", 0, "ORG") is None
    assert clean_mention("today", 0, "DATE") is None


def test_resolver_links_surnames_and_mislabelled_spans() -> None:
    resolver = EntityResolver(AliasTable({"person": {}, "place": {}}))
    text = "Anna Kowalska met the press. Kowalska said Kowalska would stay."
    mentions = [
        RawMention("Anna Kowalska", 0, 13, EntityKind.PERSON),
        RawMention("Kowalska", 29, 37, EntityKind.PERSON),
        RawMention("Kowalska", 43, 51, EntityKind.PLACE),  # the model's label confusion
    ]
    entities = resolver.resolve(text, "Kowalska speaks", mentions)
    assert [(e.id, e.count) for e in entities] == [("person:anna-kowalska", 3)]
    assert entities[0].salience == 1.0


def _spans(text: str, *names: tuple[str, EntityKind]) -> list[RawMention]:
    out, pos = [], 0
    for name, kind in names:
        start = text.index(name, pos)
        out.append(RawMention(name, start, start + len(name), kind))
        pos = start + len(name)
    return out


def test_full_name_tagged_as_a_place_is_the_person_its_surname_names() -> None:
    resolver = EntityResolver(AliasTable({"person": {}, "place": {}}))
    text = "Tomas Wrenfield will host the gala. Wrenfield sings. Wrenfield dances."
    mentions = _spans(
        text,
        ("Tomas Wrenfield", EntityKind.PLACE),  # the small model's label, out of context
        ("Wrenfield", EntityKind.PERSON),
        ("Wrenfield", EntityKind.PERSON),
    )
    assert [(e.id, e.count) for e in resolver.resolve(text, None, mentions)] == [("person:tomas-wrenfield", 3)]


def test_a_place_is_not_taken_for_a_person_without_a_bare_surname() -> None:
    resolver = EntityResolver(AliasTable({"person": {}, "place": {}}))
    text = "Port Wrenfield flooded. Mayor Ann Lee spoke."
    mentions = _spans(text, ("Port Wrenfield", EntityKind.PLACE), ("Ann Lee", EntityKind.PERSON))
    assert sorted(e.id for e in resolver.resolve(text, None, mentions)) == ["person:ann-lee", "place:port-wrenfield"]


def test_a_team_is_not_taken_for_a_person_when_the_model_tags_its_nickname_as_one() -> None:
    resolver = EntityResolver(AliasTable({"person": {}, "org": {}}))
    text = "The Jacksonville Jaguars won. The Jaguars scored late."
    mentions = _spans(text, ("Jacksonville Jaguars", EntityKind.ORG), ("Jaguars", EntityKind.PERSON))
    ids = {e.id for e in resolver.resolve(text, None, mentions)}
    assert "org:jacksonville-jaguars" in ids and "person:jacksonville-jaguars" not in ids


def test_mis_cut_or_run_together_spans_do_not_name_the_person() -> None:
    resolver = EntityResolver(AliasTable({"person": {}, "place": {}}))
    text = (
        "Tomas Wrenfield hosts. Having Wrenfield host was bold, having seen the Tonys, Wrenfield said. Wrenfield won."
    )
    mentions = _spans(
        text,
        ("Tomas Wrenfield", EntityKind.PERSON),
        ("Having Wrenfield", EntityKind.PERSON),  # sentence-initial gerund inside the span
        ("Tonys, Wrenfield", EntityKind.PLACE),  # two names run together
        ("Wrenfield", EntityKind.PERSON),
    )
    ids = {e.id: e.count for e in resolver.resolve(text, None, mentions)}
    assert ids["person:tomas-wrenfield"] == 3
    assert "person:having-wrenfield" not in ids and "person:tonys-wrenfield" not in ids


def test_resolver_expands_acronyms_introduced_in_text() -> None:
    resolver = EntityResolver(AliasTable({"org": {}}))
    text = "The Baltic Energy Council (BEC) met. The BEC agreed."
    mentions = [
        RawMention("Baltic Energy Council", 4, 25, EntityKind.ORG),
        RawMention("BEC", 41, 44, EntityKind.ORG),
    ]
    assert [e.id for e in resolver.resolve(text, None, mentions)] == ["org:baltic-energy-council"]


def test_spotter_skips_parts_of_longer_names() -> None:
    spotter = Spotter({"America": EntityKind.PLACE, "Kyiv": EntityKind.PLACE})
    found = spotter.spot("Trade with Latin America grew. Officials in Kyiv agreed.", [])
    assert [m.text for m in found] == ["Kyiv"]


# --- temporal ----------------------------------------------------------------------------------


def values(text: str, ref: Reference) -> dict[str, tuple[str, Precision]]:
    return {f.mention.text: (f.mention.value.isoformat(), f.mention.precision) for f in find_temporals(text, ref)}


def test_explicit_dates_and_formats() -> None:
    got = values("Signed on 12 Feb 2022 and on February 12th 2022, in June 2021, and on 2021-12-07.", SAT)
    assert got["12 Feb 2022"] == ("2022-02-12T00:00:00+00:00", Precision.DAY)
    assert got["February 12th 2022"] == ("2022-02-12T00:00:00+00:00", Precision.DAY)
    assert got["June 2021"] == ("2021-06-01T00:00:00+00:00", Precision.MONTH)
    assert got["2021-12-07"][0].startswith("2021-12-07")


def test_relative_days_and_weekdays() -> None:
    got = values("They will talk tomorrow night. She spoke on Friday. The vote is this Sunday.", SAT)
    assert got["tomorrow night"][0].startswith("2022-02-13")
    assert got["Friday"][0].startswith("2022-02-11")
    assert got["this Sunday"][0].startswith("2022-02-13")
    assert values("Talks will be held on Monday.", SAT)["Monday"][0].startswith("2022-02-14")
    assert values("Talks were held last Monday.", SAT)["last Monday"][0].startswith("2022-02-07")


def test_missing_year_is_nearest_to_reference_and_follows_tense() -> None:
    assert nearest_year(1, 10, date(2021, 12, 30)) == date(2022, 1, 10)
    ref = Reference(datetime(2021, 12, 30, 18, tzinfo=UTC), "published_at", True)
    assert values("Talks are planned for January 10.", ref)["January 10"][0].startswith("2022-01-10")
    assert values("They met in June.", SAT)["June"][0].startswith("2021-06-01")


def test_clock_times_to_utc() -> None:
    got = values("It began at 11:04 am ET (16:04 GMT) and a later one at 5 pm IST.", SAT)
    assert got["11:04 am ET"] == ("2022-02-12T16:04:00+00:00", Precision.MINUTE)
    assert got["16:04 GMT"] == ("2022-02-12T16:04:00+00:00", Precision.MINUTE)
    assert got["5 pm IST"] == ("2022-02-12T11:30:00+00:00", Precision.HOUR)
    summer = Reference(datetime(2022, 7, 1, 12, tzinfo=UTC), "published_at", True)
    assert values("at 11:00 am ET", summer)["11:00 am ET"][0] == "2022-07-01T15:00:00+00:00"


def test_plain_numbers_are_not_times() -> None:
    assert values("More than 100,000 troops and 2,500 tanks.", SAT) == {}


def test_undated_weekday_resolves_but_is_not_an_event_date() -> None:
    text = "Putin and Biden will speak by phone on Thursday."
    found = find_temporals(text, UNDATED)
    assert [f.mention.reference for f in found] == ["fetched_at"]
    assert pick_event_date(text, found, UNDATED) is None


def test_weekday_checked_date_wins_when_undated() -> None:
    text = "They met in June 2021. The leaders plan to talk this Saturday, February 12, officials said."
    ref = Reference(UNDATED.moment, "fetched_at", False, anchor_year=2021)
    event = pick_event_date(text, find_temporals(text, ref), ref)
    assert event is not None and event.date == date(2022, 2, 12)


def test_event_date_ignores_stamp_lines_and_prefers_the_lead() -> None:
    text = "Published 08:16 IST, February 10th 2022\nThe leaders held talks on Saturday.\n" + "x " * 400
    text += "Before that, on December 7, they held a video call."
    event = pick_event_date(text, find_temporals(text, SAT), SAT)
    assert event is not None and event.date == date(2022, 2, 12)


# --- tense, event type, key phrases, quantities ------------------------------------------------


def test_tense_from_date_and_cues() -> None:
    text = "Biden and Putin to talk by phone. The talks are scheduled for the evening."
    assert detect_tense("Biden and Putin to talk by phone", text, None, UNDATED) is Tense.ANNOUNCED
    text2 = "The two leaders held a telephone call on Saturday and spoke for an hour."
    assert detect_tense(None, text2, None, UNDATED) is Tense.REPORTED
    assert detect_tense(None, "Nothing here.", None, UNDATED) is Tense.UNKNOWN


def test_event_type_rules() -> None:
    assert event_type("Biden and Putin to talk by phone", "") == "phone_call"
    assert event_type("Magnitude 6.1 earthquake strikes", "The quake was felt.") == "earthquake"
    assert event_type("Police arrest suspect", "He was detained.") == "arrest"
    assert event_type(None, "Lorem ipsum dolor.") == "other"


def test_key_phrases_skip_masked_names() -> None:
    text = "Vladimir Putin warned of sanctions. The sanctions threat grew as security guarantees stalled."
    phrases = key_phrases(None, mask(text, [(0, 14)]))
    assert "sanction" in " ".join(phrases)
    assert not any("putin" in p for p in phrases)
    assert lemma("guarantees") == "guarantee"


@pytest.mark.parametrize(
    ("text", "value", "unit", "qualifier"),
    [
        ("In addition to the more than 100,000 troops, Moscow", 100_000, "troops", "more than"),
        ("Moscow has amassed over 1,35,000 troops.", 135_000, "troops", "over"),
        ("The US sent 3,000 more troops to Poland.", 3_000, "troops", "more"),
        ("It left 14,000 people dead.", 14_000, "people", None),
        ("The call lasted one hour and two minutes.", 62, "minute", None),
        ("after the 50-minute phone call", 50, "minute", None),
        ("About 2.5 million people fled.", 2_500_000, "people", "about"),
        ("a magnitude 7.8 earthquake", 7.8, "magnitude", None),
        ("Inflation reached 7.5% in May.", 7.5, "percent", None),
    ],
)
def test_quantities(text: str, value: float, unit: str, qualifier: str | None) -> None:
    got = [(q.value, q.unit, q.qualifier) for q in find_quantities(text)]
    assert (value, unit, qualifier) in got
    for q in find_quantities(text):
        assert text[q.start : q.end] == q.text


def test_quantities_skip_years_urls_and_excluded_spans() -> None:
    assert find_quantities("Back in 2014 the crisis began.") == []
    assert find_quantities("pic.twitter.com/HqK0b65kFm") == []
    text = "On February 12 more than 100,000 troops"
    got = find_quantities(text, exclude=[(3, 14)])
    assert [q.value for q in got] == [100_000]


# --- article level (no model needed) ------------------------------------------------------------


def test_reference_prefers_real_publication_time() -> None:
    pub = datetime(2022, 2, 12, 2, 46, tzinfo=UTC)
    art = CleanArticle(article_id="a", text="x", published_at=pub, published_at_source=DateSource.TEXT_STAMP)
    assert reference_for(art, art.text).reliable
    fetched_only = CleanArticle(
        article_id="b", text="In 2021 x", published_at=pub, published_at_source=DateSource.FETCH_TIME
    )
    ref = reference_for(fetched_only, fetched_only.text)
    assert not ref.reliable and ref.anchor_year == 2021
    undated = CleanArticle(article_id="c", text="x")
    assert reference_for(undated, undated.text).source == "fetched_at"


def test_text_without_words_is_rejected() -> None:
    with pytest.raises(RejectedInput) as info:
        Extractor.check(CleanArticle(article_id="n", text="12345 ---- ...."))
    assert info.value.reason == "empty_text"


def test_background_dates_lose_to_the_articles_own_time() -> None:
    text = "W. Mark Felt, born Aug. 17, 1913, died on Thursday.\nMay 03, 2013\nHe died on May 1, 2013, his family said."
    event = pick_event_date(text, find_temporals(text, UNDATED), UNDATED)
    assert event is not None and event.date == date(2013, 5, 1)


def test_telephone_as_infrastructure_is_not_a_phone_call() -> None:
    assert event_type("Severed cables disrupt communication", "Internet and telephone communications failed.") != (
        "phone_call"
    )


def test_quantity_unit_skips_adjectives() -> None:
    text = "It sent six amphibious assault ships and three submarine cables."
    got = [(q.value, q.unit) for q in find_quantities(text)]
    assert got == [(6, "ships"), (3, "cables")]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_rules_never_crash_on_arbitrary_text(text: str) -> None:
    found = find_temporals(text, SAT)
    for f in found:
        assert text[f.mention.start : f.mention.end].strip() == f.mention.text
    pick_event_date(text, found, SAT)
    pick_event_date(text, find_temporals(text, UNDATED), UNDATED)
    for q in find_quantities(text):
        assert text[q.start : q.end] == q.text
    detect_tense(text[:40], text, None, SAT)
    event_type(text[:40], text)
    key_phrases(text[:40], text)


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"(on |this |last |next )?(Monday|Friday|May|June|February) ?[0-9]{0,2},? ?(19|20)?[0-9]{0,2}"))
def test_date_like_strings_never_crash(text: str) -> None:
    for ref in (SAT, UNDATED):
        for f in find_temporals(text, ref):
            assert f.mention.value.tzinfo is not None


def test_tense_from_regular_past_forms_and_perfect() -> None:
    reported = "The navy captured 23 pirates and rescued a merchant vessel, the ministry said."
    assert detect_tense(None, reported, None, UNDATED) is Tense.REPORTED
    assert detect_tense(None, "The church has caught fire.", None, UNDATED) is Tense.REPORTED
    announced = "Chris Weitz is expected to direct the sequel, the studio confirmed."
    assert detect_tense(None, announced, None, UNDATED) is Tense.ANNOUNCED


def test_coarse_event_date_when_no_day_is_given() -> None:
    text = "Officials will visit Kyiv next week to discuss reconstruction."
    event = pick_event_date(text, find_temporals(text, SAT), SAT)
    assert event is not None and event.precision is Precision.WEEK and event.date == date(2022, 2, 14)
    assert event.confidence < 0.6
    assert detect_tense(None, text, event, SAT) is Tense.ANNOUNCED
    this_month = "Prices rose this month."
    month_event = pick_event_date(this_month, find_temporals(this_month, SAT), SAT)
    assert month_event is not None and month_event.precision is Precision.MONTH
    assert detect_tense(None, this_month, month_event, SAT) is Tense.REPORTED  # decided by the verb, not the date


def test_known_surname_mislabelled_as_org_or_place_is_the_person() -> None:
    resolver = EntityResolver(default_aliases())
    text = "Lavrov met Scholz."
    mentions = [RawMention("Lavrov", 0, 6, EntityKind.ORG), RawMention("Scholz", 11, 17, EntityKind.PLACE)]
    assert {e.id for e in resolver.resolve(text, None, mentions)} == {"person:sergey-lavrov", "person:olaf-scholz"}


def test_place_variant_inside_a_longer_name_is_respelled() -> None:
    resolver = EntityResolver(default_aliases())
    assert resolver.canonical(EntityKind.PLACE, "Kiev Oblast").id == "place:kyiv-oblast"
    assert resolver.canonical(EntityKind.PLACE, "Kyiv Oblast").id == "place:kyiv-oblast"
    assert resolver.canonical(EntityKind.PLACE, "Bridgeport").id == "place:bridgeport"


def test_attributed_dates_and_title_dates() -> None:
    text = (
        "Putin on Saturday is scheduled to talk with Biden. Citing spokesman Peskov on Friday, agencies said "
        "the call will be held in the evening. He was quoted as saying on Friday that it was requested."
    )
    event = pick_event_date(text, find_temporals(text, SAT), SAT, title="Biden and Putin to talk today")
    assert event is not None and event.date == date(2022, 2, 12)
    without_title = pick_event_date(text, find_temporals(text, SAT), SAT)
    assert without_title is not None and without_title.confidence < event.confidence


_QTY_TOKENS = ["more than", "$", "5", "1,35,000", "one", "two-hour", " ", "  ", "troops", "3rd", "per cent", "%",
               "about", "US$", "Rs.", "million", "-", "7", "x", ",", ".", "\n", "nearly", "10:30"]  # fmt: skip


@given(st.lists(st.sampled_from(_QTY_TOKENS), max_size=40))
def test_fast_number_scan_finds_what_the_full_scan_finds(tokens: list[str]) -> None:
    from services.extractor.quantities import _NUMBER, _number_matches  # noqa: PLC0415

    text = "".join(tokens)
    full = [(m.span(), m.groupdict()) for m in _NUMBER.finditer(text)]
    assert [(m.span(), m.groupdict()) for m in _number_matches(text)] == full


_DATE_TOKENS = ["on", "On", "this", "next", "last", "the", "of", "in", "early", "end of", "mid-", "a couple of",
                "Saturday", "Saturday,", "(Monday", "February", "Feb.", "Sept", "May", "Mayor", "Decision", "12",
                "12th", "2022", "1999", "20221", "3", "days", "week", "months", "Years", "ago", "from now",
                "yesterday", "Tomorrow", "tonight", "night", "morning", "today", "the day before", " ", "  ",
                "\n", ",", ".", "-", "11:04", "am", "ET", "GMT", "2022-02-12"]  # fmt: skip


@given(st.lists(st.sampled_from(_DATE_TOKENS), max_size=40), st.sampled_from(["", " ", "x"]))
@settings(max_examples=300)
def test_cued_date_scan_finds_what_finditer_finds(tokens: list[str], glue: str) -> None:
    from services.extractor.temporal import PATTERNS, Scanner  # noqa: PLC0415

    text = glue.join(tokens)
    scanner = Scanner(text)
    for pattern, _ in PATTERNS:
        full = [(m.span(), m.groupdict()) for m in pattern.finditer(text)]
        assert [(m.span(), m.groupdict()) for m in scanner.matches(pattern)] == full, pattern.pattern


def test_a_birth_date_is_background_in_an_undated_obituary() -> None:
    """The only full date is the birth date; the years the text mentions say the article is
    from 2008 at the earliest, so the birth date is background, and with nothing but background
    the event's date is unknown (ECB+ obituaries were dated 1913, 1923 and 1928 so)."""
    text = (
        "Pin-up icon Bettie Page died on Thursday in Los Angeles. She was 85. Page was born on "
        "April 22, 1923, in Nashville. Her photographs of the 1950s were rediscovered in 2008."
    )
    ref = Reference(UNDATED.moment, "fetched_at", False, None, latest_year(text, UNDATED.moment.year))
    event = pick_event_date(text, find_temporals(text, ref), ref)
    assert event is None
    no_anchor = Reference(UNDATED.moment, "fetched_at", False)
    before = pick_event_date(text, find_temporals(text, no_anchor), no_anchor)
    assert before is not None and before.date == date(1923, 4, 22) and before.confidence >= 0.5


def test_echoes_spot_names_found_earlier_only_past_the_read_part() -> None:
    from services.extractor.spotting import echoes  # noqa: PLC0415

    text = "Joe Biden met NATO allies. Biden said NATO would act. Joe Biden left for Latin America."
    read_to = text.index(" Biden said")
    found = [
        RawMention("Joe Biden", 0, 9, EntityKind.PERSON),
        RawMention("NATO", 14, 18, EntityKind.ORG),
        RawMention("America", 0, 0, EntityKind.PLACE),  # only glued to "Latin" later: not a hit
    ]
    got = [(m.text, m.start, m.kind) for m in echoes(text, found, read_to)]
    assert got == [
        ("Biden", text.index("Biden said"), EntityKind.PERSON),  # a person's surname alone
        ("NATO", text.index("NATO would"), EntityKind.ORG),
        ("Joe Biden", text.index("Joe Biden left"), EntityKind.PERSON),
    ]
    assert echoes(text, found, len(text)) == []
    assert echoes(text, [], 0) == []


def test_fuzzy_match_is_the_best_ratio_over_the_table() -> None:
    """The quick_ratio shortcut must not change which name wins: compare with every pair's ratio."""
    from services.extractor.names import OTHER_FUZZY_THRESHOLD, PERSON_FUZZY_THRESHOLD, key_for, similarity  # noqa: PLC0415

    table = default_aliases()
    probes = {
        EntityKind.PERSON: ["Vladimir Poutin", "Volodimir Zelensky", "Dmitri Peskof", "Antony Blinkin", "Olaf Sholz"],
        EntityKind.PLACE: ["Ukrainia", "Donetsk Oblast", "Zaporizhia", "Kharkov region", "Washingtn"],
        EntityKind.ORG: ["Pentagone", "United Nation", "European Unoin", "Gazpromm"],
    }
    hits = 0
    for kind, names in probes.items():
        threshold = PERSON_FUZZY_THRESHOLD if kind is EntityKind.PERSON else OTHER_FUZZY_THRESHOLD
        for name in names:
            key = key_for(kind, name)
            best, best_score = None, threshold
            for variant_key, canon in table._exact[kind].items():
                if abs(len(variant_key) - len(key)) <= 3 and variant_key[:1] == key[:1]:
                    score = similarity(key, variant_key)
                    if score >= best_score:
                        best, best_score = canon, score
            assert table.fuzzy(kind, name) == best, name
            hits += best is not None
    assert hits >= 8  # the probes do reach the table's names
