"""GraspPolicy: loading train-policy output, action semantics, determinism, self-contained
folders, and that nothing but safetensors and JSON is ever read."""

from __future__ import annotations

import json
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from rcan.common.errors import RcanError
from rcan.qtopt.cem import ACTION_HIGH, ACTION_LOW
from rcan.qtopt.load import load_actor, saved_env_config
from rcan.transfer import GraspAction, GraspPolicy

_RNG = np.random.default_rng(3)
IMAGES = _RNG.integers(0, 256, (6, 64, 64, 3), dtype=np.uint8)
CLOSED = _RNG.integers(0, 2, 6).astype(np.float32)
HEIGHT = _RNG.uniform(0.0, 0.3, 6).astype(np.float32)


def _acts(policy: GraspPolicy, seed: int = 5) -> list[GraspAction]:
    return [policy.act(IMAGES[i], CLOSED[i], HEIGHT[i], seed=seed + i) for i in range(3)]


def test_run_folder_and_checkpoint_folder_load_the_same(canonical_run: Path,
                                                        canonical_policy: GraspPolicy) -> None:
    direct = GraspPolicy.from_pretrained(canonical_run / "checkpoint")
    assert _acts(direct) == _acts(canonical_policy)
    assert canonical_policy.image_size == (64, 64)
    assert canonical_policy.obs == "canonical" and canonical_policy.spec.cem_samples == 8


@pytest.mark.parametrize("mode", ["canonical", "rcan"])
def test_action_semantics(mode: str, request: pytest.FixtureRequest) -> None:
    policy: GraspPolicy = request.getfixturevalue(f"{mode}_policy")
    actions = policy.act_batch(IMAGES, CLOSED, HEIGHT, seed=0)
    assert len(actions) == len(IMAGES)
    for a in actions:
        assert all(abs(t) <= policy.spec.max_translation + 1e-9 for t in a.translation)
        assert abs(a.yaw) <= policy.spec.max_rotation + 1e-9
        assert all(type(v) is bool for v in (a.close, a.open, a.terminate))
        assert not (a.close and a.open)
        assert 0.0 <= a.q_value <= 1.0
        raw = a.as_array()
        assert np.all(raw >= np.array(ACTION_LOW) - 1e-6)
        assert np.all(raw <= np.array(ACTION_HIGH) + 1e-6)
        assert set(raw[4:].tolist()) <= {0.0, 1.0}


def test_scales_come_from_the_config(tmp_path: Path, canonical_policy: GraspPolicy) -> None:
    scaled = GraspPolicy(canonical_policy.network, "canonical", cem=canonical_policy.cem,
                         max_translation=0.02, max_rotation=0.1)
    folder = scaled.save_pretrained(tmp_path / "scaled")
    loaded = GraspPolicy.from_pretrained(folder)
    assert (loaded.spec.max_translation, loaded.spec.max_rotation) == (0.02, 0.1)
    a, b = loaded.act(IMAGES[0], 0, 0.1, seed=1), canonical_policy.act(IMAGES[0], 0, 0.1, seed=1)
    np.testing.assert_allclose(a.translation, np.array(b.translation) * 0.4, rtol=1e-6)
    assert a.yaw == pytest.approx(b.yaw / 4)
    np.testing.assert_allclose(a.as_array(), b.as_array(), atol=1e-6)


