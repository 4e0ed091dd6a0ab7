"""A private 3-node KRaft cluster for the cluster fault suite (``deploy/kafka/cluster.sh``), on its own ports.

Node numbers are 1..3 (the brokers' ids). The active controller is read from
each node's ``quorum-state`` file: a KRaft broker's metadata answer names a
random broker as "controller", not the quorum's leader.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import time
from pathlib import Path

from shared.admin import replication_problems, replication_report
from shared.settings import BaseServiceSettings

REPO = Path(__file__).resolve().parents[2]
CLUSTER_SH = REPO / "deploy" / "kafka" / "cluster.sh"
NODES = (1, 2, 3)


class OwnCluster:
    """``cluster.sh`` on ``state_dir`` with broker ports ``ports`` and controller ports ``controller_ports``."""

    def __init__(self, state_dir: Path, ports: list[int], controller_ports: list[int]) -> None:
        self.state_dir = state_dir
        self.ports = ports
        self.controller_ports = controller_ports
        self.env = {
            **os.environ,
            "WIREWATCH_CLUSTER_DIR": str(state_dir),
            "WIREWATCH_CLUSTER_PORTS": " ".join(map(str, ports)),
            "WIREWATCH_CLUSTER_CONTROLLER_PORTS": " ".join(map(str, controller_ports)),
        }

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def ports_taken(self) -> list[int]:
        taken = []
        for port in [*self.ports, *self.controller_ports]:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    taken.append(port)
            except OSError:
                pass
        return taken

    def _call(self, *args: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(CLUSTER_SH), *args],
            check=False,  # _run raises on failure; describe returns it as the answer
            env=self.env,
            timeout=timeout,
            capture_output=True,
            text=True,
        )

    def _run(self, *args: str, timeout: float = 150) -> str:
        done = self._call(*args, timeout=timeout)
        done.check_returncode()
        return done.stdout.strip()

    def up(self) -> None:
        self._run("up")

    def wipe(self) -> None:
        self._run("wipe")

    def start(self, node: int) -> float:
        """Start one node and wait until it serves; returns the seconds it took."""
        started = time.monotonic()
        self._run("start", str(node))
        return time.monotonic() - started

    def stop(self, node: int) -> None:
        """A clean stop (SIGTERM: the broker hands its leaderships over first)."""
        self._run("stop", str(node))

    def kill(self, node: int) -> None:
        """kill -9: no hand-over; the controller fences the node when its heartbeats stop."""
        self._run("kill", str(node))

    def pid(self, node: int) -> int:
        return int(self._run("pid", str(node)))

    def active_controller(self) -> int:
        """The node leading the controller quorum: the highest epoch any node's quorum-state records."""
        best = (-1, -1)
        for node in NODES:
            path = self.state_dir / f"node{node}" / "data" / "__cluster_metadata-0" / "quorum-state"
            try:
                state = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            best = max(best, (int(state.get("leaderEpoch", -1)), int(state.get("leaderId", -1))))
        if best[1] < 0:
            raise RuntimeError("no node records a quorum leader")
        return best[1]

    def describe(self, prefix: str) -> tuple[int, str]:
        """``cluster.sh describe``: replication as Kafka's own Java AdminClient reports it (exit status,
        output); status 0 only when every topic of ``prefix`` has 3 replicas, all in sync."""
        done = self._call("describe", prefix, timeout=120)
        return done.returncode, (done.stdout + done.stderr).strip()

    def leader_of(self, topic: str, partition: int) -> int:
        return asyncio.run(_leader(self.bootstrap, topic, partition))

    def fully_replicated(self, prefix: str) -> bool:
        """Whether every pipeline topic of ``prefix`` has its 3 replicas in sync again."""
        settings = BaseServiceSettings(kafka_bootstrap=self.bootstrap, topic_prefix=prefix, topic_replication=3)
        report = asyncio.run(replication_report(settings, attempts=2))
        return bool(report) and not replication_problems(report, 3)

    def wait_replicated(self, prefix: str, timeout: float = 120) -> float | None:
        """Seconds until every replica is back in sync, or None after ``timeout``."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                if self.fully_replicated(prefix):
                    return time.monotonic() - started
            except Exception:  # noqa: BLE001 - metadata may be unavailable mid-failover: ask again
                pass
            time.sleep(2)
        return None


async def _leader(bootstrap: str, topic: str, partition: int) -> int:
    from aiokafka.admin import AIOKafkaAdminClient  # noqa: PLC0415

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for _ in range(20):
            (described,) = await admin.describe_topics([topic])
            for p in described["partitions"]:
                if p["partition"] == partition and p["leader"] >= 0:
                    return int(p["leader"])
            await asyncio.sleep(0.5)
        raise RuntimeError(f"{topic}:{partition} has no leader")
    finally:
        await admin.close()
