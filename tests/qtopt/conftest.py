"""One torch thread for these tests: their tensors are tiny, and on a busy machine a second
intra-op thread spins against other processes (seen: 1 s -> 30 s for the learner test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
