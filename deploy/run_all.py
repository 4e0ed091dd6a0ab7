"""Run every wirewatch service as its own process, logs interleaved with the service name.

    python deploy/run_all.py [--replicas extractor=2 ...] [--watch-events]

Ctrl-C (or SIGTERM) stops every service cleanly: each worker gets SIGTERM,
commits its offsets and leaves its consumer group; stragglers are killed
after a grace period. With --watch-events the consolidated events in the
sink are printed whenever they change.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVICES = ["sink", "deduplicator", "extractor", "cleaner", "fetcher", "alerts", "api"]
BASE_WEB_PORT = 6100
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


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
    from services.sink.store import EventStore  # noqa: PLC0415
    from shared.settings import SinkSettings  # noqa: PLC0415

    url = SinkSettings().database_url.get_secret_value()
    last: list[tuple[str, int]] = []
    while not stop.wait(interval):
        try:
            store = EventStore(url)
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
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    port = BASE_WEB_PORT
    for service in args.only or SERVICES:
        for i in range(replicas.get(service, 1)):
            name = service if replicas.get(service, 1) == 1 else f"{service}-{i + 1}"
            env = {**os.environ, "WIREWATCH_WEB_PORT": str(port), "PYTHONUNBUFFERED": "1"}
            if sys.stdout.isatty():  # a person is watching: readable lines instead of JSON
                env.setdefault("WIREWATCH_LOG_FORMAT", "console")
            port += 1
            proc = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}"],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            procs.append((name, proc))
            threading.Thread(target=_pump, args=(name, proc, lock), daemon=True).start()

    stop = threading.Event()
    if args.watch_events:
        threading.Thread(target=_watch_events, args=(stop, lock, args.watch_interval), daemon=True).start()

    def _stop(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not stop.is_set():
        for name, proc in procs:
            if proc.poll() is not None:
                with lock:
                    print(f"run_all | {name} exited with {proc.returncode}; stopping everything", flush=True)
                stop.set()
        stop.wait(0.5)

    for _, proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + args.grace
    for _, proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    print("run_all | all services stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
