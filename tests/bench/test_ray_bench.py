"""rcan bench ray: the reported rates and ratio are the quotients of what was measured."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from rcan.bench.ray_bench import RayBenchConfig, bench_ray, scaling_report
from rcan.qtopt.networks import QNetworkConfig


def test_report_divides_what_was_measured() -> None:
    runs = [
        {"collectors": 1, "episodes": 40, "steps": 300, "seconds": 10.0},
        {"collectors": 2, "episodes": 40, "steps": 300, "seconds": 5.5},
        {"collectors": 4, "episodes": 40, "steps": 300, "seconds": 4.0},
    ]
    report = scaling_report(runs, {}, "rcan bench ray", {})
    assert report["collectors"] == [1, 2, 4]
    assert report["episodes_per_s"] == pytest.approx([4.0, 40 / 5.5, 10.0])
    assert report["steps_per_s"] == pytest.approx([30.0, 300 / 5.5, 75.0])
    assert report["ratio_2_over_1"] == pytest.approx(10.0 / 5.5)
    assert report["speedup_over_1"] == pytest.approx([1.0, 10.0 / 5.5, 2.5])
    no_one = scaling_report(runs[1:], {}, "", {})
    assert no_one["ratio_2_over_1"] is None and no_one["speedup_over_1"] is None


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[ModuleType]:
    """A local Ray with 2 CPUs, shut down after this module so that its processes and threads
    do not linger under the rest of the suite."""
    from rcan.distributed import ray_session

    with ray_session(None, num_cpus=2) as ray:
        yield ray


@pytest.mark.ray
@pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                    reason="ray is not installed: pip install 'rcan[ray]'")
def test_bench_ray_writes_consistent_json(tmp_path: Path, ray_cluster: ModuleType) -> None:
    out = tmp_path / "ray_scaling.json"
    config = RayBenchConfig(episodes=4, chunk=1, image_size=32, num_objects=1,
                            network=QNetworkConfig(channels=8, hidden=16), out=out)
    result = bench_ray(config)
    saved = json.loads(out.read_text())
    assert saved["collectors"] == [1, 2] == [r["collectors"] for r in saved["runs"]]
    assert [r["episodes"] for r in saved["runs"]] == [4, 4]  # the same work for each count
    rates = [r["episodes"] / r["seconds"] for r in saved["runs"]]
    assert saved["episodes_per_s"] == pytest.approx(rates)
    assert saved["ratio_2_over_1"] == pytest.approx(rates[1] / rates[0])
    assert saved["ratio_2_over_1"] == pytest.approx(result["ratio_2_over_1"])
    assert saved["machine"]["cores"] >= 1 and saved["command"].startswith("rcan bench ray")
