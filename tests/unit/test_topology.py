"""docker-compose.yml and deploy/k8s describe the same cluster as the Makefile and cluster.sh.

The local cluster's facts live in deploy/kafka/cluster.properties.in (replication settings),
deploy/kafka/cluster.sh (three nodes, their default ports) and the Makefile's ``cluster-run``
(services' replicas, the replication factor given to the services); compose must agree with them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.run_all import SERVICES

REPO = Path(__file__).resolve().parents[2]
COMPOSE_KEYS = {"version", "name", "services", "networks", "volumes", "configs", "secrets"}
SERVICE_KEYS = {
    "image", "build", "command", "entrypoint", "environment", "env_file", "depends_on", "ports", "volumes",
    "restart", "healthcheck", "deploy", "networks", "labels", "user", "working_dir", "expose",
}  # fmt: skip
#: broker settings that decide what replication means; compose spells them KAFKA_<NAME_WITH_UNDERSCORES>
REPLICATION = (
    "default.replication.factor",
    "min.insync.replicas",
    "unclean.leader.election.enable",
    "offsets.topic.replication.factor",
    "transaction.state.log.replication.factor",
    "transaction.state.log.min.isr",
    "process.roles",
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(doc, dict)
    return doc


def properties() -> dict[str, str]:
    text = (REPO / "deploy" / "kafka" / "cluster.properties.in").read_text()
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def brokers(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose["services"].items() if str(s.get("image", "")).startswith("apache/kafka")}


def workers(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Services running ``python -m services.<name>`` (not the one-shot ``topics`` job)."""
    out = {}
    for s in compose["services"].values():
        command = s.get("command") or []
        if len(command) == 3 and command[:2] == ["python", "-m"] and re.fullmatch(r"services\.\w+", command[2]):
            out[command[2].removeprefix("services.")] = s
    return out


def makefile_replicas() -> dict[str, int]:
    text = (REPO / "Makefile").read_text()
    recipe = text[text.index("\ncluster-run:") :].split("\n\n", 1)[0]
    return {k: int(v) for k, v in re.findall(r"\b(\w+)=(\d+)\b", recipe.split("--replicas", 1)[1])}


def test_compose_is_valid_compose_yaml(compose: dict[str, Any]) -> None:
    assert {k for k in compose if not k.startswith("x-")} <= COMPOSE_KEYS
    names = set(compose["services"])
    for name, service in compose["services"].items():
        assert set(service) <= SERVICE_KEYS, f"{name}: unknown keys {set(service) - SERVICE_KEYS}"
        assert "image" in service or "build" in service, name
        deps = service.get("depends_on", {})
        assert set(deps) <= names, f"{name} depends on unknown services {set(deps) - names}"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith((".", "/")) or source in (compose.get("volumes") or {}), f"{name}: {volume}"
        env = service.get("environment", {})
        assert isinstance(env, dict) and all(isinstance(v, str | int) for v in env.values()), name


def test_compose_has_the_clusters_three_brokers_and_quorum(compose: dict[str, Any]) -> None:
    script = (REPO / "deploy" / "kafka" / "cluster.sh").read_text()
    default_ports = re.search(r"WIREWATCH_CLUSTER_PORTS:-([\d ]+)\}", script)
    assert default_ports is not None
    nodes = len(default_ports.group(1).split())
    found = brokers(compose)
    assert len(found) == nodes == 3
    ids = sorted(int(s["environment"]["KAFKA_NODE_ID"]) for s in found.values())
    assert ids == [1, 2, 3]
    for s in found.values():
        voters = s["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
        assert sorted(v.split("@")[0] for v in voters) == ["1", "2", "3"]


def test_compose_brokers_replicate_as_the_local_cluster_does(compose: dict[str, Any]) -> None:
    props = properties()
    assert props["default.replication.factor"] == "3" and props["min.insync.replicas"] == "2"
    assert props["unclean.leader.election.enable"] == "false"
    for name, s in brokers(compose).items():
        env = s["environment"]
        for key in REPLICATION:
            assert str(env["KAFKA_" + key.upper().replace(".", "_")]) == props[key], f"{name}: {key}"


def test_compose_runs_every_service_with_the_makefiles_replicas(compose: dict[str, Any]) -> None:
    found = workers(compose)
    assert set(found) == set(SERVICES)
    replicas = {name: int(s.get("deploy", {}).get("replicas", 1)) for name, s in found.items()}
    assert replicas == {name: makefile_replicas().get(name, 1) for name in SERVICES}
    assert replicas["deduplicator"] == 2 and replicas["sink"] == 2


def test_services_get_three_replicas_and_every_broker(compose: dict[str, Any]) -> None:
    assert "WIREWATCH_TOPIC_REPLICATION=3" in (REPO / "Makefile").read_text()
    for name, s in [*workers(compose).items(), ("topics", compose["services"]["topics"])]:
        env = s["environment"]
        assert env["WIREWATCH_TOPIC_REPLICATION"] == "3", name
        assert sorted(env["WIREWATCH_KAFKA_BOOTSTRAP"].split(",")) == sorted(f"{b}:9092" for b in brokers(compose))
        assert env["WIREWATCH_DATABASE_URL"].startswith("postgresql://"), name
    assert compose["services"]["postgres"]["image"].startswith("postgres:")


def k8s(kind: str) -> dict[str, dict[str, Any]]:
    """The example Kubernetes manifests of ``kind`` by name."""
    out = {}
    for path in sorted((REPO / "deploy" / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == kind:
                out[doc["metadata"]["name"]] = doc
    return out


def test_k8s_manifests_match_the_pipeline() -> None:
    import importlib  # noqa: PLC0415

    from shared.contracts import ASSIGN_TOPIC, INTERNAL_TOPICS, TOPICS  # noqa: PLC0415

    deployments = k8s("Deployment")
    assert set(deployments) == set(SERVICES)
    assert deployments["deduplicator"]["spec"]["replicas"] == 2
    topics = k8s("KafkaTopic")
    assert set(topics) == set(TOPICS) | set(INTERNAL_TOPICS)
    assert topics[ASSIGN_TOPIC]["spec"]["partitions"] == 1
    assert all(t["spec"]["replicas"] == 3 and t["spec"]["config"]["min.insync.replicas"] == 2 for t in topics.values())
    (kafka,) = k8s("Kafka").values()
    props = properties()
    for key in REPLICATION[:-1]:
        assert str(kafka["spec"]["kafka"]["config"][key]).lower() == props[key], key
    (pool,) = k8s("KafkaNodePool").values()
    assert pool["spec"]["replicas"] == 3 and set(pool["spec"]["roles"]) == {"broker", "controller"}
    assert k8s("ConfigMap")["wirewatch"]["data"]["WIREWATCH_TOPIC_REPLICATION"] == "3"
    scaled = k8s("ScaledObject")
    assert "deduplicator" not in scaled  # one assignment partition: more workers add no throughput
    for name, obj in scaled.items():
        trigger = obj["spec"]["triggers"][0]["metadata"]
        source = importlib.import_module(f"services.{name}.stage").STAGE.source.TOPIC
        assert trigger["consumerGroup"] == f"wirewatch-{name}" and trigger["topic"] == source, name
        assert obj["spec"]["maxReplicaCount"] <= topics[source]["spec"]["partitions"], name
