"""A coarse event type from keyword rules over the title and the lead.

Why keywords: the deduplicator only needs a coarse, stable label to avoid
merging a phone call with an earthquake in the same place; the title and first
paragraph state what happened in plain words. Rules are ordered by
specificity and weighted: a title hit counts three times a lead hit.
"""

from __future__ import annotations

import re

LEAD_CHARS = 600

#: event type → word stems (regex fragments, matched at word starts, case-insensitive).
RULES: dict[str, tuple[str, ...]] = {
    "phone_call": (r"phone\s*call", r"telephone\s+(?:call|conversation|talks?)", r"telephonic",
                   r"phon(?:e|ic)\s+(?:conversation|talks?)",
                   r"video\s*(?:call|link|conference)", r"call(?:s|ed)?\s+with", r"by\s+phone", r"on\s+the\s+phone",
                   r"spoke\s+(?:by|on|over)"),
    "earthquake": (r"earthquake", r"quake", r"tremor", r"seismic", r"magnitude"),
    "storm": (r"hurricane", r"typhoon", r"cyclone", r"tornado", r"storm"),
    "flood": (r"flood", r"landslide", r"mudslide"),
    "fire": (r"wildfire", r"blaze", r"fire\s+(?:broke|destroyed|killed)"),
    "attack": (r"attack", r"bomb", r"explosion", r"blast", r"shooting", r"gunm[ae]n", r"shelling", r"air\s*strike",
               r"missile\s+strike", r"invade", r"invasion", r"offensive", r"killed\s+in"),
    "missile_test": (r"fires?\s+(?:a\s+)?(?:ballistic\s+)?missile", r"missile\s+test", r"test[- ]fire"),
    "election": (r"election", r"vote[sd]?\b", r"ballot", r"poll(?:s|ing)?\s+station", r"re-?elected", r"referendum"),
    "arrest": (r"arrest", r"detain", r"custody", r"charged\s+with", r"indict"),
    "death": (r"dies\b", r"died\b", r"death\s+of", r"passed\s+away", r"obituary", r"funeral"),
    "sanctions": (r"sanction", r"embargo", r"export\s+controls?"),
    "accident": (r"crash", r"derail", r"collision", r"capsiz"),
    "protest": (r"protest", r"demonstrat", r"rally", r"riot", r"strike\s+by"),
    "agreement": (r"agreement", r"treaty", r"deal\b", r"accord", r"ceasefire", r"truce", r"signs?\b"),
    "meeting": (r"meeting", r"summit", r"talks\b", r"meets?\b", r"met\s+with", r"visit", r"negotiat"),
    "evacuation": (r"evacuat",),
    "appointment": (r"appoint", r"nominat", r"sworn\s+in", r"resign", r"steps?\s+down"),
    "trial": (r"trial", r"verdict", r"sentenced", r"convicted", r"acquitted", r"court\s+rul"),
    "announcement": (r"announce", r"unveil", r"launch"),
}  # fmt: skip

_COMPILED = {kind: re.compile(r"\b(?:" + "|".join(stems) + ")", re.IGNORECASE) for kind, stems in RULES.items()}
_ORDER = {kind: i for i, kind in enumerate(RULES)}


def event_type(title: str | None, text: str) -> str:
    """The best-scoring event type, or "other" when no rule fires."""
    lead = text[:LEAD_CHARS]
    title = title or ""
    scores: dict[str, int] = {}
    for kind, pattern in _COMPILED.items():
        score = 3 * len(pattern.findall(title)) + len(pattern.findall(lead))
        if score:
            scores[kind] = score
    if not scores:
        return "other"
    return max(scores, key=lambda k: (scores[k], -_ORDER[k]))
