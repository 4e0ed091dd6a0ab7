"""The monitoring page in headless Chromium over back-filled stores (``replay --database``), no Kafka.

Stores: the seeds, ECB+ dev (772 articles, from ``../shared/corpus``; skipped when absent) and
10,000 synthetic events. Checks: search and filters narrow the list to exactly what the API
answers and survive a reload; the event page shows the timeline and every source; a new
article back-filled into the open page's store appears without a reload; axe-core finds no
serious or critical violation. Prints the list's render time with 10,000 events (not asserted)
and saves screenshots into ``var/screenshots/`` (``WIREWATCH_SCREENSHOTS=docs/screenshots`` refreshes
the README's copies; a test run leaves tracked files alone).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from shared.eventstore import EventReader, EventWriter
from tests.e2e.harness import FEB, REPO, SEEDS, free_port, wait_for_api
from tests.e2e.test_live_page import browser  # noqa: F401 - the shared headless Chromium fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # end to end (CLI, API, browser); no broker needed

ECB_DEV = REPO.parent / "shared" / "corpus" / "ecbplus" / "dev.jsonl"
SHOTS = REPO / os.environ.get("WIREWATCH_SCREENSHOTS", "var/screenshots")
LIST_IDS = "return Array.from(document.querySelectorAll('article.event')).map((a) => a.dataset.eventId);"
SERIOUS = {"serious", "critical"}


def backfill(url: str, *paths: Path) -> None:
    """``wirewatch replay PATHS --until events --database URL``, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "replay", *map(str, paths), "--until", "events", "--database", url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode in (0, 3), done.stderr[-2000:]  # 3: some inputs were dead letters


