"""The /ui page's search-mode selector in headless Chromium against a real `minilm serve --index DIR`: the hits
shown for each mode are those of POST /search with that mode."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.server.serving import Server, start_server, stop_server
from tests.ui.test_search_page import submit, wait_for_status

pytestmark = pytest.mark.integration

DOCS = [
    ("incident-1", "Error E4711: the disk quota of the build cache was exceeded during the nightly job"),
    ("incident-2", "Error E1002: the connection to the database timed out after thirty seconds"),
    ("incident-3", "Error E2290: the login token expired before the request finished"),
    ("incident-4", "Error E8810: the backup finished but two archives failed their checksum"),
]


@pytest.fixture(scope="module")
def server(real_model, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from minilm.index import Index

    tmp = tmp_path_factory.mktemp("ui-mode")
    with Index.create(tmp / "ix", real_model, cache=False) as ix:
        ix.add([t for _, t in DOCS], ids=[i for i, _ in DOCS])
    running = start_server(tmp, "--index", str(tmp / "ix"))
    yield running
    stop_server(running)


def test_the_mode_selector_sends_the_mode(server, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(f"{server.url}/ui")
    status = ""
    for mode in ("lexical", "hybrid", "dense"):
        Select(browser.find_element(By.ID, "mode")).select_by_value(mode)
        submit(browser, "E4711")
        status = wait_for_status(browser, status)
        body = {"query": "E4711", "k": 10, "include_document": True, "mode": mode}
        expected = [h["id"] for h in httpx.post(f"{server.url}/search", json=body, timeout=30).json()["hits"]]
        shown = [h.get_attribute("data-id") for h in browser.find_elements(By.CSS_SELECTOR, "#hits li.hit")]
        assert shown == expected, (mode, status)
        if mode == "lexical":
            assert shown == ["incident-1"]  # only that note holds the code
        else:
            assert len(shown) == len(DOCS)
