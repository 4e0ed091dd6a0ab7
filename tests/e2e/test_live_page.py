"""The live events page in headless Chromium, over the real pipeline and the API.

The page shows the seed articles as two events with their sources, actors,
date and status; a new article dropped into the watched folder then appears on
the page without a reload. Skipped, with the reason, where Chromium cannot be
installed (deploy/chromium.sh) or selenium is missing.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.harness import (
    DEC,
    FEB,
    REPO,
    SEEDS,
    Pipeline,
    copy_samples,
    free_port,
    groups,
    require_broker,
    wait_for_api,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NEW = "005_wire_copy"
PAGE_GROUPS = """return Array.from(document.querySelectorAll('article[data-event-id]')).map(
  (a) => Array.from(a.querySelectorAll('li[data-article-id]')).map((li) => li.dataset.articleId));"""
PAGE_FIELDS = """return Array.from(document.querySelectorAll('article[data-event-id]')).map((a) => ({
  title: a.querySelector('.title').textContent, date: a.querySelector('.date').textContent,
  status: a.querySelector('.status').textContent, actors: a.querySelector('.actors').textContent}));"""


def chromium() -> tuple[str, str]:
    """(browser, driver) paths, or skip with the reason."""
    if importlib.util.find_spec("selenium") is None:
        pytest.skip("selenium is not installed (.venv/bin/pip install selenium)")
    try:
        done = subprocess.run(
            [str(REPO / "deploy" / "chromium.sh")], capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot install headless Chromium: {exc}")
    if done.returncode != 0:
        pytest.skip(f"headless Chromium unavailable: {done.stderr.strip()[-400:]}")
    browser, driver = done.stdout.split()[-2:]
    return browser, driver


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver  # noqa: PLC0415 - optional dependency, checked in chromium()
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    binary, driver_path = chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1200,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pipeline, str]]:
    require_broker()
    work = tmp_path_factory.mktemp("live")
    p = Pipeline(work, copy_samples(SEEDS, work / "inbox"))
    port = free_port()
    log = (work / "api.log").open("wb")
    api = subprocess.Popen(
        [sys.executable, "-m", "services.api"],
        cwd=REPO,
        env={**p.env, "WIREWATCH_API_PORT": str(port), "WIREWATCH_API_POLL_INTERVAL_S": "0.5"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        p.create_topics()
        p.start_all()
        wait_for_api(base, work / "api.log")
        yield p, base
    finally:
        api.terminate()
        api.wait(timeout=30)
        log.close()
        p.stop_all()
        p.delete_topics()


def settled(p: Pipeline, has: set[str], timeout: float = 300) -> list[set[str]]:
    """The store's event groups once it holds these articles and stopped changing for a few seconds."""
    p.wait_for(f"the sink to hold {sorted(has)}", lambda: has <= set().union(*groups(p.events())), timeout)
    last, since = groups(p.events()), time.monotonic()
    while time.monotonic() - since < 5:
        time.sleep(1)
        if (now := groups(p.events())) != last:
            last, since = now, time.monotonic()
    return last


def groups_on(driver: Any) -> list[set[str]]:
    return [set(ids) for ids in driver.execute_script(PAGE_GROUPS)]


def page_shows(p: Pipeline, driver: Any, want: list[set[str]], timeout: float = 30) -> None:
    """Wait until the page lists exactly these event groups (a live update: the page is never reloaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sorted(map(sorted, groups_on(driver))) == sorted(map(sorted, want)):
            return
        time.sleep(0.5)
    raise AssertionError(f"after {timeout}s the page shows {groups_on(driver)}, the store {want}\n{p.tail()}")


def test_page_shows_events_and_updates_without_reload(site: tuple[Pipeline, str], browser: Any) -> None:
    p, base = site
    browser.get(base + "/")
    browser.execute_script("window.__sameDocument = 'yes'")  # gone if the page reloads
    stored = settled(p, FEB | DEC)
    page_shows(p, browser, stored)
    assert sorted(map(sorted, stored)) == sorted([sorted(FEB), sorted(DEC)]), f"the pipeline grouped the seeds {stored}"
    shown = browser.execute_script(PAGE_FIELDS)
    assert any(f["date"].startswith("2022-02-12") for f in shown)  # the February call's date
    for fields in shown:
        assert fields["title"].strip() and fields["title"] != "(untitled event)"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}( \(\w+\))?|date unknown", fields["date"]), fields
        assert fields["status"] in {"reported", "announced", "unknown"}
        assert "Putin" in fields["actors"]

    text = (SEEDS / "003_f28817352efe0b87.txt").read_text()
    (p.watch_dir / f"{NEW}.txt").write_text(text.replace("Just Earth News", "Wire copy"))
    stored = settled(p, FEB | DEC | {NEW})
    page_shows(p, browser, stored)
    assert browser.execute_script("return window.__sameDocument") == "yes"
    first = groups_on(browser)[0]
    assert NEW in first  # the event that just changed is listed first
