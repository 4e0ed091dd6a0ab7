"""The import graph: services never import each other; only the CLI and replay reach the stages.

A service's package (``services/<name>/``) may import ``shared`` and itself.
The top-level modules ``services/cli.py`` and ``services/replay.py`` reach a
stage only through its declaration (``services.<name>.stage``); the CLI also
calls the fetcher's command-line helpers. Nothing in ``shared`` imports a service.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").is_file())
#: What the top-level service modules may import from a service package.
ENTRY_POINTS = {
    # the CLI also calls the fetcher's command-line helpers and the deduplicator's trainer (tools, not stages)
    "services/cli.py": {"services.replay", "services.fetcher.cli", "services.deduplicator.training"},
    "services/replay.py": {f"services.{name}.stage" for name in SERVICES},
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "services")
    return found


def _service_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "services" and parts[1] in SERVICES else None


def test_the_walk_sees_every_service() -> None:
    assert {"cleaner", "extractor", "deduplicator", "sink", "alerts", "api", "fetcher"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    for path in sorted((ROOT / "services" / service).rglob("*.py")):
        others = {m for m in _imports(path) if _service_of(m) not in (None, service)}
        assert not others, f"{path.relative_to(ROOT)} imports {sorted(others)}"
        assert not _imports(path) & {"services.replay", "services.cli"}


def test_only_the_cli_and_replay_reach_the_stages_through_their_declarations() -> None:
    for path in sorted((ROOT / "services").glob("*.py")):
        rel = str(path.relative_to(ROOT))
        reached = {m for m in _imports(path) if _service_of(m) is not None or m == "services.replay"}
        allowed = ENTRY_POINTS.get(rel, set())
        assert reached <= allowed, f"{rel} imports {sorted(reached - allowed)}"


def test_shared_imports_no_service() -> None:
    for path in sorted((ROOT / "shared").rglob("*.py")):
        assert not any(m.startswith("services") for m in _imports(path)), path.relative_to(ROOT)


def test_replay_runs_the_pipeline_stages_from_their_declarations() -> None:
    from services.replay import PIPELINE  # noqa: PLC0415

    assert [stage.name for stage in PIPELINE.values()] == ["cleaner", "extractor", "deduplicator", "sink"]