def test_close_lift_travels_with_the_policy(tmp_path: Path, make_run: Callable[..., Path],
                                            canonical_policy: GraspPolicy) -> None:
    """A policy trained with lift_on_close tells the robot to rise after closing, and its saved
    folder makes the evaluator lift on close too; other policies never ask for a lift."""
    run = make_run(tmp_path / "run", "canonical")
    config = json.loads((run / "checkpoint" / "config.json").read_text())
    config["env"] = {**config.get("env", {}), "lift_on_close": True, "lift_height": 0.1,
                     "end_on_hold": True}
    (run / "checkpoint" / "config.json").write_text(json.dumps(config))
    lifting = GraspPolicy.from_pretrained(run)
    assert lifting.spec.close_lift == pytest.approx(0.1) and lifting.spec.end_on_hold
    assert canonical_policy.spec.close_lift == 0.0 and not canonical_policy.spec.end_on_hold
    closed = np.zeros(64, np.float32)
    batch = np.repeat(IMAGES[:1], 64, axis=0)
    for policy in (lifting, canonical_policy):
        actions = policy.act_batch(batch, closed, np.full(64, 0.01, np.float32), seed=2)
        assert any(a.close for a in actions) and not all(a.close for a in actions)
        for a in actions:
            assert a.lift == (policy.spec.close_lift if a.close else 0.0)
    saved = lifting.save_pretrained(tmp_path / "saved")
    assert GraspPolicy.from_pretrained(saved).spec == lifting.spec
    saved_config = json.loads((saved / "config.json").read_text())
    env = saved_env_config(saved_config, "canonical", "procedural")
    assert env.lift_on_close and env.end_on_hold and env.lift_height == pytest.approx(0.1)
    config["env"]["lift_on_close"] = "yes"
    (run / "checkpoint" / "config.json").write_text(json.dumps(config))
    with pytest.raises(RcanError, match=r"env\.lift_on_close must be true or false"):
        GraspPolicy.from_pretrained(run)
    with pytest.raises(RcanError, match="end_on_hold needs a close lift"):
        GraspPolicy(canonical_policy.network, "canonical", end_on_hold=True)


def test_determinism(canonical_run: Path, canonical_policy: GraspPolicy) -> None:
    assert _acts(canonical_policy, seed=9) == _acts(canonical_policy, seed=9)
    assert _acts(canonical_policy, seed=9) != _acts(canonical_policy, seed=10)
    # without a seed, a policy plays its own stream: fresh policies replay it
    first = GraspPolicy.from_pretrained(canonical_run, seed=7)
    second = GraspPolicy.from_pretrained(canonical_run, seed=7)
    run = [first.act(IMAGES[i], CLOSED[i], HEIGHT[i]) for i in range(3)]
    second.act(IMAGES[0], CLOSED[0], HEIGHT[0], seed=123)  # an explicit seed leaves it alone
    assert run == [second.act(IMAGES[i], CLOSED[i], HEIGHT[i]) for i in range(3)]
    assert run[0] != run[1] or run[1] != run[2]
    # one observation alone and as a batch of one: the same draws, the same action
    batch = canonical_policy.act_batch(IMAGES[:1], CLOSED[:1], HEIGHT[:1], seed=4)
    assert batch == [canonical_policy.act(IMAGES[0], CLOSED[0], HEIGHT[0], seed=4)]


@pytest.mark.parametrize("mode", ["canonical", "rcan"])
def test_save_pretrained_is_self_contained(mode: str, tmp_path: Path, translator_dir: Path,
                                           make_run: Callable[..., Path]) -> None:
    translator = shutil.copytree(translator_dir, tmp_path / "elsewhere") if mode == "rcan" else None
    policy = GraspPolicy.from_pretrained(make_run(tmp_path / "run", mode, translator))
    folder = policy.save_pretrained(tmp_path / "saved")
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    expected = ["config.json", "online.safetensors"]
    if mode == "rcan":
        expected += ["translator/config.json", "translator/generator.safetensors"]
        shutil.rmtree(tmp_path / "elsewhere")  # the recorded translator is gone
    assert files == expected
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers
    loaded = GraspPolicy.from_pretrained(folder)
    assert _acts(loaded) == _acts(policy)
    # the evaluator reads the same folder
    actor, config = load_actor(folder, str(folder / "translator") if mode == "rcan" else None)
    assert config["obs"] == mode and config["format"] == "rcan-grasp-policy"
    assert actor.cem == policy.cem
    # saving again replaces an earlier save
    assert _acts(GraspPolicy.from_pretrained(loaded.save_pretrained(folder))) == _acts(policy)


