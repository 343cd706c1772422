"""``rcan export``: the ONNX policy acts like the PyTorch one, action for action.

Both runtimes draw CEM's random numbers from the same numpy seed, so an exported policy must
give the same actions as GraspPolicy (up to float32 summation order) on any observation, for
a plain and an rcan (translator in front) policy, one observation or a batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from rcan.cli import main
from rcan.common.errors import RcanError
from rcan.transfer import GraspAction, GraspPolicy, OnnxGraspPolicy

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, canonical_run: Path,
             rcan_run: Path) -> dict[str, Path]:
    """Both tiny policies exported through the command line."""
    out = tmp_path_factory.mktemp("export")
    folders = {"canonical": out / "canonical", "rcan": out / "rcan"}
    assert main(["export", str(canonical_run), "--out", str(folders["canonical"])]) == 0
    assert main(["export", str(rcan_run), "--out", str(folders["rcan"])]) == 0
    return folders


def _assert_same(ours: list[GraspAction], theirs: list[GraspAction]) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert (a.close, a.open, a.terminate) == (b.close, b.open, b.terminate)
        np.testing.assert_allclose(a.as_array(), b.as_array(), atol=1e-5)
        np.testing.assert_allclose(a.translation, b.translation, atol=1e-6)
        assert a.q_value == pytest.approx(b.q_value, abs=1e-5)


@pytest.mark.parametrize("mode", ["canonical", "rcan"])
def test_onnx_acts_like_pytorch(mode: str, exported: dict[str, Path],
                                request: pytest.FixtureRequest,
                                observations: Callable) -> None:
    policy: GraspPolicy = request.getfixturevalue(f"{mode}_policy")
    onnx_policy = OnnxGraspPolicy.from_pretrained(exported[mode])
    assert onnx_policy.spec == policy.spec
    images, closed, height = observations(5, 21)
    for i in range(5):  # one observation at a time, as a control loop calls it
        _assert_same([policy.act(images[i], bool(closed[i]), float(height[i]), seed=i)],
                     [onnx_policy.act(images[i], bool(closed[i]), float(height[i]), seed=i)])
    # a batch of another size than the traced one (the batch axis is dynamic)
    _assert_same(policy.act_batch(images, closed, height, seed=8),
                 onnx_policy.act_batch(images, closed, height, seed=8))
    # the policies' own streams, from the same construction seed
    torch_stream = GraspPolicy(policy.network, policy.obs, policy.translator, policy.cem,
                               seed=3)
    onnx_stream = OnnxGraspPolicy.from_pretrained(exported[mode], seed=3)
    _assert_same([torch_stream.act(images[i], closed[i], height[i]) for i in range(3)],
                 [onnx_stream.act(images[i], closed[i], height[i]) for i in range(3)])


def test_export_folder_records_its_check(exported: dict[str, Path]) -> None:
    assert sorted(p.name for p in exported["rcan"].iterdir()) == ["policy.json", "policy.onnx"]
    meta = json.loads((exported["rcan"] / "policy.json").read_text())
    assert meta["format"] == "rcan-onnx-policy" and meta["spec"]["obs"] == "rcan"
    assert meta["check"]["max_action_difference"] <= 1e-4
    assert meta["check"]["max_q_difference"] <= 1e-4


def test_onnx_policy_checks_inputs(exported: dict[str, Path]) -> None:
    policy = OnnxGraspPolicy.from_pretrained(exported["canonical"])
    with pytest.raises(RcanError, match="rgb is 480 x 640 but the policy expects 64 x 64"):
        policy.act(np.zeros((480, 640, 3), np.uint8), 0, 0.1)
    with pytest.raises(RcanError, match="height must be finite"):
        policy.act(np.zeros((64, 64, 3), np.uint8), 0, float("nan"))


def test_export_errors(tmp_path: Path, exported: dict[str, Path],
                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is not a folder" in err
    assert not (tmp_path / "o").exists()
    with pytest.raises(RcanError, match=r"missing policy\.json"):
        OnnxGraspPolicy.from_pretrained(tmp_path)
    (tmp_path / "policy.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(RcanError, match="not an rcan export"):
        OnnxGraspPolicy.from_pretrained(tmp_path)


def test_malformed_spec_is_one_line(tmp_path: Path, exported: dict[str, Path]) -> None:
    meta = json.loads((exported["canonical"] / "policy.json").read_text())
    meta["spec"]["cem_samples"] = "eight"
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "policy.json").write_text(json.dumps(meta))
    with pytest.raises(RcanError, match=r"spec: cem_samples: expected an integer, got 'eight'"):
        OnnxGraspPolicy.from_pretrained(folder)
