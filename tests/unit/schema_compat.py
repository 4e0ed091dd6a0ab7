"""Backward-compatibility checker for the published JSON Schemas, and the snapshot writer.

Within one ``schema_version`` a topic's schema may only grow: a message valid
under the old schema must stay valid under the new one (the compacted
``events`` topic and replays hand new consumers old messages), and no field an
old consumer reads may disappear. So these are breaking:

* a field removed;
* a type narrowed (a type, null, or enum value no longer accepted; a new
  format, pattern or const; a tighter length, size or numeric bound);
* a new required field, or an optional field made required;
* an enum value removed.

Adding optional fields, new enum values, or accepting more types is fine.
A breaking change needs a new ``SCHEMA_VERSION`` (and a new snapshot).

    python -m tests.unit.schema_compat            # snapshot versions that have none yet
    python -m tests.unit.schema_compat --refresh  # re-snapshot after a compatible change
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

Schema = dict[str, Any]

SNAPSHOTS = Path(__file__).resolve().parents[1] / "fixtures" / "schemas"
# Keywords whose larger value accepts less, and whose smaller value accepts less.
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
EXACT = ("format", "pattern", "const", "multipleOf")
JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


def _resolve(node: Schema, root: Schema, seen: frozenset[str] = frozenset()) -> Schema:
    """Follow local ``$ref``s (``#/$defs/Name``); sibling keywords of a ref are merged over it."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
        return node
    target: Any = root
    for part in ref[2:].split("/"):
        target = target.get(part, {}) if isinstance(target, dict) else {}
    merged = {**_resolve(target, root, seen | {ref}), **{k: v for k, v in node.items() if k != "$ref"}}
    return merged


def _branches(node: Schema, root: Schema) -> list[Schema]:
    node = _resolve(node, root)
    for key in ("anyOf", "oneOf"):
        if isinstance(node.get(key), list):
            out: list[Schema] = []
            for branch in node[key]:
                out += _branches(branch, root)
            return out
    return [node]


def _types(node: Schema) -> set[str]:
    """The JSON types a (resolved, single-branch) schema accepts; "any" when unconstrained."""
    declared = node.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    if "enum" in node:
        return {JSON_TYPES.get(type(v), "any") for v in node["enum"]}
    if "const" in node:
        return {JSON_TYPES.get(type(node["const"]), "any")}
    if "properties" in node:
        return {"object"}
    return {"any"}


def _accepts(new: set[str], old_type: str) -> bool:
    return "any" in new or old_type in new or (old_type == "integer" and "number" in new)


def _compare_branch(old: Schema, new: Schema, path: str, roots: tuple[Schema, Schema], seen: set[str]) -> list[str]:
    problems: list[str] = []
    old_types, new_types = _types(old), _types(new)
    lost = sorted(t for t in old_types if not _accepts(new_types, t))
    if lost:
        problems.append(f"{path}: type narrowed, no longer accepts {', '.join(lost)}")
    if "enum" in new:
        removed = [v for v in old.get("enum", []) if v not in new["enum"]]
        if "enum" not in old:
            problems.append(f"{path}: type narrowed to the enum {new['enum']}")
        elif removed:
            problems.append(f"{path}: enum value(s) removed: {removed}")
    for key in LOWER_BOUNDS:
        if key in new and (key not in old or new[key] > old[key]):
            problems.append(f"{path}: type narrowed, {key} {old.get(key)} -> {new[key]}")
    for key in UPPER_BOUNDS:
        if key in new and (key not in old or new[key] < old[key]):
            problems.append(f"{path}: type narrowed, {key} {old.get(key)} -> {new[key]}")
    for key in EXACT:
        if key in new and old.get(key) != new[key]:
            problems.append(f"{path}: type narrowed, {key} {old.get(key)!r} -> {new[key]!r}")
    old_props: Schema = old.get("properties", {})
    new_props: Schema = new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{path}.{name}: field removed")
        else:
            problems += _compare(old_prop, new_props[name], f"{path}.{name}", roots, seen)
    old_required = set(old.get("required", []))
    for name in new.get("required", []):
        if name not in old_required:
            what = "optional field made required" if name in old_props else "new required field"
            problems.append(f"{path}.{name}: {what}")
    if new.get("additionalProperties") is False and old.get("additionalProperties") is not False:
        problems.append(f"{path}: type narrowed, additional properties no longer allowed")
    for key in ("items", "additionalProperties"):
        if isinstance(old.get(key), dict) and isinstance(new.get(key), dict):
            problems += _compare(old[key], new[key], f"{path}[]" if key == "items" else f"{path}{{}}", roots, seen)
    return problems


def _compare(old: Schema, new: Schema, path: str, roots: tuple[Schema, Schema], seen: set[str]) -> list[str]:
    refs = f"{old.get('$ref')}>{new.get('$ref')}"
    if "$ref" in old and refs in seen:  # a recursive model: this pair is already being compared further up
        return []
    seen = seen | {refs}
    problems: list[str] = []
    new_branches = _branches(new, roots[1])
    for old_branch in _branches(old, roots[0]):
        candidates = [b for b in new_branches if any(_accepts(_types(b), t) for t in _types(old_branch))]
        if not candidates:
            problems.append(f"{path}: type narrowed, no longer accepts {sorted(_types(old_branch))}")
            continue
        attempts: list[list[str]] = [_compare_branch(old_branch, b, path, roots, seen) for b in candidates]
        problems += sorted(attempts, key=len)[0]  # the closest new branch
    return problems


def breaking_changes(old: Schema, new: Schema, name: str = "$") -> list[str]:
    """Every backward-incompatible difference from ``old`` to ``new``; empty when compatible."""
    return _compare(old, new, name, (old, new), set())


def current_schemas() -> dict[str, Schema]:
    """The schema of every topic's message, keyed by ``<topic>.v<version>`` (the snapshot file stem)."""
    from shared.contracts import TOPICS  # noqa: PLC0415
    from shared.schemas import schema_of  # noqa: PLC0415

    return {f"{topic}.v{model.SCHEMA_VERSION}": schema_of(topic) for topic, model in TOPICS.items()}


def write_snapshots(directory: Path = SNAPSHOTS, *, refresh: bool = False) -> list[Path]:
    """Write the snapshot of each current schema that has none (all of them with ``refresh``)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, schema in current_schemas().items():
        path = directory / f"{stem}.json"
        if refresh or not path.exists():
            path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--refresh", action="store_true", help="overwrite existing snapshots (compatible changes)")
    args = parser.parse_args()
    if args.refresh:
        problems = [
            p
            for stem, schema in current_schemas().items()
            if (SNAPSHOTS / f"{stem}.json").exists()
            for p in breaking_changes(json.loads((SNAPSHOTS / f"{stem}.json").read_text()), schema, stem)
        ]
        if problems:
            raise SystemExit("refusing to refresh over breaking changes:\n" + "\n".join(problems))
    for path in write_snapshots(refresh=args.refresh):
        print(path)


if __name__ == "__main__":
    main()
