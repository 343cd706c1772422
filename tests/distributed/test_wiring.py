"""Choosing the wiring, bad worker counts and a missing Ray: one-line errors, nothing written.
None of these tests needs Ray installed."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rcan.cli import main
from rcan.common.errors import RcanError
from rcan.distributed import (
    LOCAL_START_TRIES,
    check_reachable,
    ray_session,
    require_ray,
    wants_ray,
)
from rcan.qtopt.train import TrainPolicyConfig

RAY_MISSING = "ray is not installed: pip install 'rcan[ray]'"


@pytest.mark.parametrize(
    ("settings", "ray"),
    [({}, False), ({"collectors": 2}, True), ({"bellman_updaters": 1}, True),
     ({"ray_address": "auto"}, True)],
)
def test_only_scale_out_settings_ask_for_ray(settings: dict, ray: bool) -> None:
    assert wants_ray(TrainPolicyConfig(**settings)) is ray


def test_bad_worker_counts_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(RcanError, match="--bellman-updaters must be >= 0, got -1"):
        wants_ray(TrainPolicyConfig(bellman_updaters=-1))
    out = tmp_path / "run"
    assert main(["train-policy", "--collectors", "0", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "rcan train-policy: error: train-policy: --collectors must be >= 1, got 0"
    assert not out.exists()


def test_missing_ray_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    with pytest.raises(RcanError, match=re.escape(RAY_MISSING)):
        require_ray()
    run, data = tmp_path / "run", tmp_path / "data"
    assert main(["train-policy", "--collectors", "2", "--out", str(run)]) == 2
    assert capsys.readouterr().err.strip() == f"rcan train-policy: error: {RAY_MISSING}"
    assert main(["generate", "--ray", "--shards", "1", "--out", str(data)]) == 2
    assert capsys.readouterr().err.strip() == f"rcan generate: error: {RAY_MISSING}"
    assert main(["bench", "ray", "--out", str(tmp_path / "b.json")]) == 2
    assert capsys.readouterr().err.strip() == f"rcan bench: error: {RAY_MISSING}"
    assert not run.exists() and not data.exists() and not (tmp_path / "b.json").exists()


def test_rcan_imports_without_ray() -> None:
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "import rcan, rcan.cli, rcan.qtopt.train, rcan.data.generate, rcan.bench.ray_bench\n"
        "import rcan.distributed.train, rcan.distributed.generate, rcan.distributed.workers\n"
        "assert sys.modules['ray'] is None\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.returncode == 0, done.stderr


def test_unreachable_cluster_fails_in_seconds() -> None:
    with socket.socket() as s:  # a port nobody listens on: bind one, then close it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RcanError, match=f"cannot reach a Ray cluster at 127.0.0.1:{port}"):
        check_reachable(f"127.0.0.1:{port}")
    check_reachable("auto")  # resolved by Ray itself
    check_reachable("ray://head:10001")


class FlakyRay:
    """Stands in for ``ray``: its first ``fails`` inits time out as Ray's do on a busy machine."""

    def __init__(self, fails: int, error: str = "The current node timed out during startup. "
                 "This could happen because some of the raylet failed to startup.") -> None:
        self.fails, self.error = fails, error
        self.inits = self.shutdowns = 0

    def is_initialized(self) -> bool:
        return False

    def init(self, **kwargs: object) -> None:
        self.inits += 1
        if self.inits <= self.fails:
            raise Exception(self.error)

    def shutdown(self) -> None:
        self.shutdowns += 1


def test_a_local_ray_that_times_out_at_startup_is_tried_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FlakyRay(fails=LOCAL_START_TRIES - 1)
    monkeypatch.setattr("rcan.distributed.require_ray", lambda: fake)
    with ray_session(None, num_cpus=1) as ray:
        assert ray is fake and fake.inits == LOCAL_START_TRIES
    assert fake.shutdowns == LOCAL_START_TRIES  # each failed start, then the session's end


def test_a_local_ray_that_never_starts_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FlakyRay(fails=LOCAL_START_TRIES)
    monkeypatch.setattr("rcan.distributed.require_ray", lambda: fake)
    with pytest.raises(RcanError, match=r"^cannot start or join Ray at local: The current node "
                       r"timed out during startup\. This could"), ray_session(None):
        pass
    assert fake.inits == LOCAL_START_TRIES


def test_other_ray_start_errors_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FlakyRay(fails=1, error="something else went wrong")
    monkeypatch.setattr("rcan.distributed.require_ray", lambda: fake)
    with pytest.raises(Exception, match="something else"), ray_session(None):
        pass
    assert fake.inits == 1
