"""One settings vocabulary: WIREWATCH_<NAME> shared, WIREWATCH_<SERVICE>_<NAME> per service, all documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from services.cli import main
from services.configuration import DOC, env_name, own_fields, render, service_settings
from services.fetcher.settings import FetcherSettings
from shared.settings import BaseServiceSettings, StoreSettings


def test_docs_configuration_is_generated_from_the_settings_classes() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m services.cli config-doc"
    assert main(["config-doc", "--check"]) == 0


def test_config_doc_check_fails_on_a_stale_page(tmp_path: Path) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text(render().replace("WIREWATCH_FETCHER_MAX_RETRIES", "WIREWATCH_MAX_RETRIES"))
    assert main(["config-doc", "--check", "--out", str(stale)]) == 1


def test_every_service_has_its_settings_class_in_settings_py() -> None:
    assert {"alerts", "api", "cleaner", "extractor", "fetcher", "sink"} <= set(service_settings())


def test_own_settings_carry_the_service_prefix_and_shared_ones_do_not() -> None:
    for service, classes in service_settings().items():
        for cls in classes:
            for name in cls.model_fields:
                variable = env_name(cls, name)
                if name in own_fields(cls):
                    assert variable.startswith(f"WIREWATCH_{service.upper()}_"), (cls.__name__, variable)
                else:
                    assert variable == f"WIREWATCH_{name.upper()}", (cls.__name__, variable)
                assert f"`{variable}`" in DOC.read_text(encoding="utf-8")


def test_variables_are_read_under_their_one_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_FETCHER_MAX_RETRIES", "7")
    monkeypatch.setenv("WIREWATCH_MAX_RETRIES", "9")  # the old, unprefixed name is not read
    monkeypatch.setenv("WIREWATCH_TOPIC_PREFIX", "env-")
    monkeypatch.setenv("WIREWATCH_FETCHER_TOPIC_PREFIX", "nobody-reads-this-")
    monkeypatch.setenv("WIREWATCH_DATABASE_URL", "sqlite:///elsewhere.db")
    settings = FetcherSettings(_env_file=None)
    assert settings.max_retries == 7 and settings.topic_prefix == "env-"
    assert StoreSettings(_env_file=None).database_url.get_secret_value() == "sqlite:///elsewhere.db"


def test_shared_fields_can_still_be_given_by_name() -> None:
    settings = StoreSettings(_env_file=None, topic_prefix="t-", database_url=SecretStr("sqlite:///x.db"))
    assert settings.topic_prefix == "t-" and settings.database_url.get_secret_value() == "sqlite:///x.db"
    assert BaseServiceSettings(_env_file=None, web_port=7001).web_port == 7001


def test_the_deduplicator_knobs_are_set_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError  # noqa: PLC0415

    from services.deduplicator.settings import DeduplicatorSettings  # noqa: PLC0415
    from services.deduplicator.stage import STAGE  # noqa: PLC0415
    from shared.stage import BuildContext  # noqa: PLC0415

    monkeypatch.setenv("WIREWATCH_DEDUPLICATOR_CONFIG", '{"retention_days": 14, "max_candidates": 9}')
    settings = DeduplicatorSettings()
    assert (settings.deduplicator_config.retention_days, settings.deduplicator_config.max_candidates) == (14, 9)
    step = STAGE.build(settings, BuildContext(state={}, live=False))
    assert step.handle.dedup.config.retention_days == 14  # type: ignore[union-attr]
    # the join threshold is the model's (learned), not a knob: naming it is refused like a typo
    monkeypatch.setenv("WIREWATCH_DEDUPLICATOR_CONFIG", '{"join_threshold": 0.3}')
    with pytest.raises(ValidationError):
        DeduplicatorSettings()
    monkeypatch.setenv("WIREWATCH_DEDUPLICATOR_CONFIG", '{"retention_dayz": 14}')
    with pytest.raises(ValidationError):
        DeduplicatorSettings()  # a misspelt knob fails at start instead of being ignored
