"""Tests for the pybullet KukaDiverseObjectEnv peer benchmark and its old-gym import shim."""

from __future__ import annotations

import importlib
import sys
import types

import pytest

from rcan.bench.peer_kuka import (
    PEER_MODULE,
    PeerResult,
    legacy_gym_shim,
    run_peer_isolated,
)


def _shim_namespace(name: str) -> bool:
    return name.split(".")[0] in {"gym", "pkg_resources", "pybullet_envs"}


def test_shim_imports_peer_and_cleans_up() -> None:
    """The peer imports under the shim, and nothing fake is left behind afterwards."""
    had_pkg_resources = "pkg_resources" in sys.modules
    pkg_resources_before = sys.modules.get("pkg_resources")
    path_before = list(sys.path)

    with legacy_gym_shim():
        assert "gym" in sys.modules
        module = importlib.import_module(PEER_MODULE)
    env_cls = module.KukaDiverseObjectEnv

    assert "gym" not in sys.modules
    assert not any(name.startswith("gym.") for name in sys.modules)
    assert ("pkg_resources" in sys.modules) == had_pkg_resources
    assert sys.modules.get("pkg_resources") is pkg_resources_before
    assert not any(name.startswith("pybullet_envs") for name in sys.modules)
    assert sys.path == path_before
    # The imported class stays usable after the stand-ins are gone.
    assert callable(env_cls.reset) and callable(env_cls.step)


def test_shim_restores_preexisting_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries that existed before the shim (a real gym, say) come back untouched."""
    sentinel = types.ModuleType("pkg_resources")
    monkeypatch.setitem(sys.modules, "pkg_resources", sentinel)
    before = {n: m for n, m in sys.modules.items() if _shim_namespace(n)}
    with legacy_gym_shim():
        assert sys.modules["pkg_resources"] is not sentinel
        assert sys.modules["pkg_resources"].parse_version("0.21.0") > sys.modules[
            "pkg_resources"
        ].parse_version("0.9.6")
    assert sys.modules["pkg_resources"] is sentinel
    assert {n: m for n, m in sys.modules.items() if _shim_namespace(n)} == before


def test_run_peer_isolated_two_episodes() -> None:
    """Two real peer episodes in a spawned process give sane counts."""
    result = run_peer_isolated(2, seed=0, width=48, height=48, timeout_s=120)
    assert isinstance(result, PeerResult)
    assert result.episodes == 2
    assert 2 <= result.steps <= 16
    assert 0 <= result.successes <= 2
    assert result.seconds > 0
    assert 0 < result.reset_seconds < result.seconds
    assert result.episodes_per_s > 0 and result.steps_per_s > 0


def test_run_peer_isolated_reports_child_errors() -> None:
    """An exception in the child surfaces as RuntimeError carrying the child's message."""
    with pytest.raises(RuntimeError, match="episodes must be >= 1"):
        run_peer_isolated(0, timeout_s=120)


def test_run_peer_isolated_times_out() -> None:
    """A child that cannot finish in time is stopped and reported."""
    with pytest.raises(RuntimeError, match="timed out"):
        run_peer_isolated(50, timeout_s=0.05)
