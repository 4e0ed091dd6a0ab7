"""Bounds and copy-detection settings of the deduplicator, in one validated model.

These size the state and the work per article and define what a copy is; they do not
weigh evidence: the article-to-event decision is the learned model's
(services/deduplicator/model.py). A deployment overrides them with
``WIREWATCH_DEDUPLICATOR_CONFIG`` (a JSON object of these fields) rather than by editing code.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DedupConfig(BaseModel):
    """Copy detection, state bounds, retrieval caps and the re-check schedule."""

    model_config = ConfigDict(frozen=True, extra="forbid")  # a misspelt override fails, not ignored

    # --- near-duplicate detection (MinHash over word shingles) ---
    shingle_size: int = Field(default=4, ge=1, le=10)
    minhash_perms: int = Field(default=64, ge=8, le=512)
    lsh_bands: int = Field(default=16, ge=1)  # rows per band = minhash_perms // lsh_bands
    near_dup_jaccard: float = Field(default=0.55, ge=0.0, le=1.0)
    near_dup_containment: float = Field(default=0.8, ge=0.0, le=1.0)  # truncated / extended copies
    min_shingles_for_containment: int = Field(default=25, ge=1)
    # containment is extrapolated from the Jaccard estimate: below this the estimate is noise
    # (two texts on one topic share a few shingles) and a short text would look "contained"
    min_containment_jaccard: float = Field(default=0.2, ge=0.0, le=1.0)

    # --- content vector ---
    term_buckets: int = Field(default=1 << 20, ge=1024)  # hashed vocabulary size
    max_terms_per_article: int = Field(default=160, ge=8)
    max_terms_per_event: int = Field(default=400, ge=16)
    title_boost: float = Field(default=1.0, ge=0.0)

    # --- event evidence ---
    # extracted event dates below this confidence are not counted into an event's day votes
    min_date_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    # how much each similarity counts, and when an article starts a new event, is learned
    # (services/deduplicator/model.py): no weights or join thresholds here

    # articles after which a lone event's founder is first re-checked (0 = off)
    recheck_after: int = Field(default=30, ge=0)
    # how many times a founder still alone is re-checked, each time twice as late; memory: the
    # founders among the last recheck_after * (2**rounds - 1) articles (450 by default)
    recheck_rounds: int = Field(default=4, ge=1, le=10)

    # --- candidate retrieval and bounds ---
    max_postings: int = Field(default=100, ge=4)  # per index key, most recent kept
    max_candidates: int = Field(default=20, ge=1)  # events sharing >= 2 index keys with the article
    # events sharing only one key (one name or word: weak evidence, and a big window has many):
    # this many, the most recent; capped apart so that they cannot crowd out the cost bound
    single_key_candidates: int = Field(default=3, ge=0)
    query_terms: int = Field(default=12, ge=1)  # rarest article terms used as index keys
    retention_days: float = Field(default=7.0, gt=0.0)
    max_articles_per_event: int = Field(default=500, ge=1)  # ids kept in an event record

    @property
    def lsh_rows(self) -> int:
        return max(1, self.minhash_perms // self.lsh_bands)