def test_save_pretrained_never_replaces_a_foreign_folder(tmp_path: Path,
                                                         canonical_policy: GraspPolicy) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(RcanError, match="not a policy folder written by rcan"):
        canonical_policy.save_pretrained(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_translator_resolution(tmp_path: Path, translator_dir: Path, canonical_run: Path,
                               make_run: Callable[..., Path]) -> None:
    moved = make_run(tmp_path / "run", "rcan", tmp_path / "gone")
    with pytest.raises(RcanError, match=r"translator '.*gone' \(config.json\) is not a folder"):
        GraspPolicy.from_pretrained(moved)
    explicit = GraspPolicy.from_pretrained(moved, translator=translator_dir)
    shutil.copytree(translator_dir, moved / "translator")
    beside = GraspPolicy.from_pretrained(moved)
    assert _acts(explicit) == _acts(beside)
    with pytest.raises(RcanError, match="has obs 'canonical' and uses no translator"):
        GraspPolicy.from_pretrained(canonical_run, translator=translator_dir)


def test_bad_folders(tmp_path: Path, canonical_run: Path) -> None:
    with pytest.raises(RcanError, match="is not a folder"):
        GraspPolicy.from_pretrained(tmp_path / "missing")
    broken = shutil.copytree(canonical_run, tmp_path / "broken")
    (broken / "checkpoint" / "config.json").write_text("{not json")
    with pytest.raises(RcanError, match=r"config\.json is malformed"):
        GraspPolicy.from_pretrained(broken)
    config = json.loads((canonical_run / "checkpoint" / "config.json").read_text())
    (broken / "checkpoint" / "config.json").write_text(json.dumps({**config, "obs": "rcan"}))
    with pytest.raises(RcanError, match="needs a translator"):
        GraspPolicy.from_pretrained(broken)


class _Touch:
    """Unpickling this creates a file: proof that a pickle was (or was not) loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return Path.touch, (self.marker,)


def test_no_pickle_is_ever_loaded(tmp_path: Path, rcan_run: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "unpickled"
    run = shutil.copytree(rcan_run, tmp_path / "run")
    for name in ("model.pt", "weights.pkl"):
        (run / "checkpoint" / name).write_bytes(pickle.dumps(_Touch(marker)))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pickle loader was called")

    for owner, name in ((torch, "load"), (pickle, "load"), (pickle, "loads"),
                        (pickle, "Unpickler")):
        monkeypatch.setattr(owner, name, refuse)
    policy = GraspPolicy.from_pretrained(run)  # pickles beside the weights are ignored
    policy.act(IMAGES[0], 0, 0.1)
    assert not marker.exists()
    (run / "checkpoint" / "online.safetensors").unlink()
    with pytest.raises(RcanError, match=r"missing online.safetensors \(found model.pt, "
                                        r"weights.pkl: pickle files are never loaded"):
        GraspPolicy.from_pretrained(run)
    assert not marker.exists()


def test_save_policy_command_writes_a_folder_with_the_runs_provenance(
    tmp_path: Path, translator_dir: Path, make_run: Callable[..., Path]
) -> None:
    from rcan.cli import main

    run = make_run(tmp_path / "run", "rcan", translator_dir)
    (run / "config.json").write_text(json.dumps({"command": "rcan train-policy --obs rcan"}))
    (run / "curve.json").write_text(json.dumps([{"grasps": 40, "success": 0.25}]))
    main(["save-policy", str(run), "--out", str(tmp_path / "shipped")])
    config = json.loads((tmp_path / "shipped" / "config.json").read_text())
    assert config["trained"]["command"] == "rcan train-policy --obs rcan"
    assert config["trained"]["last_evaluation"] == {"grasps": 40, "success": 0.25}
    shipped = GraspPolicy.from_pretrained(tmp_path / "shipped")
    assert _acts(shipped) == _acts(GraspPolicy.from_pretrained(run))
