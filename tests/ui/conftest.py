"""A fresh headless Chromium per test, quit afterwards (tests/ui/browser.py starts it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.browser import chromium


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = chromium(tmp_path / "profile")
    yield driver
    driver.quit()
