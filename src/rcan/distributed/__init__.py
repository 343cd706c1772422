"""QT-Opt and data generation scaled out on Ray (optional: ``pip install 'rcan[ray]'``).

The same component classes as the single-process run (``Collector``, ``QTOptActor``,
``MixedReplay``, ``BellmanUpdater``, ``QLearner``, ``evaluate_actor``), wired differently:
collectors, Bellman updaters and an evaluator become Ray actors (``workers``), the driver keeps
the learner and the replay (``train``), weights travel through the object store
(``publish``), a samples-per-insert limiter keeps the trainer and the collectors in step
(``limiter``), and ``rcan generate --ray`` runs shards as Ray tasks (``generate``).

This module must stay importable without Ray: ``import rcan`` and every non-Ray path only ever
reach :func:`require_ray` when Ray was asked for.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from rcan.common.errors import RcanError

#: What to install when Ray is missing (the extra declared in pyproject.toml).
INSTALL_HINT = "pip install 'rcan[ray]'"
#: Environment of every worker process: one thread per library, so N workers use N cores.
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
#: Seconds to wait for a cluster's HOST:PORT to accept a connection.
REACH_TIMEOUT_S = 5.0
#: Tries at starting a local Ray: Ray gives its raylet a fixed 30 s to register, which a
#: machine busy with other work can miss ("The current node timed out during startup").
LOCAL_START_TRIES = 3


def require_ray() -> ModuleType:
    """The ``ray`` module, or a one-line RcanError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise RcanError(f"ray is not installed: {INSTALL_HINT}") from None
    return ray


def wants_ray(config: Any) -> bool:
    """Whether a ``train-policy`` config asks for the Ray wiring; checks its worker counts.

    More than one collector, any Bellman updater, or a cluster address means Ray; the default
    (one collector, no updaters, no address) is the single-process run.
    """
    if config.collectors < 1:
        raise RcanError(f"train-policy: --collectors must be >= 1, got {config.collectors}")
    if config.bellman_updaters < 0:
        raise RcanError(
            f"train-policy: --bellman-updaters must be >= 0, got {config.bellman_updaters}"
        )
    return config.collectors > 1 or config.bellman_updaters > 0 or config.ray_address is not None


@contextlib.contextmanager
def ray_session(address: str | None, num_cpus: int | None = None) -> Iterator[ModuleType]:
    """Yield an initialised ``ray``: join ``address``, or start a local instance.

    ``address`` None or ``"local"`` starts a local Ray with ``num_cpus`` logical CPUs (default:
    the machine's), which is shut down on exit. If Ray is already initialised in this process
    (a caller or a test fixture owns it), that instance is used and left running.
    """
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    local = address in (None, "local")
    if not local:
        check_reachable(str(address))
    kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING}
    if local:
        kwargs["num_cpus"] = num_cpus or os.cpu_count() or 1
    tries = LOCAL_START_TRIES if local else 1
    for attempt in range(1, tries + 1):
        try:
            ray.init(address="local" if local else address, **kwargs)
            break
        except Exception as err:  # Ray raises a bare Exception on a startup timeout
            startup_timeout = "timed out during startup" in str(err)
            if startup_timeout and attempt < tries:
                ray.shutdown()
                continue
            if not (startup_timeout or isinstance(err, (ConnectionError, ValueError,
                                                        RuntimeError))):
                raise
            text = str(err).strip()
            first = text.splitlines()[0] if text else type(err).__name__
            raise RcanError(f"cannot start or join Ray at {address or 'local'}: "
                            f"{first}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def check_reachable(address: str) -> None:
    """Fail in seconds on a ``HOST:PORT`` nobody listens on (Ray itself retries for minutes,
    since a head node may still be starting); 'auto' and 'ray://' addresses go to Ray."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return
    try:
        socket.create_connection((host, int(port)), timeout=REACH_TIMEOUT_S).close()
    except OSError as err:
        raise RcanError(f"cannot reach a Ray cluster at {address}: {err}") from None


def cluster_cpus(ray: ModuleType) -> float:
    """Logical CPUs of the Ray cluster this process is connected to."""
    return float(ray.cluster_resources().get("CPU", 0.0))
