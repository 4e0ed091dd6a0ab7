"""Interleaved A/B of the cleaner's HTML extraction: this tree's against a git revision's, in one process (issue 16).

Usage: .venv/bin/python -m bench.clean_ab [--before REV] [--rounds N] [--corpus PATH]

On a shared box, separate runs of ``bench/clean_outputs.py --passes`` drift with
the other jobs' load by more than the savings being measured. Here the
``services/cleaner/html_extract.py`` of ``--before`` (read with ``git show``)
and this tree's are swapped into ``clean()`` article by article, alternating
which goes first, over the load generator's seeds (772 ECB+ plain texts, 181
AEB pages as base64 bytes), each side with its own learner. CPU is
``time.process_time`` per ``clean()`` call; per round and input kind the mean
ms per article, and the median over rounds is printed. Plain texts never reach
the HTML extraction, so their two figures measure the method's own noise.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.clean_outputs import articles
from bench.loadgen import CORPUS
from services.cleaner import logic
from services.cleaner.learner import BoilerplateLearner
from shared.errors import RejectedInput

_MODULE = "services/cleaner/html_extract.py"
_SWAPPED = "extract_html"  # the name clean() calls it by in services.cleaner.logic


def module_at(revision: str) -> types.ModuleType:
    """The HTML extraction module as it was at a git revision (its imports resolve to this tree)."""
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(
        ["git", "show", f"{revision}:{_MODULE}"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    module = types.ModuleType(f"html_extract_at_{revision}")
    module.__file__ = f"{revision}:{_MODULE}"
    sys.modules[module.__name__] = module  # dataclasses look their module up by name
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--before", default="main", help="git revision of the 'before' side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    sides: dict[str, Callable[..., Any]] = {
        "before": module_at(args.before).extract_html,
        "after": getattr(logic, _SWAPPED),
    }
    raws = articles(args.corpus)
    per_round: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.rounds):
        learners = {side: BoilerplateLearner() for side in sides}
        spent: dict[tuple[str, str], float] = {}
        counts: dict[tuple[str, str], int] = {}
        for index, raw in enumerate(raws):
            order = list(sides) if (index + round_) % 2 == 0 else list(reversed(sides))
            for side in order:
                setattr(logic, _SWAPPED, sides[side])
                start = time.process_time()
                with contextlib.suppress(RejectedInput):  # rejected pages cost CPU too
                    logic.clean(raw, learners[side])
                key = (str(raw.content_type), side)
                spent[key] = spent.get(key, 0.0) + time.process_time() - start
                counts[key] = counts.get(key, 0) + 1
        for key, seconds in spent.items():
            per_round.setdefault(key, []).append(1000 * seconds / counts[key])
    setattr(logic, _SWAPPED, sides["after"])
    figures: dict[str, dict[str, float]] = {}
    for (kind, side), values in sorted(per_round.items()):
        figures.setdefault(kind, {})[side] = round(statistics.median(values), 2)
        print(f"{kind:10} {side:6} median {statistics.median(values):7.2f} ms  rounds {[round(v, 2) for v in values]}")
    summary = {"before": args.before, "rounds": args.rounds, "ms_per_article": figures}
    print(json.dumps({**summary, "loadavg": [round(x, 2) for x in os.getloadavg()]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
