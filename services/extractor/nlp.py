"""Loading the spaCy model once, with only the components the extractor uses.

Why only "ner": on a 4 KB article the tagger and parser cost about as much
as the entity recogniser and we do not need them (key phrases, tense and event
type use lexical rules). Components are *excluded*, not just disabled, so they
are never loaded into memory either.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import spacy
from spacy.util import get_package_path

from shared.errors import ConfigError

#: The components we run; everything else in the package is excluded at load time.
USED_COMPONENTS = ("ner",)


def model_components(name: str) -> list[str]:
    """Pipeline component names declared in an installed model package's meta.json."""
    try:
        root = get_package_path(name)
    except (OSError, ModuleNotFoundError, ValueError) as exc:
        raise ConfigError(f"spaCy model {name!r} is not installed: {exc}") from exc
    for meta in sorted(root.glob("*/meta.json")) + sorted(root.glob("meta.json")):
        with meta.open(encoding="utf-8") as fh:
            data = json.load(fh)
        return [str(c) for c in data.get("pipeline", [])]
    return []


@lru_cache(maxsize=4)
def load_model(name: str) -> Any:
    """The spaCy pipeline ``name`` (an installed package), restricted to ``USED_COMPONENTS``."""
    exclude = [c for c in model_components(name) if c not in USED_COMPONENTS]
    try:
        return spacy.load(name, exclude=exclude)
    except OSError as exc:
        raise ConfigError(f"spaCy model {name!r} could not be loaded: {exc}") from exc
