"""A local Ray with 2 CPUs for the whole session, started on first use (tests that need it
skip themselves when ray is not installed)."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest


@pytest.fixture(scope="package")
def ray_cluster() -> Iterator[ModuleType]:
    """``ray``, initialised with ``num_cpus=2`` and no dashboard, shut down after these tests
    so that its processes and threads do not linger under the rest of the suite."""
    from rcan.distributed import ray_session

    with ray_session(None, num_cpus=2) as ray:
        yield ray