@contextmanager
def serve(url: str, work: Path) -> Iterator[str]:
    port = free_port()
    log = (work / f"api-{port}.log").open("wb")
    env = {**os.environ, "WIREWATCH_DATABASE_URL": url, "WIREWATCH_API_PORT": str(port)}
    api = subprocess.Popen(
        [sys.executable, "-m", "services.api"],
        cwd=REPO,
        env={**env, "WIREWATCH_API_POLL_INTERVAL_S": "0.5"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_api(base, work / f"api-{port}.log")
        yield base
    finally:
        api.terminate()  # an open page's change stream can hold a graceful shutdown: cut it short
        try:
            api.wait(timeout=10)
        except subprocess.TimeoutExpired:
            api.kill()
            api.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("monitor")


@pytest.fixture(scope="module")
def seeds(work: Path) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{work / 'seeds.db'}"
    backfill(url, SEEDS)
    with serve(url, work) as base:
        yield url, base


@pytest.fixture(scope="module")
def ecb(work: Path) -> Iterator[str]:
    if not ECB_DEV.is_file():
        pytest.skip(f"{ECB_DEV} is not there")
    url = f"sqlite:///{work / 'ecb.db'}"
    backfill(url, ECB_DEV)
    with serve(url, work) as base:
        yield base


def loaded(driver: Any, after: str | None = None, timeout: float = 20) -> str:
    """Wait until the page rendered (again, when ``after`` is the previous render's stamp)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stamp = driver.execute_script("return document.body.dataset.loaded || null")
        if stamp and stamp != after:
            return str(stamp)
        time.sleep(0.1)
    raise AssertionError("the page did not render")


def api_ids(base: str, **params: Any) -> list[str]:
    page = httpx.get(f"{base}/events", params={"limit": 50, **params}, timeout=10).json()
    return [e["event_id"] for e in page["items"]]


def search(driver: Any, **fields: str) -> None:
    """Fill the filter form as a user does (typed text; dates set as the date picker does) and submit."""
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    before = loaded(driver)
    driver.find_element(By.ID, "clear").click()
    before = loaded(driver, before)
    for name, value in fields.items():
        box = driver.find_element(By.NAME, name)
        if box.get_attribute("type") == "date":
            driver.execute_script("arguments[0].value = arguments[1]", box, value)
        else:
            box.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    loaded(driver, before)


def test_search_and_filters_narrow_the_list_and_survive_a_reload(ecb: str, browser: Any) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    browser.get(ecb + "/")
    loaded(browser)
    everything = browser.execute_script(LIST_IDS)
    assert everything == api_ids(ecb) and len(everything) == 50
    first = httpx.get(f"{ecb}/events", params={"limit": 200}, timeout=10).json()["items"]
    dated = next(e for e in first if e["event_date"])
    actor = next(e for e in first if e["actors"])["actors"][0]["name"]
    cases: list[dict[str, str]] = [
        {"text": "police"},
        {"entity": actor},
        {"min_sources": "5"},
        {"date_from": dated["event_date"], "date_to": dated["event_date"]},
        {"text": "police", "min_sources": "2"},
    ]
    for fields in cases:
        search(browser, **fields)
        shown = browser.execute_script(LIST_IDS)
        assert shown == api_ids(ecb, **fields), fields
        assert 0 < len(shown) < len(first), (fields, len(shown))
        assert all(f"{k}=" in browser.current_url for k in fields), browser.current_url
        browser.refresh()
        loaded(browser)
        assert browser.execute_script(LIST_IDS) == shown, f"{fields}: the reload shows another list"
        for name, value in fields.items():
            assert browser.find_element(By.NAME, name).get_attribute("value") == value
    before = loaded(browser)
    browser.back()  # the previous view, from the browser's history: list and form follow the URL
    loaded(browser, before)
    params = dict(parse_qsl(urlsplit(browser.current_url).query))
    assert browser.execute_script(LIST_IDS) == api_ids(ecb, **params), browser.current_url
    search(browser)
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SHOTS / "list.png"))


def test_event_page_shows_the_timeline_and_every_source(seeds: tuple[str, str], browser: Any) -> None:  # noqa: F811
    _, base = seeds
    events = httpx.get(f"{base}/events", timeout=10).json()["items"]
    event = next(e for e in events if {s["article_id"] for s in e["sources"]} == FEB)
    html = httpx.get(f"{base}/events/{event['event_id']}", headers={"accept": "text/html"}, timeout=10)
    assert html.headers["content-type"].startswith("text/html") and "content-security-policy" in html.headers
    assert httpx.get(f"{base}/events/{event['event_id']}", timeout=10).json()["event_id"] == event["event_id"]
    browser.get(f"{base}/events/{event['event_id']}")
    loaded(browser)
    page = browser.execute_script(
        """const q = (s) => Array.from(document.querySelectorAll(s));
        return {title: document.querySelector('#detail h1').textContent,
                timeline: q('#timeline-section li').map((li) => li.textContent),
                sources: q('#sources-section li[data-article-id]').map((li) => li.dataset.articleId),
                links: q('#sources-section li a[href]').length,
                outlets: q('#sources-section h3').map((h) => h.textContent)};"""
    )
    assert page["title"] == event["title"]
    assert sorted(page["sources"]) == sorted(FEB)
    assert len(page["timeline"]) == len(event["timeline"]) + len(event["sources"])
    assert any("status: reported" in step for step in page["timeline"])
    outlets = {s["outlet"] for s in event["sources"] if s["outlet"]}
    assert outlets and all(any(o in h for h in page["outlets"]) for o in outlets), page["outlets"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.set_window_size(1200, 2200)  # the whole page: timeline and sources included
    browser.save_screenshot(str(SHOTS / "event.png"))
    browser.set_window_size(1200, 900)


def test_a_new_article_appears_without_a_reload(seeds: tuple[str, str], browser: Any, work: Path) -> None:  # noqa: F811
    url, base = seeds
    browser.get(base + "/")
    loaded(browser)
    browser.execute_script("window.__sameDocument = 'yes'")
    # the reader's place: a focused event with its sources open survives the live update
    kept = browser.execute_script(
        """const box = document.querySelectorAll('article.event')[1];
        box.querySelector('h2 a').focus(); box.querySelector('details').open = true; return box.dataset.eventId;"""
    )
    copy = work / "new" / "005_wire_copy.txt"
    copy.parent.mkdir(exist_ok=True)
    copy.write_text((SEEDS / "003_f28817352efe0b87.txt").read_text().replace("Just Earth News", "Wire copy"))
    backfill(url, copy)
    want = "005_wire_copy"
    script = "return Array.from(document.querySelectorAll('li[data-article-id]')).map((li) => li.dataset.articleId)"
    deadline = time.monotonic() + 30
    while want not in browser.execute_script(script):
        assert time.monotonic() < deadline, "the new article did not appear"
        time.sleep(0.3)
    assert browser.execute_script("return window.__sameDocument") == "yes"
    place = browser.execute_script(
        """const box = document.activeElement.closest('article.event');
        return box && [box.dataset.eventId, box.querySelector('details').open];"""
    )
    assert place == [kept, True], place


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the current page (injected through WebDriver: the page's CSP stays on)."""
    done = subprocess.run([str(REPO / "tests" / "e2e" / "axe.sh")], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"axe-core could not be installed: {done.stderr.strip()[-300:]}")
    driver.execute_script(Path(done.stdout.strip()).read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    result: list[dict[str, Any]] = driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(
          (r) => done(r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length}))),
          (e) => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: 0}]));"""
    )
    return result


def test_axe_finds_no_serious_or_critical_violation(seeds: tuple[str, str], ecb: str, browser: Any) -> None:  # noqa: F811
    _, seed_base = seeds
    first = httpx.get(f"{seed_base}/events", timeout=10).json()["items"][0]["event_id"]
    pages = [
        f"{seed_base}/",
        f"{seed_base}/events/{first}",
        f"{ecb}/?text=police",
        f"{seed_base}/?text=nothing-matches",
    ]
    for page in pages:
        browser.get(page)
        loaded(browser)
        found = axe_violations(browser)
        print(f"axe on {page}: {json.dumps(found)}")
        assert not [v for v in found if v["impact"] in SERIOUS], (page, found)
    # the check itself can fail: an image without a text alternative is a critical violation
    browser.execute_script("document.querySelector('main').appendChild(document.createElement('img'))")
    assert "image-alt" in {v["id"] for v in axe_violations(browser) if v["impact"] in SERIOUS}


def test_list_render_time_with_10000_events(seeds: tuple[str, str], browser: Any, work: Path) -> None:  # noqa: F811
    seed_url, _ = seeds
    templates = EventReader(seed_url).events()
    url = f"sqlite:///{work / 'big.db'}"
    store = EventWriter(url)
    with store.transaction():
        for n in range(10_000):
            t = templates[n % len(templates)]
            store.put_event(
                t.model_copy(
                    update={"event_id": f"ev-load-{n:05d}", "last_updated": t.last_updated + timedelta(seconds=n)}
                )
            )
    store.close()
    with serve(url, work) as base:
        assert httpx.get(f"{base}/healthz", timeout=10).json()["events"] == 10_000
        timings = []
        for _ in range(3):
            browser.get(base + "/")
            loaded(browser)
            timings.append(
                browser.execute_script(
                    "return {ready: performance.now(), render: window.__lastRenderMs,"
                    " shown: document.querySelectorAll('article.event').length}"
                )
            )
        assert all(t["shown"] == 50 for t in timings)
        browser.get("about:blank")  # close the page's change stream before the API stops
        print(
            "10,000 events: list rendered "
            + ", ".join(f"{t['ready']:.0f} ms after navigation (DOM build {t['render']:.0f} ms)" for t in timings)
        )
