"""What consolidation reads from one stored article, decoded once while its event is busy.

Rebuilding an event reads all of its articles. Decoding each stored decision again (its text,
paragraphs, entities with every mention) and scanning its text again for the actor rule on every
rebuild made the sink's CPU per article grow with the size of its events. :class:`FactsCache` keeps
:class:`ArticleFacts`, the few fields consolidation reads, per stored document, and the events'
stored records, which each rebuild compares with the new one.

The cache is keyed by the stored JSON document itself, not by the article id: a row that another
worker rewrote, a write rolled back with its savepoint, a newer version or a moved article is a
different document (or a row read back as it is), so a lookup can only return what decoding that
very document gives. It needs no invalidation, and the records built from it are the same as from
decoding every row again. Memory is bounded by the characters of the documents held
(``max_chars``, see ``BYTES_PER_CHAR``): the document as the key, plus the title and text the actor
rule reads. Least recently used entries go first; an evicted article is decoded again when its event
is next rebuilt, so a bound smaller than the busy events' articles costs CPU, never correctness.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.actors import FullForms, LowerWords, text_credits
from shared.contracts import ArticleRole, DedupDecision, EntityKind, EventDate, EventUpdate, SourceRef, Tense

SUMMARY_CHARS = 400
TITLE_WORDS = 14  # a title made from the lead sentence when no article has a headline
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'“‘(\[]?[A-Z0-9])")
#: Memory per character of the documents held, the document (the key) and what it decodes to
#: included: 1.34 measured on the benchmark's stream (2,485 articles, 9.5 KB each, 31 MB), more for
#: small documents.
BYTES_PER_CHAR = 1.5
#: The default bound of :class:`FactsCache` (``WIREWATCH_SINK_CACHE_MB``, 64 MB).
CACHE_CHARS = int(64_000_000 / BYTES_PER_CHAR)


@dataclass(frozen=True, slots=True)
class EntityFacts:
    id: str
    name: str
    kind: EntityKind
    count: int
    salience: float


@dataclass(frozen=True, slots=True)
class QuantityFacts:
    value: float
    unit: str | None
    text: str
    qualifier: str | None


@dataclass(frozen=True, slots=True, eq=False)
class ArticleFacts:
    """One decided article as consolidation reads it (see :func:`services.sink.logic.consolidate_facts`)."""

    article_id: str
    role: ArticleRole
    seen_at: datetime  # published, else fetched
    fetched_at: datetime
    decided_at: datetime
    title: str | None
    summary: str | None
    lead_title: str | None
    event_type: str
    event_date: EventDate | None
    tense: Tense
    entities: tuple[EntityFacts, ...]
    quantities: tuple[QuantityFacts, ...]
    source: SourceRef
    texts: tuple[str, ...]  # title and text, the empty ones left out: what the actor rule scans
    credits: tuple[frozenset[str], ...]  # per text in ``texts``: its dateline credits
    forms: tuple[FullForms, ...]  # per text in ``texts``: the cut names already looked up there
    lower: tuple[LowerWords, ...]  # per text in ``texts``: the words already looked up there

    @classmethod
    def of(cls, decision: DedupDecision) -> ArticleFacts:
        enriched = decision.article
        clean = enriched.article
        texts = tuple(t for t in (clean.title or "", clean.text) if t)
        return cls(
            article_id=clean.article_id,
            role=decision.role,
            seen_at=clean.published_at or clean.fetched_at,
            fetched_at=clean.fetched_at,
            decided_at=decision.decided_at,
            title=clean.title,
            summary=_summary(decision),
            lead_title=_lead_title(decision),
            event_type=enriched.event_type,
            event_date=enriched.event_date,
            tense=enriched.tense,
            entities=tuple(EntityFacts(e.id, e.name, e.kind, e.count, e.salience) for e in enriched.entities),
            quantities=tuple(QuantityFacts(q.value, q.unit, q.text, q.qualifier) for q in enriched.quantities),
            source=SourceRef(
                article_id=clean.article_id,
                outlet=clean.outlet or clean.site_name,
                url=clean.canonical_url or clean.url,
                title=clean.title,
                published_at=clean.published_at,
                fetched_at=clean.fetched_at,
                role=decision.role,
                duplicate_of=decision.duplicate_of,
            ),
            texts=texts,
            credits=tuple(text_credits(t) for t in texts),
            forms=tuple({} for _ in texts),
            lower=tuple({} for _ in texts),
        )


def _summary(decision: DedupDecision) -> str | None:
    clean = decision.article.article
    paragraphs = clean.paragraphs or [clean.text]
    text = ""
    for paragraph in paragraphs:
        if paragraph.strip() == (clean.title or "").strip():
            continue
        text = f"{text} {paragraph}".strip()
        if len(text) >= SUMMARY_CHARS // 2:
            break
    if len(text) > SUMMARY_CHARS:
        text = text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
    return text or None


def _lead_title(decision: DedupDecision) -> str | None:
    """For an event none of whose articles has a headline: the first sentence of its lead
    article, cut to ``TITLE_WORDS`` words."""
    clean = decision.article.article
    text = next((p.strip() for p in clean.paragraphs or [clean.text] if p.strip()), "")
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0].strip()
    words = sentence.split()
    if not words:
        return None
    if len(words) > TITLE_WORDS:
        return " ".join(words[:TITLE_WORDS]) + " …"
    return sentence


class FactsCache:
    """Stored documents → what they decode to, least recently used dropped past ``max_chars``.

    Holds the articles' :class:`ArticleFacts` and the events' stored records (:class:`EventUpdate`):
    a rebuild compares the new record with the stored one, and decoding a large event's record cost
    more than building it. An event record is kept as the sink wrote it (:meth:`keep_event`): the
    record decoded from that document is equal to it, field by field, and encodes to the same bytes.
    """

    def __init__(self, max_chars: int = CACHE_CHARS) -> None:
        self.max_chars = max_chars
        self._entries: OrderedDict[str, ArticleFacts | EventUpdate] = OrderedDict()
        self._chars = 0

    @classmethod
    def of_megabytes(cls, megabytes: int) -> FactsCache:
        """A cache that holds about ``megabytes`` of memory (see ``BYTES_PER_CHAR``)."""
        return cls(int(megabytes * 1_000_000 / BYTES_PER_CHAR))

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def chars(self) -> int:
        return self._chars

    def facts(self, documents: Iterable[str]) -> list[ArticleFacts]:
        """The facts of each stored decision, in order; a document not held is decoded (and kept)."""
        out: list[ArticleFacts] = []
        for document in documents:
            found = self._get(document)
            if not isinstance(found, ArticleFacts):
                found = ArticleFacts.of(DedupDecision.model_validate_json(document))
                self._keep(document, found)
            out.append(found)
        return out

    def event(self, document: str | None) -> EventUpdate | None:
        """The event record stored as this document (``None``: no record)."""
        if document is None:
            return None
        found = self._get(document)
        if not isinstance(found, EventUpdate):
            found = EventUpdate.model_validate_json(document)
            self._keep(document, found)
        return found

    def keep_event(self, document: str, event: EventUpdate) -> None:
        """``event`` was just stored as ``document``: the next rebuild of it need not decode it."""
        self._keep(document, event)

    def _get(self, document: str) -> ArticleFacts | EventUpdate | None:
        found = self._entries.get(document)
        if found is not None:
            self._entries.move_to_end(document)
        return found

    def _keep(self, document: str, value: ArticleFacts | EventUpdate) -> None:
        if len(document) > self.max_chars or document in self._entries:
            return
        self._entries[document] = value
        self._chars += len(document)
        while self._chars > self.max_chars:
            dropped, _ = self._entries.popitem(last=False)
            self._chars -= len(dropped)
