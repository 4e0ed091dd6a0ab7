"""Start the real services against the real broker, each in its own process, isolated by a topic prefix."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest

from shared.contracts import EventUpdate
from shared.errors import StoreNotReady
from shared.eventstore import EventReader

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("sink", "deduplicator", "extractor", "cleaner", "fetcher")
#: the five seed articles and the two events they describe (a call on 2022-02-12, one on 2021-12-30)
SEEDS = REPO / "deploy" / "samples"
FEB = {"000_7f11475e37a074b1", "001_49524e8554e2d548", "003_f28817352efe0b87"}
DEC = {"002_73ca37d0c5ce4629", "004_c370c7b379c2e6df"}
BOOTSTRAP = os.environ.get("WIREWATCH_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it), for a worker's web server.

    Ports derived from the pid could land on the broker's own (9092).
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_api(base: str, log: Path, timeout_s: float = 60.0) -> None:
    """Until the API at ``base`` answers ``/healthz`` with 200; its log's tail in the failure otherwise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the API did not start: {log.read_text()[-2000:]}")


def broker_available() -> bool:
    host, port = BOOTSTRAP.split(",")[0].rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def require_broker() -> None:
    if broker_available():
        return
    message = f"Kafka is not reachable at {BOOTSTRAP}: run `make kafka-up` (make test does)"
    if os.environ.get("WIREWATCH_REQUIRE_KAFKA") == "1":
        pytest.fail(message)
    pytest.skip(message)


class Pipeline:
    """Every service as a subprocess with its own log file; one prefix isolates topics and groups."""

    def __init__(self, workdir: Path, watch_dir: Path, partitions: int = 2, bootstrap: str | None = None) -> None:
        self.workdir = workdir
        self.bootstrap = bootstrap or BOOTSTRAP
        self.watch_dir = watch_dir
        self.prefix = f"t{uuid.uuid4().hex[:8]}."
        self.db_url = f"sqlite:///{workdir}/events.db"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, IO[bytes]] = {}
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "WIREWATCH_KAFKA_BOOTSTRAP": self.bootstrap,
            "WIREWATCH_TOPIC_PREFIX": self.prefix,
            "WIREWATCH_TOPIC_PARTITIONS": str(partitions),
            "WIREWATCH_DATABASE_URL": self.db_url,
            "WIREWATCH_DATA_DIR": str(workdir / "var"),
            "WIREWATCH_FETCHER_WATCH_DIR": str(watch_dir),
            "WIREWATCH_FETCHER_POLL_INTERVAL": "1",
            "WIREWATCH_LOG_FORMAT": "json",
            "WIREWATCH_STALL_AFTER_S": "20",
        }
        #: web port (metrics, health) of every worker started, by name
        self.ports: dict[str, int] = {}

    def create_topics(self) -> None:
        subprocess.run([sys.executable, "-m", "services.cli", "topics"], cwd=REPO, env=self.env, check=True, timeout=60)

    def start(self, service: str, name: str | None = None, module: str | None = None) -> None:
        """Start one worker of ``service`` (``module``: another entry point, given the service name)."""
        name = name or service
        port = free_port()
        while port in self.ports.values():  # the OS may offer a port a worker of ours has not bound yet
            port = free_port()
        log = (self.workdir / f"{name}.log").open("ab")
        self.logs[name] = log
        self.ports[name] = port
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", module, service] if module else [sys.executable, "-m", f"services.{service}"],
            cwd=REPO,
            env={**self.env, "WIREWATCH_WEB_PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_all(self) -> None:
        for service in SERVICES:
            self.start(service)

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)
        for log in self.logs.values():
            log.close()

    def alive(self) -> dict[str, int | None]:
        return {name: p.poll() for name, p in self.procs.items()}

    def events(self) -> list[EventUpdate]:
        if not Path(self.db_url.removeprefix("sqlite:///")).exists():
            return []
        store = EventReader(self.db_url)
        try:
            return store.events()
        except StoreNotReady:  # the sink has created the file but not yet its tables
            return []
        finally:
            store.close()

    def article_rows(self) -> list[tuple[str, str]]:
        store = EventReader(self.db_url)
        try:
            return [tuple(r) for r in store.execute("SELECT article_id, event_id FROM articles").fetchall()]
        finally:
            store.close()

    def wait_for(self, what: str, predicate: Callable[[], bool], timeout: float = 150) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            dead = {n: rc for n, rc in self.alive().items() if rc is not None}
            if dead:
                raise AssertionError(f"services died while waiting for {what}: {dead}\n{self.tail()}")
            time.sleep(1)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{self.stalls()}{self.tail()}")

    def log_events(self, name: str, event: str) -> list[str]:
        """The lines of a worker's log that record ``event``."""
        text = (self.workdir / f"{name}.log").read_text(errors="replace")
        return [line for line in text.splitlines() if f'"event": "{event}"' in line]

    def stalls(self) -> str:
        """Every worker's ``consumer_stalled`` reports (shared/stall.py), for a timeout's message."""
        out = []
        for name in self.logs:
            lines = (self.workdir / f"{name}.log").read_text(errors="replace").splitlines()
            out += [f"{name}: {line}" for line in lines if "consumer_stall" in line]
        return "--- stalls\n" + "\n".join(out) + "\n" if out else ""

    def tail(self, lines: int = 15) -> str:
        out = []
        for name in self.logs:
            text = (self.workdir / f"{name}.log").read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {name}\n" + "\n".join(text))
        return "\n".join(out)

    def delete_topics(self) -> None:
        asyncio.run(_delete_prefixed(self.prefix, self.bootstrap))


async def _delete_prefixed(prefix: str, bootstrap: str = BOOTSTRAP) -> None:
    from aiokafka.admin import AIOKafkaAdminClient  # noqa: PLC0415

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


def groups(events: list[EventUpdate]) -> list[set[str]]:
    return sorted(({s.article_id for s in e.sources} for e in events), key=sorted)


def two_seed_events(p: Pipeline) -> bool:
    """Whether the sink holds exactly the seeds' two events, {000, 001, 003} and {002, 004}."""
    return groups(p.events()) == sorted([FEB, DEC], key=sorted)


@contextmanager
def fresh_pipeline(tmp_path_factory: pytest.TempPathFactory, name: str, **env: str) -> Iterator[Pipeline]:
    """A pipeline with its own topics and an empty inbox, nothing started; stopped and deleted afterwards."""
    require_broker()
    work = tmp_path_factory.mktemp(name)
    (work / "inbox").mkdir()
    p = Pipeline(work, work / "inbox")
    p.env.update(env)
    p.create_topics()
    try:
        yield p
    finally:
        p.stop_all()
        p.delete_topics()


def copy_samples(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.glob("*.txt")):
        shutil.copy(f, dst / f.name)
    return dst
