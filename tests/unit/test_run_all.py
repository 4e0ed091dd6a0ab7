"""deploy/run_all.py's supervision: a worker exiting with 75 is started again, within a limit."""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def _run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_all", REPO / "deploy" / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_all"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


run_all = _run_all()


def _supervise(exit_codes: list[int], restart_limit: int = 3) -> tuple[list[str], int]:
    """Supervise one worker whose successive runs exit with ``exit_codes`` (the last one repeats)."""
    codes = iter(exit_codes)
    last = exit_codes[-1]
    spawned = 0
    said: list[str] = []
    stop = threading.Event()

    def spawn(w: object) -> None:
        nonlocal spawned
        spawned += 1
        code = next(codes, last)
        w.proc = subprocess.Popen([sys.executable, "-c", f"raise SystemExit({code})"])  # type: ignore[attr-defined]

    worker = run_all.Worker("extractor", "extractor", 0)
    spawn(worker)
    timer = threading.Timer(30, stop.set)  # a safety net: the test fails on the assertion, not by hanging
    timer.start()
    try:
        run_all.supervise([worker], stop.is_set, spawn, said.append, restart_limit=restart_limit, poll_s=0.05)
    finally:
        timer.cancel()
    return said, spawned


def test_a_restart_request_is_honoured_up_to_the_limit_then_everything_stops() -> None:
    said, spawned = _supervise([75], restart_limit=3)
    assert spawned == 4  # the first run and 3 restarts
    assert sum("starting it again" in s for s in said) == 3
    assert "stopping everything" in said[-1] and "3 restarts" in said[-1]


def test_any_other_exit_stops_everything_at_once() -> None:
    said, spawned = _supervise([75, 1])
    assert spawned == 2
    assert said[-1] == "extractor exited with 1 (not a restart); stopping everything"


def test_the_supervisor_restarts_on_the_status_the_workers_exit_with() -> None:
    from shared.errors import EXIT_RESTART  # noqa: PLC0415

    assert run_all.EXIT_RESTART == EXIT_RESTART


_SIGNAL_SCRIPT = """
import os, signal, sys, threading, time
sys.path.insert(0, {deploy!r})
import run_all
signals = run_all.StopSignals()
signals.install()
busy = threading.Event()  # another thread using an Event, as the event watcher does
threading.Thread(target=lambda: [busy.wait(0.0005) for _ in iter(int, 1)], daemon=True).start()
def kick():
    time.sleep(0.05)
    for _ in range(200):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.0002)
threading.Thread(target=kick, daemon=True).start()
run_all.supervise([], signals, lambda w: None, print, poll_s=0.0005)
print("stopped", signals.received)
"""


def test_stop_signals_end_supervision_without_taking_a_lock_in_the_handler() -> None:
    """Ctrl-C in ``make run`` once hung for good: its handler called ``Event.set()``. That race
    could not be reproduced on demand; this checks the path that replaced it: bursts of SIGINT
    while the supervisor polls end it promptly, every time."""
    script = _SIGNAL_SCRIPT.format(deploy=str(REPO / "deploy"))
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=20, check=True)
        assert out.stdout.strip().endswith(f"stopped {int(signal.SIGINT)}")
    handler = run_all.StopSignals()
    assert not handler()
    handler._handle(signal.SIGTERM, None)
    assert handler() and handler.received == signal.SIGTERM


def test_the_api_is_told_where_each_stage_and_the_fetcher_serve() -> None:
    mod = _run_all()
    workers = [
        mod.Worker(n, s, p)
        for n, s, p in [
            ("sink", "sink", 6100),
            ("cleaner-1", "cleaner", 6101),
            ("cleaner-2", "cleaner", 6102),
            ("fetcher", "fetcher", 6103),
            ("api", "api", 6104),
        ]
    ]
    env = mod.health_strip_env(workers)
    assert json.loads(env["WIREWATCH_API_STAGE_METRICS"]) == {
        "sink": "http://127.0.0.1:6100/metrics",
        "cleaner": "http://127.0.0.1:6101/metrics",
    }
    assert env["WIREWATCH_API_FETCHER_HEALTH_URL"] == "http://127.0.0.1:6103/fetcher/health"
