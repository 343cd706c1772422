"""Resume-aware, multi-process driver for writing shards.

Generating data means rendering thousands of Bullet scenes, which is slow and CPU-bound but
embarrassingly parallel: every shard is independent. :func:`run_shards` farms shard indices
out to worker processes and makes a killed run safe to restart: shards are written atomically,
so a shard either exists complete or not at all, and a restart only produces the missing ones.

Rules for ``make_shard``:

* It must write ``shard_path(root, index)`` itself (with :func:`rcan.data.shards.write_shard`).
* It must be picklable: a module-level function or a :func:`functools.partial` of one.
* It must derive everything (seed, domain sample) from ``index``, so that the same index gives
  the same shard in any process, in any order, on any resume.
* Workers share no state. Create pybullet clients (``p.connect(p.DIRECT)``), renderers and
  random generators **inside** ``make_shard``: a client made in the parent and inherited by
  a forked worker is not usable there.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.pool import IMapIterator, Pool
from pathlib import Path

from tqdm import tqdm

from rcan.data.shards import clean_partial, shard_path

_POLL_SECONDS = 1.0
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class WorkerDiedError(RuntimeError):
    """A worker process vanished (killed, out of memory, segfault) instead of raising."""


def run_shards(
    make_shard: Callable[[int], object],
    indices: Sequence[int],
    root: Path,
    workers: int,
    desc: str,
) -> list[int]:
    """Produce every shard in ``indices`` that ``root`` lacks; return those produced, sorted.

    Leftover temp files from a killed run are removed first, and indices whose shard already
    exists are skipped. With ``workers <= 1`` everything runs in this process, otherwise in a
    ``multiprocessing`` pool (started as :func:`start_method` says). The first failure stops
    the run: the pool is terminated, partial files of the shards in flight are removed, and
    the worker's exception is re-raised here; completed shards stay, so running again
    resumes. A worker that dies without raising (killed, segfault) raises
    :class:`WorkerDiedError` instead of hanging. Ctrl-C terminates the pool the same way and
    re-raises ``KeyboardInterrupt``.
    """
    root = Path(root)
    todo = missing_shards(root, indices)
    if not todo:
        return []
    produced: list[int] = []
    with contextlib.ExitStack() as stack:
        results: Iterator[int]
        if workers > 1:
            # Fork before tqdm starts its monitor thread: the children then hold no stray lock.
            pool = stack.enter_context(_pool_scope(root, min(workers, len(todo))))
            results = _pool_results(pool, make_shard, todo)
        else:
            results = _serial_results(make_shard, todo)
        bar = stack.enter_context(tqdm(total=len(todo), desc=desc, unit="shard"))
        for index in results:
            if not _exists(root, index):
                raise RuntimeError(
                    f"make_shard({index}) returned without writing {shard_path(root, index)}"
                )
            produced.append(index)
            bar.update(1)
    return sorted(produced)


def missing_shards(root: Path, indices: Sequence[int]) -> list[int]:
    """Create ``root``, remove temp files a killed run left there, and return the indices
    (deduplicated, in order) whose shard is not complete yet. Every shard driver starts here,
    so local and Ray runs resume each other's folders."""
    root.mkdir(parents=True, exist_ok=True)
    clean_partial(root)
    return [i for i in dict.fromkeys(int(i) for i in indices) if not _exists(root, i)]


def start_method() -> str | None:
    """How worker processes start: "fork" where available (at once, nothing re-imported),
    except while Ray runs in this process, then "forkserver": a fork copies Ray's threads' locks
    in whatever state they are, and a worker (or ``Pool.terminate``) can then wait forever.
    None: the platform's default (spawn)."""
    methods = mp.get_all_start_methods()
    if "fork" not in methods:
        return None
    ray = sys.modules.get("ray")
    if ray is not None and getattr(ray, "is_initialized", lambda: False)():
        return "forkserver" if "forkserver" in methods else None
    return "fork"


def _exists(root: Path, index: int) -> bool:
    """True when the shard for ``index`` is already complete in ``root``."""
    return shard_path(root, index).is_file()


def _serial_results(make_shard: Callable[[int], object], todo: list[int]) -> Iterator[int]:
    """Yield each index after writing its shard in this process."""
    for index in todo:
        make_shard(index)
        yield index


@contextlib.contextmanager
def _pool_scope(root: Path, workers: int) -> Iterator[Pool]:
    """Run a worker pool; on any exception (Ctrl-C included) kill it and remove temp files."""
    pool = mp.get_context(start_method()).Pool(workers, initializer=_init_worker)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        pool.join()
        clean_partial(root)  # terminated workers had no chance to remove their temp files
        raise
    pool.close()
    pool.join()


def _pool_results(
    pool: Pool, make_shard: Callable[[int], object], todo: list[int]
) -> Iterator[int]:
    """Yield indices as workers finish them, re-raising a worker's exception here."""
    pids = _worker_pids(pool)
    pending = pool.imap_unordered(_Task(make_shard), todo, chunksize=1)
    for _ in todo:
        yield _next_result(pending, pool, pids)


def _next_result(pending: IMapIterator, pool: Pool, pids: set[int]) -> int:
    """Wait for the next finished index, noticing workers that die without an exception."""
    while True:
        try:
            return pending.next(timeout=_POLL_SECONDS)
        except mp.TimeoutError:
            if _worker_pids(pool) != pids:
                raise WorkerDiedError(
                    "a shard worker process died without raising (killed, out of memory or "
                    "crashed); completed shards are kept, run again to resume"
                ) from None


def _worker_pids(pool: Pool) -> set[int]:
    """Pids of the pool's live workers: they change only when one dies and is replaced.

    ``Pool`` silently replaces a dead worker and waits forever for its lost task, so the
    driver watches the (private but long-stable) ``_pool`` list itself.
    """
    return {p.pid for p in pool._pool if p.exitcode is None}  # type: ignore[attr-defined]


class _Task:
    """Picklable wrapper so workers return the index they finished."""

    def __init__(self, make_shard: Callable[[int], object]) -> None:
        self.make_shard = make_shard
        """The user's shard writer, pickled to each worker."""

    def __call__(self, index: int) -> int:
        """Write the shard for ``index`` and report it."""
        self.make_shard(index)
        return index


def _init_worker() -> None:
    """Make a worker single-threaded and leave Ctrl-C to the parent.

    Many workers each spawning a full thread pool would oversubscribe the CPU. The parent
    owns SIGINT so that Ctrl-C terminates the pool once instead of printing a traceback per
    worker. The environment variables reach libraries first loaded in the worker; torch is
    told directly, but only if the parent had already imported it (importing it here would
    cost seconds per worker for nothing).
    """
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in _THREAD_ENV:
        os.environ[name] = "1"
    torch = sys.modules.get("torch")
    if torch is not None:
        with contextlib.suppress(Exception):
            torch.set_num_threads(1)
