"""Every setting of every service, from the settings classes: what ``docs/configuration.md`` lists.

The classes are found, not listed: each ``services/<name>/settings.py`` is
imported and every settings class defined there is described (so a service's
new class or field shows up at once; ``tests/unit/test_configuration.py``
fails while the committed page is stale). ``wirewatch config-doc`` writes it.
"""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from shared.settings import BaseServiceSettings, StoreSettings

SERVICES_DIR = Path(__file__).parent
DOC = SERVICES_DIR.parent / "docs" / "configuration.md"
SHARED_CLASSES: tuple[type[BaseServiceSettings], ...] = (BaseServiceSettings, StoreSettings)

HEADER = """# Configuration

Every setting is an environment variable (or a line of `.env` in the working directory).
Shared settings are `WIREWATCH_<NAME>`, whichever service reads them; a service's own
settings are `WIREWATCH_<SERVICE>_<NAME>` and live in `services/<service>/settings.py`.
Secrets (`SecretStr`) are never logged.

This page is generated from the settings classes: `python -m services.cli config-doc`
rewrites it, and a test fails when it is out of date.
"""


def service_settings() -> dict[str, list[type[BaseServiceSettings]]]:
    """Per service (by folder name), the settings classes its ``settings.py`` defines."""
    found: dict[str, list[type[BaseServiceSettings]]] = {}
    for path in sorted(SERVICES_DIR.glob("*/settings.py")):
        module = importlib.import_module(f"services.{path.parent.name}.settings")
        classes = [
            obj
            for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, BaseServiceSettings) and obj.__module__ == module.__name__
        ]
        if classes:
            found[path.parent.name] = classes
    return found


def env_name(cls: type[BaseServiceSettings], name: str) -> str:
    """The variable a field is read from."""
    alias = cls.model_fields[name].validation_alias
    if isinstance(alias, str):
        return alias.upper()
    return (str(cls.model_config.get("env_prefix", "")) + name).upper()


def own_fields(cls: type[BaseServiceSettings]) -> list[str]:
    """Fields a class adds to the shared ones it extends."""
    inherited: set[str] = set()
    for base in cls.__mro__[1:]:
        if base in SHARED_CLASSES:
            inherited |= set(base.model_fields)
    return [name for name in cls.model_fields if name not in inherited]


def _type(annotation: Any) -> str:
    if get_origin(annotation) is not None and get_args(annotation):
        text = str(annotation)
    else:
        text = getattr(annotation, "__name__", str(annotation))
    text = text.replace("typing.", "").replace("pathlib.", "").replace("pydantic.types.", "")
    return text.replace(" | ", " or ")


def _default(field: FieldInfo) -> str:
    value = field.default
    if value is PydanticUndefined and field.default_factory is not None:
        made = field.default_factory()  # type: ignore[call-arg]
        if isinstance(made, BaseModel):
            return "its fields' defaults"
        return f"`{json.dumps(made)}`"
    if value is PydanticUndefined:
        return "(required)"
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        return "(none)"
    if isinstance(value, Path) and value.is_relative_to(SERVICES_DIR.parent):
        # a file shipped in the package: named from the repository root, not this checkout's path
        value = value.relative_to(SERVICES_DIR.parent)
    return f"`{value}`" if str(value) else '`""`'


def _rows(cls: type[BaseServiceSettings], names: list[str]) -> list[str]:
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for name in names:
        field = cls.model_fields[name]
        meaning = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{env_name(cls, name)}` | {_type(field.annotation)} | {_default(field)} | {meaning} |")
    return rows


def render() -> str:
    lines = [
        HEADER,
        "## Shared (every service)",
        "",
        *_rows(BaseServiceSettings, list(BaseServiceSettings.model_fields)),
    ]
    lines += ["", "## The event store (the sink writes it; the API and `wirewatch events` read it)", ""]
    lines += _rows(StoreSettings, own_fields(StoreSettings))
    for service, classes in service_settings().items():
        for cls in classes:
            names = own_fields(cls)
            lines += ["", f"## {service} (`{cls.__module__}.{cls.__name__}`)", ""]
            lines += _rows(cls, names) if names else ["No settings of its own."]
    return "\n".join(lines) + "\n"
