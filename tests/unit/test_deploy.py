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


def test_every_service_runs_in_compose_against_the_three_brokers() -> None:
    services = _compose()["services"]
    assert {"fetcher", "cleaner", "extractor", "deduplicator", "sink"} <= set(SERVICES)
    brokers = {"kafka-1", "kafka-2", "kafka-3"}
    for name in SERVICES:
        assert name in services, f"{name} missing from docker-compose.yml"
        spec = services[name]
        assert spec["command"] == ["python", "-m", f"services.{name}"]
        assert set(spec["environment"]["WIREWATCH_KAFKA_BOOTSTRAP"].split(",")) == {f"{b}:9092" for b in brokers}
        assert all(spec["depends_on"][b]["condition"] == "service_healthy" for b in brokers)
    assert services["sink"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_single_broker_of_make_kafka_up_stays_a_one_replica_kraft_node() -> None:
    props = (REPO / "deploy" / "kafka" / "server.properties.in").read_text()
    assert "process.roles=broker,controller" in props
    assert "offsets.topic.replication.factor=1" in props
    assert "default.replication.factor=1" in props


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
    targets = ("run", "test", "kafka-up", "kafka-down", "up", "down", "lint", "typecheck", "install")
    for target in (*targets, "cluster-up", "cluster-down", "cluster-check", "test-cluster", "pg-up"):
        assert f" {target} " in out.replace("\x1b[1m", " ").replace("\x1b[0m", " ")
