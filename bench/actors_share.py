"""Share of an event's top-5 actors that are real people, organisations or places.

The sample (``tests/fixtures/actors/ecbplus_dev_top5.json``) is 40 ECB+ dev events drawn at
random (``random.Random(20).shuffle`` of the sorted event ids), each with its top-5 actors as
the sink listed them before and after the actor rule (``shared/actors.py``), and a hand label
per name: 1 when it names a real person, organisation or place (whatever kind the model gave
it), 0 otherwise. The rule was written on the seed articles, never on this sample.

    .venv/bin/python -m bench.actors_share            # the shares from the labelled fixture
    .venv/bin/python -m bench.actors_share EVENTS.jsonl  # the "after" lists of a new replay, same events
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "actors" / "ecbplus_dev_top5.json"


def share(lists: list[list[str]], labels: dict[str, int]) -> tuple[float, int, int, list[str]]:
    """(share of labelled-real names, real, slots, names without a label)."""
    names = [n for top in lists for n in top]
    unlabelled = sorted({n for n in names if n not in labels})
    real = sum(labels.get(n, 0) for n in names)
    return (real / len(names) if names else 0.0), real, len(names), unlabelled


def main(argv: list[str]) -> int:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    labels: dict[str, int] = data["labels"]
    events = data["events"]
    print(f"sample: {len(events)} events, top-5 actors each ({data['how']})")
    for side in ("before", "after"):
        value, real, slots, _ = share([[a["name"] for a in e[side]] for e in events], labels)
        print(f"{side}: {real}/{slots} real = {value:.1%}")
    if argv:
        wanted = {e["event_id"] for e in events}
        lines = Path(argv[0]).read_text(encoding="utf-8").splitlines()
        new = {e["event_id"]: e for e in map(json.loads, lines) if e["event_id"] in wanted}
        lists = [[a["name"] for a in new[e["event_id"]]["actors"][:5]] for e in events if e["event_id"] in new]
        value, real, slots, unlabelled = share(lists, labels)
        print(f"{argv[0]}: {real}/{slots} real = {value:.1%} ({len(lists)} events found)")
        if unlabelled:
            print(f"not labelled (counted as not real; label them to judge): {unlabelled}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
