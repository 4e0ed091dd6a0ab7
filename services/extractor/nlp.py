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

import numpy as np
import spacy
from spacy.util import get_package_path
from thinc.api import NumpyOps, get_current_ops, set_current_ops
from threadpoolctl import threadpool_limits

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


class OpenBlasOps(NumpyOps):  # type: ignore[misc]
    """thinc's CPU ops with dense products through numpy's OpenBLAS instead of blis.

    Why: the wheels' blis picks its AVX2 kernel on CPUs it cannot classify (it says so with
    ``BLIS_ARCH_DEBUG=1``), OpenBLAS uses AVX-512 where there is one: the model's matrix
    products (~40 % of its time) run faster, with the same entities (a test checks). OpenBLAS
    is limited to one thread, so one worker uses one core; scale with workers instead.
    """

    name = "wirewatch_openblas"

    def gemm(self, x: Any, y: Any, out: Any = None, trans1: bool = False, trans2: bool = False) -> Any:
        a = x.T if trans1 else x
        b = y.T if trans2 else y
        if out is None:
            return np.matmul(a, b)
        np.matmul(a, b, out=out)
        return out


@lru_cache(maxsize=4)
def load_model(name: str, openblas: bool = True) -> Any:
    """The spaCy pipeline ``name`` (an installed package), restricted to ``USED_COMPONENTS``;
    built on :class:`OpenBlasOps` unless ``openblas`` is False."""
    exclude = [c for c in model_components(name) if c not in USED_COMPONENTS]
    previous = get_current_ops()
    if openblas:
        threadpool_limits(limits=1, user_api="blas")  # process-wide and lasting, on purpose
        set_current_ops(OpenBlasOps())
    try:
        return spacy.load(name, exclude=exclude)
    except OSError as exc:
        raise ConfigError(f"spaCy model {name!r} could not be loaded: {exc}") from exc
    finally:
        set_current_ops(previous)
