"""Run every wirewatch service as its own process, logs interleaved with the service name.

    python deploy/run_all.py [--replicas extractor=2 ...] [--watch-events]

Ctrl-C (or SIGTERM) stops every service cleanly: each worker gets SIGTERM,
commits its offsets and leaves its consumer group; stragglers are killed
after a grace period. A worker that exits with status 75 asks to be
restarted (its sends kept failing, or it stayed stalled: see
``shared/stall.py``) and is started again, up to 5 times in 10 minutes; any
other exit stops everything. With --watch-events the consolidated events in
the sink are printed whenever they change.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVICES = ["sink", "deduplicator", "extractor", "cleaner", "fetcher", "alerts", "api"]
BASE_WEB_PORT = 6100
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: a worker's "restart me" exit status (EX_TEMPFAIL): shared.errors.EXIT_RESTART (not imported: this
#: supervisor stays free of faust and the pipeline's imports)
EXIT_RESTART = 75


@dataclass
class Worker:
    name: str
    service: str
    port: int
    proc: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)


def health_strip_env(workers: list[Worker]) -> dict[str, str]:
    """Where the API finds each stage's /metrics and the fetcher's health (the first worker of each)."""
    first: dict[str, int] = {}
    for w in workers:
        first.setdefault(w.service, w.port)
    stages = {s: f"http://127.0.0.1:{port}/metrics" for s, port in first.items() if s not in ("api", "fetcher")}
    env = {"WIREWATCH_API_STAGE_METRICS": json.dumps(stages)}
    if "fetcher" in first:
        env["WIREWATCH_API_FETCHER_HEALTH_URL"] = f"http://127.0.0.1:{first['fetcher']}/fetcher/health"
    return env


class StopSignals:
    """SIGINT/SIGTERM as a flag. The handler runs in the main thread between any two bytecodes,
    so it must not take a lock: ``threading.Event.set()`` there deadlocked ``make run`` on Ctrl-C
    (the main thread's own ``Event.wait`` held the event's lock; py-spy showed the handler stuck
    in ``Condition.__enter__``). The supervisor polls the flag instead."""

    def __init__(self) -> None:
        self.received: int | None = None

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        self.received = signum

    def __call__(self) -> bool:
        return self.received is not None


def supervise(
    workers: list[Worker],
    should_stop: Callable[[], bool],
    spawn: Callable[[Worker], None],
    say: Callable[[str], None],
    *,
    restart_limit: int = 5,
    window_s: float = 600.0,
    poll_s: float = 0.5,
) -> None:
    """Watch the workers until ``should_stop()``: restart one that exits with 75, return (to stop
    them all) on any other exit. Polls with ``time.sleep``: no lock that a signal could interrupt."""
    while not should_stop():
        for w in workers:
            rc = None if w.proc is None else w.proc.poll()
            if rc is None:
                continue
            now = time.monotonic()
            w.restarts = [t for t in w.restarts if now - t < window_s]
            if rc == EXIT_RESTART and len(w.restarts) < restart_limit:
                w.restarts.append(now)
                say(
                    f"{w.name} exited with {rc} (restart me); starting it again ({len(w.restarts)} in {window_s:.0f} s)"
                )
                spawn(w)
                continue
            why = f"{len(w.restarts)} restarts in {window_s:.0f} s already" if rc == EXIT_RESTART else "not a restart"
            say(f"{w.name} exited with {rc} ({why}); stopping everything")
            return
        time.sleep(poll_s)


def _pump(name: str, proc: subprocess.Popen[bytes], lock: threading.Lock) -> None:
    assert proc.stdout is not None
    width = max(len(s) for s in SERVICES) + 3
    for raw in iter(proc.stdout.readline, b""):
        line = _ANSI.sub("", raw.decode("utf-8", "replace")).rstrip()
        if not line:
            continue
        with lock:
            sys.stdout.write(f"{name:<{width}}| {line}\n")
            sys.stdout.flush()


def _watch_events(stop: threading.Event, lock: threading.Lock, interval: float) -> None:
    sys.path.insert(0, str(REPO))
    from services.cli import _format_event  # noqa: PLC0415
    from shared.eventstore import EventReader  # noqa: PLC0415
    from shared.settings import StoreSettings  # noqa: PLC0415

    url = StoreSettings().database_url.get_secret_value()
    last: list[tuple[str, int]] = []
    while not stop.wait(interval):
        try:
            store = EventReader(url)
            events = store.events()
            store.close()
        except Exception:  # noqa: BLE001 - the sink may not have created the database yet
            continue
        state = [(e.event_id, e.revision) for e in events]
        if state != last and events:
            last = state
            block = "\n".join(_format_event(e) for e in events)
            with lock:
                sys.stdout.write(f"\n=== consolidated events ({len(events)}) ===\n{block}\n\n")
                sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", nargs="*", default=[], help="service=N, e.g. extractor=2")
    parser.add_argument("--only", nargs="*", default=None, help="run only these services")
    parser.add_argument("--watch-events", action="store_true")
    parser.add_argument("--watch-interval", type=float, default=2.0)
    parser.add_argument("--grace", type=float, default=20.0, help="seconds to wait for a clean stop")
    args = parser.parse_args()
    replicas = {k: int(v) for k, v in (r.split("=", 1) for r in args.replicas)}

    lock = threading.Lock()

    def say(message: str) -> None:
        with lock:
            print(f"run_all | {message}", flush=True)

    def spawn(w: Worker) -> None:
        env = {**os.environ, "WIREWATCH_WEB_PORT": str(w.port), "PYTHONUNBUFFERED": "1"}
        if sys.stdout.isatty():  # a person is watching: readable lines instead of JSON
            env.setdefault("WIREWATCH_LOG_FORMAT", "console")
        w.proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{w.service}"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=_pump, args=(w.name, w.proc, lock), daemon=True).start()

    workers: list[Worker] = []
    for service in args.only or SERVICES:
        n = replicas.get(service, 1)
        for i in range(n):
            name = service if n == 1 else f"{service}-{i + 1}"
            workers.append(Worker(name, service, BASE_WEB_PORT + len(workers)))
    os.environ.update(health_strip_env(workers))  # the API's health strip reads these workers' ports
    for w in workers:
        spawn(w)

    stop = threading.Event()
    if args.watch_events:
        threading.Thread(target=_watch_events, args=(stop, lock, args.watch_interval), daemon=True).start()

    signals = StopSignals()
    signals.install()
    supervise(workers, signals, spawn, say)
    stop.set()  # the event watcher's thread; outside any signal handler

    procs = [w.proc for w in workers if w.proc is not None]
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + args.grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    print("run_all | all services stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
