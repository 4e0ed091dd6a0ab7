"""services.cleaner.settings: limits from the environment."""

from __future__ import annotations

import pytest

from services.cleaner.learner import BoilerplateLearner
from services.cleaner.settings import CleanerSettings


def test_settings_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWATCH_CLEANER_MAX_BYTES", "2048")
    monkeypatch.setenv("WIREWATCH_CLEANER_LEARNER_MIN_ARTICLES", "4")
    settings = CleanerSettings()
    assert settings.limits().max_bytes == 2048
    assert BoilerplateLearner.from_settings(settings).min_articles == 4
