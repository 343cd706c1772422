"""``rcan generate --ray``: shards as Ray tasks, resumable, with the bytes of a local run.

A task plays shard ``i``'s episodes (:func:`rcan.data.generate.record_shard`, seeded by
``(seed, i)`` alone) and returns its arrays; the driver writes the file with the same
:func:`~rcan.data.shards.write_shard` call as a local worker, so the bytes are identical
whatever ran the task, and no shared filesystem is needed on a cluster. Like the local driver
(:func:`rcan.data.parallel.run_shards`), a run starts from the shards missing in the folder,
so a killed run (local or Ray) resumes by making only those.

Bounded: at most two tasks per cluster CPU are in flight, so finished shards cannot pile up in
the object store faster than the driver writes them. A task whose worker process dies is
retried by Ray (it has no side effects until the driver writes); an exception raised in a task
stops the run with that error, completed shards kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from rcan.common.errors import RcanError
from rcan.data.parallel import missing_shards
from rcan.data.shards import clean_partial
from rcan.distributed import cluster_cpus, ray_session

#: Seconds the driver blocks waiting for any task (then checks for overdue ones).
POLL_S = 1.0
#: A shard task running longer than this is reported as hung (shards take seconds to minutes).
SHARD_TIMEOUT_S = 3600.0
#: ``ray.get`` of a result that ``ray.wait`` reported ready.
FETCH_TIMEOUT_S = 120.0
#: Times Ray re-runs a task whose worker process died.
TASK_RETRIES = 3

Recorded = tuple[dict[str, np.ndarray], dict[str, Any]]


def _record(record: Callable[[int], Recorded], index: int) -> Recorded:
    """The Ray task: one shard's arrays and metadata."""
    return record(index)


def run_shards_ray(
    record: Callable[[int], Recorded],
    write: Callable[[int, dict[str, np.ndarray], dict[str, Any]], None],
    indices: Sequence[int],
    root: Path,
    desc: str,
    address: str | None = None,
    num_cpus: int | None = None,
) -> list[int]:
    """Make every shard in ``indices`` that ``root`` lacks; return those made, sorted.

    ``record(i)`` runs as a Ray task and ``write(i, arrays, meta)`` in this process.
    ``address`` joins a cluster; None starts a local Ray with ``num_cpus`` (default: all).
    """
    root = Path(root)
    todo = missing_shards(root, indices)
    if not todo:
        return []
    produced: list[int] = []
    with ray_session(address, num_cpus) as ray:
        task = ray.remote(num_cpus=1, max_retries=TASK_RETRIES)(_record)
        record_ref = ray.put(record)  # the config travels once, not with every task
        limit = max(2 * int(cluster_cpus(ray)), 1)
        queue = list(reversed(todo))
        running: dict[Any, tuple[int, float]] = {}
        try:
            with tqdm(total=len(todo), desc=desc, unit="shard") as bar:
                while queue or running:
                    while queue and len(running) < limit:
                        index = queue.pop()
                        running[task.remote(record_ref, index)] = (index, time.monotonic())
                    ready, _ = ray.wait(list(running), num_returns=1, timeout=POLL_S)
                    for ref in ready:
                        index, _ = running.pop(ref)
                        arrays, meta = _result(ray, ref)
                        write(index, arrays, meta)
                        del arrays, meta  # release the object store copy before the next
                        produced.append(index)
                        bar.update(1)
                    _check_overdue(running)
        except BaseException:
            for ref in running:
                ray.cancel(ref, force=True)
            clean_partial(root)
            raise
    return sorted(produced)


def _result(ray: Any, ref: Any) -> Recorded:
    """A finished task's value; a task's own RcanError comes back as one line."""
    try:
        return ray.get(ref, timeout=FETCH_TIMEOUT_S)
    except ray.exceptions.RayTaskError as err:
        if isinstance(err.cause, RcanError):
            raise RcanError(str(err.cause)) from None
        raise err.as_instanceof_cause() from None


def _check_overdue(running: dict[Any, tuple[int, float]]) -> None:
    now = time.monotonic()
    for index, started in running.values():
        if now - started > SHARD_TIMEOUT_S:
            raise RcanError(
                f"shard {index} took more than {SHARD_TIMEOUT_S:.0f} s on Ray; completed "
                "shards are kept, run again to resume"
            )
