"""Bounded free text: the metadata strings every contract carries are cut to a length and cleaned.

A hostile page or record can put anything in a title: five million characters
(one event then weighs 10 MB in ``/events`` and slows every search), or
control characters (ESC sequences that rewrite a terminal, NUL that PostgreSQL
refuses in ``text``). These types truncate and strip on validation instead of
rejecting, so every message valid before still validates (the published JSON
Schemas do not change) and old messages read back come out clean.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

TITLE_CHARS = 2_000
NAME_CHARS = 500  # author, outlet, site, entity and quantity names
SUMMARY_CHARS = 20_000

#: C0 controls but tab and newline, DEL, and the C1 controls (``\x9b`` is a one-byte CSI to some terminals).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value: str, limit: int) -> str:
    """``value`` without control characters other than newline and tab, at most ``limit`` characters."""
    return CONTROL.sub("", value[: limit * 2])[:limit]  # cut first so the hostile case stays cheap


def _bounded(limit: int) -> AfterValidator:
    return AfterValidator(lambda value: clean_text(value, limit))


Title = Annotated[str, _bounded(TITLE_CHARS)]
Name = Annotated[str, _bounded(NAME_CHARS)]
Summary = Annotated[str, _bounded(SUMMARY_CHARS)]


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` for a terminal: every control character (newline and tab too) shown as ``\\xNN``.

    Stored text keeps newlines and may come from before the contracts cleaned it;
    printed raw, ESC or BEL sequences would clear the screen or retitle the window.
    """
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
