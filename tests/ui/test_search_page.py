"""The /ui search page in a real headless Chromium against a real `minilm serve --index DIR` with an API key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.serving import Server, start_server, stop_server

pytestmark = pytest.mark.integration

KEY = "ui-test-key"
GARDEN = [f"In week {i} the gardeners weeded the beds, watered the tomatoes and pruned the roses." for i in range(30)]
VOLCANO = "Then the volcano behind the village erupted, and rivers of glowing lava ran down its slopes at night."
LONG_DOC = " ".join([*GARDEN[:24], VOLCANO, *GARDEN[24:]])
DOCS = [
    ("garden-diary", LONG_DOC, {"topic": "nature"}),
    ("cup-final", "The striker scored twice as the home team won the cup final.", {"topic": "sport"}),
    ("rates", "The central bank raised interest rates to fight inflation.", {"topic": "economy"}),
    ("galaxy", "The space telescope photographed a distant galaxy full of young stars.", {"topic": "science"}),
    ("quake", "A strong earthquake shook the coastal city before dawn.", {"topic": "science"}),
]


@pytest.fixture(scope="module")
def server(real_model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from minilm.index import Index

    tmp = tmp_path_factory.mktemp("ui-server")
    with Index.create(tmp / "ix", real_model, cache=False) as ix:
        ix.add([d for _, d, _ in DOCS], ids=[i for i, _, _ in DOCS], metadata=[m for _, _, m in DOCS])
    running = start_server(tmp, "--index", str(tmp / "ix"), env={"MINILM_API_KEYS": KEY})
    yield running
    stop_server(running)


def submit(browser: Any, query: str) -> None:
    from selenium.webdriver.common.by import By

    box = browser.find_element(By.ID, "query")
    box.clear()
    box.send_keys(query)
    browser.find_element(By.ID, "search-button").click()


def wait_for_status(browser: Any, old: str = "") -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def settled(driver: Any) -> str | bool:
        text = driver.find_element(By.ID, "status").text
        return text if text and text != old and not text.startswith("Searching") else False

    return str(WebDriverWait(browser, 60).until(settled))


def test_the_page_is_served_without_a_key_but_search_needs_one(server) -> None:
    page = httpx.get(f"{server.url}/ui", timeout=10)
    assert page.status_code == 200 and "minilm search" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    for asset in ("/ui/app.js", "/ui/style.css"):
        assert httpx.get(f"{server.url}{asset}", timeout=10).status_code == 200
    assert httpx.post(f"{server.url}/search", json={"query": "x"}, timeout=10).status_code == 401


def test_search_shows_hits_with_the_window_highlighted(server, browser, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{server.url}/ui")
    query = "a volcano erupting with lava"
    submit(browser, query)
    refused = wait_for_status(browser)
    assert refused.startswith("401") and "API key" in refused
    browser.find_element(By.CSS_SELECTOR, "#options summary").click()
    browser.find_element(By.ID, "api-key").send_keys(KEY)
    submit(browser, query)
    status = wait_for_status(browser, refused)
    assert status.startswith(f"{len(DOCS)} hits"), status

    expected = httpx.post(f"{server.url}/search", json={"query": query, "k": 10, "include_document": True},
                          headers={"Authorization": f"Bearer {KEY}"}, timeout=30).json()["hits"]  # fmt: skip
    top = expected[0]
    assert top["id"] == "garden-diary" and 0 < top["start"] < top["end"] <= len(LONG_DOC)
    assert top["document"] == LONG_DOC and LONG_DOC[top["start"] : top["end"]] == top["text"]

    hits = browser.find_elements(By.CSS_SELECTOR, "#hits li.hit")
    assert [h.get_attribute("data-id") for h in hits] == [h["id"] for h in expected]
    first = hits[0]
    assert first.find_element(By.CSS_SELECTOR, ".score").text == f"{top['score']:.3f}"
    assert first.find_element(By.CSS_SELECTOR, ".doc-id").text == "garden-diary"
    assert first.find_element(By.CSS_SELECTOR, ".meta").text == "topic: nature"
    mark = first.find_element(By.CSS_SELECTOR, ".doc mark")
    assert mark.text.split() == top["text"].split() and "volcano" in mark.text
    shown = first.find_element(By.CSS_SELECTOR, ".doc").text
    before = LONG_DOC[: top["start"]].split()[-5:]
    assert " ".join(before) in shown  # the document around the window is shown too, unmarked
    assert mark.value_of_css_property("background-color") != first.value_of_css_property("background-color")

    screenshot = tmp_path / "search-page.png"
    assert browser.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 20_000


def test_metadata_filters_and_the_key_kept_for_the_session(server, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{server.url}/ui")
    browser.find_element(By.CSS_SELECTOR, "#options summary").click()
    browser.find_element(By.ID, "api-key").send_keys(KEY)
    browser.find_element(By.ID, "filters").send_keys("topic=science")
    submit(browser, "stars and planets")
    status = wait_for_status(browser)
    ids = [h.get_attribute("data-id") for h in browser.find_elements(By.CSS_SELECTOR, "#hits li.hit")]
    assert status.startswith("2 hits") and ids == ["galaxy", "quake"], (status, ids)

    browser.find_element(By.ID, "filters").clear()
    browser.find_element(By.ID, "filters").send_keys("no equals sign")
    submit(browser, "stars")
    assert "expected key=value" in wait_for_status(browser, status)

    browser.refresh()  # the key stays in this tab's sessionStorage
    assert browser.find_element(By.ID, "api-key").get_attribute("value") == KEY
