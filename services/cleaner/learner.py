"""Per-outlet memory of lines that recur across an outlet's articles.

Fixed phrase lists cannot know each site's own furniture ("Just Earth News |
@justearthnews", a newsletter pitch, a standard disclaimer). A line that shows
up in several different articles of the same outlet is almost certainly
template text, so the learner counts, per outlet, in how many articles each
normalised line occurred and flags lines seen in at least ``min_articles``.

Memory is bounded twice: at most ``max_lines`` line counters per outlet and at
most ``max_outlets`` outlets, both evicted least-recently-seen first (template
lines are seen constantly, so they stay). Lines are stored as 16-hex-digit
BLAKE2b hashes, never as text. The state is a JSON-able dict so the faust
wiring can persist it in a table and restore it after a restart.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.cleaner.settings import CleanerSettings

_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[\W_]+")
STATE_VERSION = 1


def line_key(line: str) -> str | None:
    """Hash of a line's normalised form (case, digits and punctuation ignored); None if too short."""
    norm = _NON_WORD.sub(" ", _DIGITS.sub("0", line.casefold())).strip()
    if len(norm) < 3:
        return None
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=8).hexdigest()


@dataclass
class _OutletMemory:
    articles: int = 0
    lines: OrderedDict[str, int] = field(default_factory=OrderedDict)


class BoilerplateLearner:
    """Counts, per outlet, how many articles each line appeared in."""

    def __init__(
        self,
        *,
        min_articles: int = 3,
        max_lines: int = 5000,
        max_outlets: int = 1000,
        max_line_chars: int = 400,
    ) -> None:
        self.min_articles = min_articles
        self.max_lines = max_lines
        self.max_outlets = max_outlets
        self.max_line_chars = max_line_chars
        self._outlets: OrderedDict[str, _OutletMemory] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: CleanerSettings) -> BoilerplateLearner:
        return cls(
            min_articles=settings.cleaner_learner_min_articles,
            max_lines=settings.cleaner_learner_max_lines,
            max_outlets=settings.cleaner_learner_max_outlets,
        )

    def observe(self, outlet: str, lines: Iterable[str]) -> None:
        """Record one article's lines (each distinct line counts once per article)."""
        keys: dict[str, None] = {}
        for line in lines:
            if len(line) <= self.max_line_chars:
                key = line_key(line)
                if key is not None:
                    keys[key] = None
        if not keys:
            return
        memory = self._outlets.get(outlet)
        if memory is None:
            memory = self._outlets[outlet] = _OutletMemory()
            while len(self._outlets) > self.max_outlets:
                self._outlets.popitem(last=False)
        else:
            self._outlets.move_to_end(outlet)
        memory.articles += 1
        for key in keys:
            memory.lines[key] = memory.lines.get(key, 0) + 1
            memory.lines.move_to_end(key)
        while len(memory.lines) > self.max_lines:
            memory.lines.popitem(last=False)

    def is_boilerplate(self, outlet: str, line: str) -> bool:
        """True when the line occurred in at least ``min_articles`` earlier articles of the outlet."""
        memory = self._outlets.get(outlet)
        if memory is None or len(line) > self.max_line_chars:
            return False
        key = line_key(line)
        return key is not None and memory.lines.get(key, 0) >= self.min_articles

    def boilerplate_mask(self, outlet: str | None, lines: list[str], max_share: float = 0.5) -> list[bool]:
        """Which lines are learned boilerplate; none when that would be more than ``max_share`` of them.

        A republished or updated story repeats most of its own lines; the cap
        keeps the learner from emptying it (template lines are a minority of
        any real article).
        """
        if not outlet or outlet not in self._outlets:
            return [False] * len(lines)
        mask = [self.is_boilerplate(outlet, line) for line in lines]
        if sum(mask) > max_share * len(lines):
            return [False] * len(lines)
        return mask

    def articles_seen(self, outlet: str) -> int:
        memory = self._outlets.get(outlet)
        return memory.articles if memory else 0

    def to_state(self) -> dict[str, Any]:
        """JSON-able snapshot, oldest entries first so that restoring keeps the eviction order."""
        return {
            "version": STATE_VERSION,
            "min_articles": self.min_articles,
            "max_lines": self.max_lines,
            "max_outlets": self.max_outlets,
            "max_line_chars": self.max_line_chars,
            "outlets": {
                name: {"articles": mem.articles, "lines": dict(mem.lines)} for name, mem in self._outlets.items()
            },
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | None) -> BoilerplateLearner:
        """Rebuild from :meth:`to_state` output; malformed parts are skipped, never fatal."""
        if not isinstance(state, Mapping) or state.get("version") != STATE_VERSION:
            return cls()
        learner = cls(
            min_articles=_positive_int(state.get("min_articles"), 3),
            max_lines=_positive_int(state.get("max_lines"), 5000),
            max_outlets=_positive_int(state.get("max_outlets"), 1000),
            max_line_chars=_positive_int(state.get("max_line_chars"), 400),
        )
        outlets = state.get("outlets")
        if not isinstance(outlets, Mapping):
            return learner
        for name, raw in list(outlets.items())[-learner.max_outlets :]:
            if not isinstance(name, str) or not isinstance(raw, Mapping):
                continue
            lines = raw.get("lines")
            memory = _OutletMemory(articles=_positive_int(raw.get("articles"), 0))
            if isinstance(lines, Mapping):
                for key, count in list(lines.items())[-learner.max_lines :]:
                    if isinstance(key, str) and isinstance(count, int) and count > 0:
                        memory.lines[key] = count
            learner._outlets[name] = memory
        return learner


def _positive_int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default
