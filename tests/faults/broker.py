"""A second, private Kafka broker for the fault suite, so that restarting it disturbs nobody else.

It runs ``deploy/kafka/kafka.sh`` with its own state directory and ports; the
shared broker on 9092 is never touched.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KAFKA_SH = REPO / "deploy" / "kafka" / "kafka.sh"


class OwnBroker:
    """``kafka.sh up|down`` on ``state_dir`` with a port pair other than the shared broker's."""

    def __init__(self, state_dir: Path, port: int = 19092, controller_port: int = 19093) -> None:
        self.state_dir = state_dir
        self.port = port
        self.env = {
            **os.environ,
            "WIREWATCH_KAFKA_DIR": str(state_dir),
            "WIREWATCH_KAFKA_PORT": str(port),
            "WIREWATCH_KAFKA_CONTROLLER_PORT": str(controller_port),
        }

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def port_taken(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def _run(self, command: str, timeout: float) -> None:
        subprocess.run(["bash", str(KAFKA_SH), command], env=self.env, check=True, timeout=timeout)

    def up(self) -> float:
        """Start (or restart) the broker; returns the seconds it took to answer."""
        started = time.monotonic()
        self._run("up", timeout=120)
        return time.monotonic() - started

    @property
    def pid(self) -> int:
        return int((self.state_dir / "kafka.pid").read_text().strip())

    def kill(self) -> None:
        """kill -9 the broker process (an unclean stop: the next start recovers its logs)."""
        pid = self.pid
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)

    def down(self) -> None:
        self._run("down", timeout=60)

    def wipe(self) -> None:
        self._run("wipe", timeout=60)
