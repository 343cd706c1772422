"""Peer benchmark: pybullet's own ``KukaDiverseObjectEnv``, timed on one core.

rcan measures its simulator side by side with the closest published reference, the
diverse-object Kuka bin-grasping environment in ``pybullet_envs``. That module was written
for the old ``gym`` package: it imports ``gym``, ``gym.spaces``, ``gym.utils.seeding``,
``pkg_resources.parse_version`` and ``distutils.dir_util``, and the ``pybullet_envs`` package
``__init__`` registers dozens of environments through ``gym.envs.registration``. None of
``gym`` or ``pkg_resources`` is a dependency of rcan, and installing them only to run a
benchmark is not worth it. Instead :func:`legacy_gym_shim` puts minimal stand-ins into
``sys.modules`` for exactly as long as the import takes, and takes them out again.

Only the three files the environment needs are loaded (``bullet/kuka.py``,
``bullet/kukaGymEnv.py``, ``bullet/kuka_diverse_object_gym_env.py``). The package
``__init__`` files are bypassed with placeholder parent packages, so the registration code
and the unrelated Minitaur/racecar environments never run.

The peer issues every pybullet call on the implicit default client (id 0). Two Bullet
worlds in one process would silently share it, so :func:`run_peer` refuses to start if that
client is taken, and :func:`run_peer_isolated` is the entry point benchmarks should use: it
runs the episodes in a freshly spawned process limited to one thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import importlib.util
import io
import math
import multiprocessing
import os
import random
import sys
import time
import traceback
import types
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pybullet as p

__all__ = [
    "PEER_MODULE",
    "PeerResult",
    "legacy_gym_shim",
    "load_peer_env_class",
    "run_peer",
    "run_peer_isolated",
]

PEER_MODULE = "pybullet_envs.bullet.kuka_diverse_object_gym_env"
"""Import path of the peer environment inside the pybullet wheel."""

_PEER_PACKAGE = "pybullet_envs"
_PEER_SUBPACKAGE = "pybullet_envs.bullet"

# The old gym version the stand-in claims to be. The peer compares it against 0.9.6 to decide
# whether to alias ``_reset``/``_step``; anything newer keeps the modern method names.
_FAKE_GYM_VERSION = "0.21.0"

# Environment variables that keep numeric libraries in the child to a single thread.
_SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}


# --------------------------------------------------------------------------------------
# Result record
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerResult:
    """Outcome of timing ``episodes`` full peer episodes.

    ``seconds`` covers the whole episode loop (every reset and every step, plus drawing the
    random actions) and excludes the one-off environment construction. ``reset_seconds`` is
    the part of ``seconds`` spent inside ``reset()``, so the split between scene building
    and stepping can be reported.
    """

    episodes: int
    steps: int
    seconds: float
    successes: int
    reset_seconds: float = 0.0

    @property
    def episodes_per_s(self) -> float:
        """Full episodes (reset included) completed per wall-clock second."""
        return self.episodes / self.seconds if self.seconds > 0 else math.inf

    @property
    def steps_per_s(self) -> float:
        """Environment steps per second over the whole loop, resets included."""
        return self.steps / self.seconds if self.seconds > 0 else math.inf

    @property
    def mean_steps_per_episode(self) -> float:
        """Average number of ``step()`` calls before the episode ended."""
        return self.steps / self.episodes if self.episodes > 0 else 0.0

    @property
    def success_rate(self) -> float:
        """Fraction of episodes that ended with an object lifted above the bin."""
        return self.successes / self.episodes if self.episodes > 0 else 0.0

    @property
    def reset_fraction(self) -> float:
        """Share of the timed loop spent in ``reset()`` (the rest is stepping)."""
        return self.reset_seconds / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, float | int]:
        """Plain fields plus the derived rates, ready for a JSON report."""
        out: dict[str, float | int] = dict(dataclasses.asdict(self))
        out.update(
            episodes_per_s=self.episodes_per_s,
            steps_per_s=self.steps_per_s,
            mean_steps_per_episode=self.mean_steps_per_episode,
            success_rate=self.success_rate,
            reset_fraction=self.reset_fraction,
        )
        return out


# --------------------------------------------------------------------------------------
# Import shim
# --------------------------------------------------------------------------------------


class _LegacyEnv:
    """Stand-in for ``gym.Env``: the attributes and no-op hooks the peer inherits.

    A plain class rather than ``gymnasium.Env`` on purpose: gymnasium's base class has a
    different ``reset``/``step`` contract and an ``np_random`` property, neither of which the
    peer was written against.
    """

    metadata: ClassVar[dict[str, Any]] = {}
    reward_range: tuple[float, float] = (-math.inf, math.inf)
    spec: Any = None
    action_space: Any = None
    observation_space: Any = None

    def seed(self, seed: int | None = None) -> list[int | None]:
        """Old-gym seeding hook; the peer overrides it."""
        return [seed]

    def render(self, mode: str = "human") -> Any:
        """Old-gym render hook; the peer overrides it."""
        return None

    def close(self) -> None:
        """Old-gym close hook; nothing to release at this level."""

    @property
    def unwrapped(self) -> _LegacyEnv:
        """The environment itself, as in gym."""
        return self


class _LegacyRegistry:
    """Stand-in for ``gym.envs.registration.registry``: only ``env_specs`` is consulted."""

    def __init__(self) -> None:
        self.env_specs: dict[str, Any] = {}


def _module(name: str, doc: str, **attrs: Any) -> types.ModuleType:
    """Build a module object called ``name`` holding ``attrs``."""
    mod = types.ModuleType(name, doc)
    for key, value in attrs.items():
        setattr(mod, key, value)
    return mod


def _parse_version_fallback(version: str) -> tuple[int, ...]:
    """Compare-able tuple from the leading numeric components of a version string."""
    parts: list[int] = []
    for piece in version.split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _parse_version() -> Any:
    """``packaging.version.Version`` when installed, else the simple tuple parser."""
    try:
        from packaging.version import Version
    except ImportError:  # pragma: no cover - packaging ships with most environments
        return _parse_version_fallback
    return Version


def _build_stub_modules() -> dict[str, types.ModuleType]:
    """Create the stand-in modules the peer imports, keyed by their ``sys.modules`` name."""
    import gymnasium.spaces
    import gymnasium.utils.seeding

    registry = _LegacyRegistry()

    def register(id: str, *args: Any, **kwargs: Any) -> None:
        """No-op: nothing here is meant to be created through the registry."""

    def make(id: str, *args: Any, **kwargs: Any) -> Any:
        """Refuse clearly: construct the peer class directly instead."""
        raise RuntimeError(
            f"gym.make({id!r}) is not available in rcan's import shim; "
            "instantiate the environment class directly"
        )

    def spec(id: str) -> Any:
        """Look up a registered spec (the shim never registers any)."""
        return registry.env_specs[id]

    def np_random(seed: int | None = None) -> tuple[np.random.Generator, Any]:
        """``(Generator, seed)`` as gym >= 0.22 returned; the peer only stores it."""
        return gymnasium.utils.seeding.np_random(seed)

    def spaces_getattr(name: str) -> Any:
        return getattr(gymnasium.spaces, name)

    spaces = _module("gym.spaces", "Shim: gym.spaces backed by gymnasium.spaces.")
    spaces.__getattr__ = spaces_getattr  # type: ignore[method-assign]
    for name in ("Box", "Discrete", "MultiBinary", "MultiDiscrete", "Tuple", "Dict", "Space"):
        setattr(spaces, name, getattr(gymnasium.spaces, name))

    seeding = _module("gym.utils.seeding", "Shim: gym seeding.", np_random=np_random)
    utils = _module("gym.utils", "Shim: gym.utils.", seeding=seeding)
    registration = _module(
        "gym.envs.registration",
        "Shim: gym registry that records nothing.",
        registry=registry,
        register=register,
        make=make,
        spec=spec,
    )
    envs = _module(
        "gym.envs",
        "Shim: gym.envs.",
        registration=registration,
        registry=registry,
        register=register,
        make=make,
        spec=spec,
    )
    gym = _module(
        "gym",
        "Shim: the slice of the old gym API that pybullet_envs' Kuka env needs.",
        __version__=_FAKE_GYM_VERSION,
        Env=_LegacyEnv,
        spaces=spaces,
        utils=utils,
        envs=envs,
        make=make,
        register=register,
        spec=spec,
    )
    pkg_resources = _module(
        "pkg_resources", "Shim: parse_version only.", parse_version=_parse_version()
    )
    stubs = {
        "gym": gym,
        "gym.spaces": spaces,
        "gym.utils": utils,
        "gym.utils.seeding": seeding,
        "gym.envs": envs,
        "gym.envs.registration": registration,
        "pkg_resources": pkg_resources,
    }

    # The peer imports distutils.dir_util but never uses it. A stand-in avoids the real import,
    # which is deprecated on 3.11, gone on 3.12, and with setuptools installed goes through
    # setuptools' distutils hack (slow, and it appends to sys.path).
    dir_util = _module("distutils.dir_util", "Shim: imported by the peer, never used.")
    stubs["distutils.dir_util"] = dir_util
    stubs["distutils"] = _module("distutils", "Shim: dir_util only.", dir_util=dir_util)

    # Placeholder parents so the wanted submodules load without the package __init__ files.
    package_spec = importlib.util.find_spec(_PEER_PACKAGE)
    if package_spec is None or not package_spec.submodule_search_locations:
        raise ImportError("pybullet_envs is not installed (it ships with the pybullet wheel)")
    package_dir = next(iter(package_spec.submodule_search_locations))
    for name, path in (
        (_PEER_PACKAGE, package_dir),
        (_PEER_SUBPACKAGE, os.path.join(package_dir, "bullet")),
    ):
        placeholder = _module(name, "Shim: placeholder package; __init__ not executed.")
        placeholder.__path__ = [path]
        placeholder.__package__ = name
        stubs[name] = placeholder
    return stubs


def _in_namespace(name: str, roots: frozenset[str]) -> bool:
    """Whether module ``name`` is one of ``roots`` or inside one of them."""
    return any(name == root or name.startswith(root + ".") for root in roots)


@contextlib.contextmanager
def legacy_gym_shim() -> Iterator[None]:
    """Make the old-gym imports of ``pybullet_envs`` resolvable, for the ``with`` body only.

    On entry, stand-ins for ``gym`` (with ``spaces``, ``utils.seeding`` and
    ``envs.registration``), ``pkg_resources`` and ``distutils.dir_util`` are put into
    ``sys.modules``, together with placeholder ``pybullet_envs`` parent packages whose
    ``__init__`` never runs. Module-level prints and deprecation warnings are swallowed.

    On exit every module of those namespaces that appeared during the block is removed,
    entries that existed before (a real ``gym``, say) are put back exactly, and ``sys.path``
    is restored (the peer's modules prepend their own directories to it). Objects imported
    inside the block stay usable; they only stop being reachable through ``sys.modules``.
    """
    stubs = _build_stub_modules()
    roots = frozenset(name for name in stubs if "." not in name)
    before = {name: mod for name, mod in sys.modules.items() if _in_namespace(name, roots)}
    saved_path = list(sys.path)
    sys.modules.update(stubs)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        for name in [n for n in sys.modules if _in_namespace(n, roots)]:
            del sys.modules[name]
        sys.modules.update(before)
        sys.path[:] = saved_path


@functools.cache
def load_peer_env_class() -> type[Any]:
    """Return the unmodified ``KukaDiverseObjectEnv`` class, importing it through the shim.

    If the real module is already imported (someone has the genuine ``gym`` installed and
    loaded it), that class is returned as is. The result is cached per process.
    """
    loaded = sys.modules.get(PEER_MODULE)
    if loaded is None:
        with legacy_gym_shim():
            loaded = importlib.import_module(PEER_MODULE)
    return loaded.KukaDiverseObjectEnv


@functools.cache
def _benchmark_env_class() -> type[Any]:
    """The peer class with only its finaliser replaced.

    The peer's ``__del__`` calls ``p.disconnect()`` unconditionally, which raises (and prints
    "Exception ignored") once :func:`run_peer` has already disconnected. The override
    disconnects only if still connected; nothing that is timed is touched.
    """
    base = load_peer_env_class()

    def __del__(self: Any) -> None:
        cid = getattr(self, "cid", None)
        if cid is not None and p.isConnected(physicsClientId=cid):
            p.disconnect(physicsClientId=cid)

    return type("BenchKukaDiverseObjectEnv", (base,), {"__del__": __del__})


# --------------------------------------------------------------------------------------
# Benchmark loops
# --------------------------------------------------------------------------------------


def run_peer(episodes: int, seed: int = 0, width: int = 48, height: int = 48) -> PeerResult:
    """Time ``episodes`` full peer episodes with uniformly random actions, in this process.

    The environment is built with the published defaults (continuous actions, height hack
    on, 8 steps at most, train objects, 80 physics substeps per action) at ``width`` x
    ``height``. Python's ``random`` and NumPy's global RNG, which the peer uses for object
    choice and placement, are seeded with ``seed``; actions come from a separate generator
    so they do not shift the peer's own draws. An episode is ``reset()`` followed by
    ``step()`` until ``done``; it counts as a success if ``info["grasp_success"] > 0`` at the
    end. Construction is not timed; the loop is, resets included.

    The peer talks to pybullet's default client 0, so this raises ``RuntimeError`` when that
    client is already in use here. Prefer :func:`run_peer_isolated`.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if p.isConnected(physicsClientId=0):
        raise RuntimeError(
            "pybullet client 0 is already connected in this process; the peer environment "
            "would share it. Use run_peer_isolated() instead."
        )
    env_cls = _benchmark_env_class()
    env = env_cls(
        renders=False,
        isDiscrete=False,
        removeHeightHack=False,
        maxSteps=8,
        isTest=False,
        width=width,
        height=height,
    )
    try:
        if env.cid != 0:
            raise RuntimeError(f"peer environment got pybullet client {env.cid}, expected 0")
        random.seed(seed)
        np.random.seed(seed)
        action_rng = np.random.default_rng(seed)

        steps = 0
        successes = 0
        reset_seconds = 0.0
        start = time.perf_counter()
        for _ in range(episodes):
            t_reset = time.perf_counter()
            env.reset()
            reset_seconds += time.perf_counter() - t_reset
            done = False
            info: dict[str, Any] = {}
            while not done:
                action = action_rng.uniform(-1.0, 1.0, size=3)
                _, _, done, info = env.step(action)
                steps += 1
            if info.get("grasp_success", 0) > 0:
                successes += 1
        seconds = time.perf_counter() - start
    finally:
        if p.isConnected(physicsClientId=env.cid):
            p.disconnect(physicsClientId=env.cid)
    return PeerResult(
        episodes=episodes,
        steps=steps,
        seconds=seconds,
        successes=successes,
        reset_seconds=reset_seconds,
    )


