"""Tunable knobs of the deduplicator, in one validated model.

The defaults were chosen on general grounds and checked on the ECB+ dev stream
(what each was measured to do is in CHANGELOG.md and docs/dedup.md); a deployment
overrides them with ``WIREWATCH_DEDUPLICATOR_CONFIG`` (a JSON object of these
fields) rather than by editing code.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DedupConfig(BaseModel):
    """Thresholds, windows and weights of the deduplicator."""

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

    # --- event similarity ---
    link_alpha: float = Field(default=0.75, ge=0.0, le=1.0)  # 1 = average link, 0.5 ~ centroid cosine
    weight_content: float = 0.55
    weight_entities: float = 0.30
    weight_phrases: float = 0.05  # key phrases rarely overlap verbatim: a small say
    # 0: the extractor's event type varies among the articles of one event, and a type
    # penalty split more true events than it kept look-alikes apart
    event_type_bonus: float = 0.0
    same_day_bonus: float = 0.08
    date_conflict_days: int = Field(default=2, ge=0)  # day-precision dates further apart than this veto
    # score multiplier on a veto; not harsher because extracted dates disagree inside one event
    # too (a wrong "Thursday", a date of an earlier incident), and the participant check below
    # does much of what a harsher date veto would
    date_conflict_factor: float = Field(default=0.5, ge=0.0, le=1.0)
    far_date_days: int = Field(default=7, ge=0)  # day-precision dates further apart than this ...
    far_date_conflict_factor: float = Field(default=0.2, ge=0.0, le=1.0)  # ... veto harder
    coarse_date_conflict_factor: float = Field(default=0.5, ge=0.0, le=1.0)  # months/years apart
    weekday_conflict_factor: float = Field(default=0.4, ge=0.0, le=1.0)  # named weekdays >= 2 days apart
    # main-participant mismatch (see scoring.participant_factor)
    participant_conflict_factor: float = Field(default=0.5, ge=0.0, le=1.0)
    participant_min_share: float = Field(default=0.8, ge=0.0, le=1.0)  # leading = this share of the heaviest
    participant_minor_share: float = Field(default=0.5, ge=0.0, le=1.0)  # below: named only in passing
    # an event's days (and weekdays) holding at least this share of its most reported one's
    # votes all count as its days: multi-day events are reported on each of their days
    date_support_share: float = Field(default=0.25, gt=0.0, le=1.0)
    min_date_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    join_threshold: float = Field(default=0.20, ge=0.0, le=1.0)
    merge_threshold: float = Field(default=0.25, ge=0.0, le=1.0)  # both events must score this high
    # articles after which a lone event's founder is first re-checked (0 = off)
    recheck_after: int = Field(default=30, ge=0)
    # how many times a founder still alone is re-checked, each time twice as late; memory: the
    # founders among the last recheck_after * (2**rounds - 1) articles (450 by default)
    recheck_rounds: int = Field(default=4, ge=1, le=10)
    decay_days: float = Field(default=7.0, gt=0.0)  # similarity half-life over stream time

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
