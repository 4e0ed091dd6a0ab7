"""Durable producers (acks=all, idempotent) and the replication check of ``wirewatch topics --check``."""

from __future__ import annotations

from pathlib import Path

from shared.admin import replication_configs, replication_problems
from shared.settings import BaseServiceSettings
from shared.streaming import make_app
from shared.worker import changelogs


def test_every_worker_producer_is_idempotent_with_acks_all(tmp_path: Path) -> None:
    app = make_app("replication-test", BaseServiceSettings(data_dir=tmp_path, topic_replication=3))
    producer = app.producer
    settings = {**producer._settings_default(), **producer._settings_extra()}
    assert settings["enable_idempotence"] is True
    assert settings["acks"] in ("all", -1)
    assert app.conf.topic_replication_factor == 3  # faust's changelog and assignor topics get it too


def test_min_insync_is_two_from_three_replicas() -> None:
    assert replication_configs(3) == {"min.insync.replicas": "2"}
    assert replication_configs(5) == {"min.insync.replicas": "2"}
    assert replication_configs(2) == {} and replication_configs(1) == {}


def test_replication_problems_name_each_shortfall() -> None:
    good = {"partitions": 8, "replicas": 3, "isr": 3, "min_insync": 2}
    assert replication_problems({"t.articles.raw": good}, 3) == []
    problems = replication_problems(
        {
            "t.articles.raw": good | {"isr": 2},
            "t.events": good | {"replicas": 1, "isr": 1},
            "t.alerts": good | {"min_insync": 1},
            "t.wirewatch-sink-__assignor-__leader": good | {"partitions": 0, "replicas": 0, "isr": 0},
        },
        3,
    )
    assert problems == [
        "t.articles.raw: 2 in sync of 3",
        "t.events: 1 replicas, want 3",
        "t.alerts: min.insync.replicas 1, want 2",
        "t.wirewatch-sink-__assignor-__leader: 0 replicas, want 3",
        "t.wirewatch-sink-__assignor-__leader: 0 in sync of 0",
    ]


def test_changelogs_created_up_front_match_each_tables_partitions(tmp_path: Path) -> None:
    app = make_app("changelog-test", BaseServiceSettings(data_dir=tmp_path, topic_partitions=4))
    app.Table("decisions", default=int, partitions=1)
    app.Table("seen", default=int)
    assert changelogs(app) == {
        "wirewatch-changelog-test-decisions-changelog": 1,
        "wirewatch-changelog-test-seen-changelog": 4,
    }
