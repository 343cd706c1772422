"""Weights through Ray's object store: put once per publish, fetched by reference.

The trainer calls :meth:`WeightPublisher.publish` after a round of gradient steps: one
``ray.put`` of the weights as numpy arrays (Ray stores those without pickling and every worker
on a node maps the same shared-memory copy). Workers receive a :class:`Published` handle (a
version number and the reference, a few bytes) with each request and fetch the weights only
when the version changed, so weights are never sent by value per call, and a restarted
worker (version unknown) fetches them by itself on its first request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

#: Seconds a worker waits for published weights before giving up (the store is local or one
#: network hop away; a minute means something is broken, not slow).
FETCH_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Published:
    """A handle on weights in the object store."""

    version: int
    """Increases with every publish of the same publisher."""
    steps: int
    """Learner gradient steps of these weights (policy lag = trainer steps - this)."""
    ref: Any
    """``ray.ObjectRef`` of a dict of numpy arrays (nested one level for several networks)."""


def to_numpy(state: Mapping[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """A state dict as numpy arrays (views: ``ray.put`` copies them into the store)."""
    return {name: tensor.detach().cpu().numpy() for name, tensor in state.items()}


def to_tensors(arrays: Mapping[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Numpy arrays fetched from the store as a state dict.

    Arrays from the object store are read-only views of shared memory; ``torch.from_numpy``
    would alias them (and warn), so each is copied first.
    """
    return {name: torch.from_numpy(np.array(array, copy=True)) for name, array in arrays.items()}


class WeightPublisher:
    """Puts weight snapshots into the object store; keeps only the latest reference alive."""

    def __init__(self, ray: Any) -> None:
        self._ray = ray
        self.version = 0
        """Version of the latest publish (0: nothing published yet)."""
        self.latest: Published | None = None
        """The latest handle; older ones are dropped so the store can free them."""

    def publish(self, arrays: Mapping[str, Any], steps: int) -> Published:
        """One ``ray.put`` of ``arrays``; returns the handle workers get."""
        self.version += 1
        self.latest = Published(self.version, steps, self._ray.put(dict(arrays)))
        return self.latest


def fetch(published: Published) -> Any:
    """The arrays behind ``published`` (called inside a worker; read-only, see to_tensors)."""
    import ray

    return ray.get(published.ref, timeout=FETCH_TIMEOUT_S)