def _child_main(
    conn: Any, episodes: int, seed: int, width: int, height: int, cpu: int | None
) -> None:
    """Entry point of the spawned process: run the peer and send back the result or error."""
    os.environ.update(_SINGLE_THREAD_ENV)
    try:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        result = run_peer(episodes, seed=seed, width=width, height=height)
        conn.send(("ok", result))
    except BaseException:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


@contextlib.contextmanager
def single_thread_environ() -> Iterator[None]:
    """Set the thread-limiting variables while a child starts, so it inherits them.

    They must be in place before the child imports NumPy, which happens while the spawned
    interpreter unpickles its target, i.e. before any code of ours runs there.
    """
    saved = {key: os.environ.get(key) for key in _SINGLE_THREAD_ENV}
    os.environ.update(_SINGLE_THREAD_ENV)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _stop(proc: multiprocessing.process.BaseProcess, grace_s: float) -> None:
    """Wait ``grace_s`` for ``proc`` to exit, then terminate and finally kill it."""
    proc.join(grace_s)
    if proc.is_alive():
        proc.terminate()
        proc.join(5.0)
    if proc.is_alive():
        proc.kill()
        proc.join()


def run_peer_isolated(
    episodes: int,
    seed: int = 0,
    width: int = 48,
    height: int = 48,
    timeout_s: float = 600,
    *,
    cpu: int | None = None,
) -> PeerResult:
    """Run :func:`run_peer` in a fresh single-threaded process and return its result.

    A "spawn" child gets its own pybullet default client, so the peer cannot collide with
    Bullet worlds in this process, and ``OMP_NUM_THREADS``/``MKL_NUM_THREADS``/
    ``OPENBLAS_NUM_THREADS`` are 1 there so the measurement is of one core. ``cpu``
    optionally pins the child to that CPU (Linux ``sched_setaffinity``).

    ``timeout_s`` bounds the whole run including interpreter start-up. Raises
    ``RuntimeError`` on timeout, if the child raises (its traceback is included), or if it
    dies without answering.
    """
    ctx = multiprocessing.get_context("spawn")
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_child_main,
        args=(writer, episodes, seed, width, height, cpu),
        name="rcan-peer-kuka",
        daemon=True,
    )
    with single_thread_environ():
        proc.start()
    writer.close()  # the child holds the only write end now, so its death reads as EOF
    try:
        if not reader.poll(timeout_s):
            _stop(proc, 0.0)
            raise RuntimeError(
                f"peer benchmark ({episodes} episodes at {width}x{height}) timed out after "
                f"{timeout_s} s"
            )
        try:
            status, payload = reader.recv()
        except EOFError:
            _stop(proc, 10.0)
            raise RuntimeError(
                f"peer benchmark child died without a result (exit code {proc.exitcode})"
            ) from None
    finally:
        reader.close()
    _stop(proc, 30.0)
    if status != "ok":
        raise RuntimeError(f"peer benchmark failed in the child process:\n{payload}")
    return payload
