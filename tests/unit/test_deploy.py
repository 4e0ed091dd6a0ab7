"""docker-compose.yml cannot run here (no Docker engine): check it describes the same system."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from shared.contracts import TOPICS

REPO = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (REPO / "services").iterdir() if (p / "__main__.py").exists())


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


def test_every_service_runs_in_compose_against_the_kafka_service() -> None:
    services = _compose()["services"]
    assert {"fetcher", "cleaner", "extractor", "deduplicator", "sink"} <= set(SERVICES)
    for name in SERVICES:
        assert name in services, f"{name} missing from docker-compose.yml"
        spec = services[name]
        assert spec["command"] == ["python", "-m", f"services.{name}"]
        assert spec["environment"]["WIREWATCH_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert spec["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert services["sink"]["volumes"], "the sink needs a volume for its database"


def test_kafka_service_is_a_kraft_single_node_like_make_kafka_up() -> None:
    kafka = _compose()["services"]["kafka"]
    env = kafka["environment"]
    assert kafka["image"].startswith("apache/kafka:3.9")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 1
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == 1
    props = (REPO / "deploy" / "kafka" / "server.properties.in").read_text()
    assert "process.roles=broker,controller" in props
    assert "offsets.topic.replication.factor=1" in props


def test_topics_job_creates_every_contract_topic() -> None:
    services = _compose()["services"]
    assert services["topics"]["command"] == ["python", "-m", "services.cli", "topics"]
    assert set(TOPICS) == {
        "articles.raw",
        "articles.clean",
        "articles.enriched",
        "articles.dedup",
        "events",
        "deadletter",
        "alerts",
    }


def test_makefile_help_lists_the_main_targets() -> None:
    out = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for target in ("run", "test", "kafka-up", "kafka-down", "up", "down", "lint", "typecheck", "install"):
        assert f" {target} " in out.replace("\x1b[1m", " ").replace("\x1b[0m", " ")
