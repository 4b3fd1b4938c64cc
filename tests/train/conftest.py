"""Training tests: one torch thread for the tiny model (thread hand-offs dominate its microsecond ops)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _torch_threads(request: pytest.FixtureRequest) -> Iterator[None]:
    before = torch.get_num_threads()
    if request.node.get_closest_marker("integration") is None:
        torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
