"""Publishing a run's curve, and the published results in the repository agreeing with
themselves (success, interval and episodes must be one Wilson interval of whole episodes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rcan.common.errors import RcanError
from rcan.common.stats import wilson
from rcan.qtopt.evaluate import compare_evaluations
from rcan.qtopt.results import publish_run

RESULTS = Path(__file__).resolve().parents[2] / "results"


def _fake_run(folder: Path, grasps: list[int], budget: int) -> None:
    folder.mkdir(parents=True)
    curve = []
    for i, g in enumerate(grasps):
        rate = wilson(10 * (i + 1), 100)
        curve.append({"grasps": g, "gradient_steps": 2 * g, "success": rate.success,
                      "ci_low": rate.ci_low, "ci_high": rate.ci_high, "episodes": 100,
                      "mean_episode_length": 8.0})
    (folder / "curve.json").write_text(json.dumps(curve))
    (folder / "config.json").write_text(json.dumps({"grasps": budget, "command": "rcan x"}))


def test_publish_takes_the_last_evaluation_and_says_whether_the_run_finished(
    tmp_path: Path,
) -> None:
    _fake_run(tmp_path / "run", [1000, 2000], budget=5000)
    metrics = publish_run(tmp_path / "run", tmp_path / "out")
    assert metrics["success"] == pytest.approx(0.2) and metrics["grasps_trained"] == 2000
    assert metrics["complete"] is False and metrics["episodes"] == 100
    assert json.loads((tmp_path / "out" / "metrics.json").read_text()) == metrics
    assert (tmp_path / "out" / "curve.png").stat().st_size > 0


def test_publish_copies_the_latest_network_as_a_policy_folder(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    from rcan.qtopt.networks import QNetwork
    from rcan.transfer.grasp_policy import GraspPolicy

    run = tmp_path / "run"
    _fake_run(run, [1000], budget=1000)
    checkpoint = run / "checkpoint"
    checkpoint.mkdir()
    save_file(QNetwork().state_dict(), checkpoint / "online.safetensors")
    (checkpoint / "config.json").write_text(json.dumps({"obs": "canonical"}))
    (checkpoint / "state.json").write_text(json.dumps({"grasps": 1040}))
    (checkpoint / "replay.h5").write_bytes(b"big")
    metrics = publish_run(run, tmp_path / "out")
    policy = tmp_path / "out" / "policy"
    assert sorted(p.name for p in policy.iterdir()) == ["config.json", "online.safetensors"]
    assert metrics["policy_grasps"] == 1040
    assert GraspPolicy.from_pretrained(policy).obs == "canonical"
    # publishing again replaces the folder whole
    publish_run(run, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "config.json", "curve.json", "curve.png", "metrics.json", "policy"]


def test_publish_refuses_a_run_without_evaluations(tmp_path: Path) -> None:
    _fake_run(tmp_path / "run", [], budget=5000)
    with pytest.raises(RcanError, match="no evaluation"):
        publish_run(tmp_path / "run", tmp_path / "out")


@pytest.mark.parametrize("name", ["policy_canonical", "policy_canonical_plain", "policy_rcan",
                                  "policy_randomized", "policy_canonical_shift4",
                                  "policy_canonical_shift4_seed1", "policy_canonical_shift4_cos"])
def test_published_policy_results_are_consistent(name: str) -> None:
    folder = RESULTS / name
    if not folder.is_dir():
        pytest.skip(f"results/{name} not published")
    metrics = json.loads((folder / "metrics.json").read_text())
    curve = json.loads((folder / "curve.json").read_text())
    last = curve[-1]
    assert metrics["grasps_trained"] == last["grasps"]
    assert metrics["complete"] == (last["grasps"] >= metrics["budget_grasps"])
    for point in [metrics, *curve]:
        successes = point["success"] * point["episodes"]
        assert successes == pytest.approx(round(successes))
        expected = wilson(round(successes), point["episodes"])
        assert point["ci_low"] == pytest.approx(expected.ci_low)
        assert point["ci_high"] == pytest.approx(expected.ci_high)
    assert [p["grasps"] for p in curve] == sorted(p["grasps"] for p in curve)


def test_cosine_readme_quotes_its_curves_and_evaluations() -> None:
    folder = RESULTS / "policy_canonical_shift4_cos"
    if not (folder / "README.md").is_file():
        pytest.skip("results/policy_canonical_shift4_cos not published")
    lines = (folder / "README.md").read_text().splitlines()
    compare = json.loads((folder / "compare" / "compare.json").read_text())
    by_grasps = {p["grasps"]: p for p in compare["points"]}
    labels = {"seed 0, constant rate": "seed0", "seed 1, constant rate": "seed1",
              "seed 0, cosine decay": "cosine"}
    header = next(line for line in lines if line.startswith("| grasps (thousands)"))
    grasps = [1000 * int(c) for c in [c.strip() for c in header.strip("|").split("|")][1:-1]]
    rows = [line for line in lines if line.startswith(tuple(f"| {n} |" for n in labels))]
    assert len(rows) == 3 + 2  # the curve table, then the evaluation table (seed 0s)
    for row in rows[:3]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        key = labels[cells[0]]
        assert cells[1:-1] == [f"{round(100 * by_grasps[g][key]['success'])}" for g in grasps]
        pooled = compare["pooled_over_points"][key]
        assert cells[-1].startswith(f"{100 * pooled['success']:.1f}% ")
    assert compare["pooled_since"] == 32000

    def cell(path: Path) -> str:
        r = json.loads(path.read_text())
        return f"{100 * r['success']:.1f}% [{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}]"

    cosine = [c.strip() for c in rows[-1].strip("|").split("|")][1:]
    assert cosine == [cell(folder / "eval_200.json"),
                      cell(folder / "ensemble" / "test_s30000_k1.json"),
                      cell(folder / "ensemble" / "test_s30000_k5.json")]
    constant = [c.strip() for c in rows[3].strip("|").split("|")][1:]
    seed0 = RESULTS / "policy_canonical_shift4"
    assert constant == [cell(seed0 / "eval_200.json"),
                        cell(seed0 / "ensemble" / "test_s30000_k1.json"),
                        cell(seed0 / "ensemble" / "test_s30000_k5.json")]


def test_canonical_readme_quotes_its_cem_evaluations() -> None:
    folder = RESULTS / "policy_canonical_plain"
    if not (folder / "README.md").is_file():
        pytest.skip("results/policy_canonical_plain not published")
    rows = [line for line in (folder / "README.md").read_text().splitlines()
            if line.startswith("| ") and "samples" in line]
    names = ["eval_200", "eval_200_cem256x3", "eval_200_cem1024x3"]
    assert len(rows) == len(names)
    for name, row in zip(names, rows, strict=True):
        result = json.loads((folder / f"{name}.json").read_text())
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == f"{100 * result['success']:.1f}%", name
        assert cells[3] == str(result["outcomes"]["closed_on_nothing"]), name
        if "act_cem" in result:  # evaluations from before the field existed used the defaults
            assert f"{result['act_cem']['samples']:,} samples" in cells[0], name


def test_canonical_readme_quotes_where_the_gripper_closed() -> None:
    folder = RESULTS / "policy_canonical_plain"
    if not (folder / "README.md").is_file():
        pytest.skip("results/policy_canonical_plain not published")
    closing = json.loads((folder / "eval_200.json").read_text())["closing"]
    rows = [line for line in (folder / "README.md").read_text().splitlines()
            if line.startswith(("| success |", "| closed on nothing |"))]
    assert len(rows) == 2
    for outcome, row in zip(("success", "closed_on_nothing"), rows, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        summary = closing[outcome]
        assert int(cells[1]) == summary["episodes"]
        assert cells[2] == " / ".join(f"{v:.1f}" for v in summary["distance_cm"])
        assert cells[3] == " / ".join(f"{v:.1f}" for v in summary["height_cm"])



def test_canonical_readme_quotes_its_curve_and_final_evaluation() -> None:
    folder = RESULTS / "policy_canonical"
    if not (folder / "README.md").is_file():
        pytest.skip("results/policy_canonical not published")
    lines = (folder / "README.md").read_text().splitlines()
    curve = json.loads((folder / "curve.json").read_text())
    metrics = json.loads((folder / "metrics.json").read_text())

    def row(start: str) -> list[str]:
        line = next(line for line in lines if line.startswith(start))
        return [c.strip() for c in line.strip("|").split("|")][1:]

    assert row("| grasps |") == [f"{p['grasps']:,}" for p in curve]
    assert row("| success |") == [f"{round(100 * p['success'])}%" for p in curve]
    assert row("| timeouts |") == [str(p["timeouts"]) for p in curve]
    result = json.loads((folder / "eval_600_s30000.json").read_text())
    retries, outcomes = result["retries"], result["outcomes"]
    assert row("| held-out objects, canonical") == [
        str(result["episodes"]), f"{100 * result['success']:.1f}%",
        f"[{100 * result['ci_low']:.1f}, {100 * result['ci_high']:.1f}]",
        str(outcomes["closed_on_nothing"]), str(outcomes["ended_open"]),
        str(result["timeouts"]), f"{retries['episodes']} ({retries['success']})",
        f"{retries['mean_attempts']:.2f}"]
    title = lines[0]
    assert f"{100 * result['success']:.1f}%" in title
    assert f"{metrics['policy_grasps']:,} grasps" in title
    assert result["success"] >= 0.85 and metrics["grasps_trained"] <= 50_000


def test_fit_readme_quotes_its_curve_and_evaluations() -> None:
    folder = RESULTS / "policy_canonical_fit"
    if not (folder / "README.md").is_file():
        pytest.skip("results/policy_canonical_fit not published")
    lines = (folder / "README.md").read_text().splitlines()
    curve = json.loads((folder / "fit_curve.json").read_text())
    added = next(line for line in lines if line.startswith("| gradient steps added"))
    assert [c.strip() for c in added.strip("|").split("|")][1:] == [
        f"{p['added_steps']:,}" for p in curve]
    row = next(line for line in lines if line.startswith("| success (100 episodes)"))
    assert [c.strip() for c in row.strip("|").split("|")][1:] == [
        f"{round(100 * p['success'])}%" for p in curve]
    rows = [line for line in lines if line.startswith("| after") or line.startswith("| the same")]
    files = [RESULTS / "policy_canonical_plain" / "eval_200.json", folder / "eval_200.json"]
    for path, line in zip(files, rows, strict=True):
        result = json.loads(path.read_text())
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] == f"{100 * result['success']:.1f}%"
        assert cells[2] == f"[{100 * result['ci_low']:.1f}, {100 * result['ci_high']:.1f}]"
        assert [int(cells[3]), int(cells[4])] == [result["outcomes"]["closed_on_nothing"],
                                                  result["outcomes"]["ended_open"]]
        distance = result["closing"]["closed_on_nothing"]["distance_cm"]
        assert cells[5] == " / ".join(f"{v:.1f}" for v in distance)


PATIENCE = RESULTS / "patience"


@pytest.mark.skipif(not (PATIENCE / "table.py").is_file(), reason="not published")
def test_patience_table_is_recomputed_and_quoted(load_script, monkeypatch) -> None:
    monkeypatch.chdir(RESULTS.parent)  # the comparisons name their files from the root
    module = load_script(PATIENCE / "table.py")
    for _, stem in module.ROWS:
        paired = json.loads((PATIENCE / f"{stem}_paired.json").read_text())
        recomputed = compare_evaluations(paired["a"]["file"], paired["b"]["file"])
        assert {k: v for k, v in paired.items() if k != "command"} == recomputed, stem
        patient = json.loads((PATIENCE / f"{stem}_p1.json").read_text())
        assert patient["patience"]["factor"] == 1.0, stem
    assert module.table() in (PATIENCE / "README.md").read_text()


CHANCE = RESULTS / "acting_chance"


@pytest.mark.parametrize("folder, summary_file", [
    ("acting_chance", "chance.json"),
    ("regrasp_oracle", "regrasp.json"),
    ("lift_on_close", "lift.json"),
])
def test_table_is_recomputed_and_quoted(folder: str, summary_file: str, load_script) -> None:
    """Each results folder's table.py recomputes its published summary from the evaluation
    JSONs beside it, and its README quotes the table that summary prints."""
    here = RESULTS / folder
    if not (here / summary_file).is_file():
        pytest.skip("not published")
    module = load_script(here / "table.py")
    summary = module.summarize()
    assert summary == json.loads((here / summary_file).read_text())
    assert module.table(summary) in (here / "README.md").read_text()


@pytest.mark.skipif(not (CHANCE / "chance.json").is_file(), reason="not published")
def test_acting_chance_reading_holds(load_script) -> None:
    """The README's reading of the table: replays agree no more than coin flips."""
    for row in load_script(CHANCE / "table.py").summarize()["pairs"].values():
        assert abs(row["phi"]) < 0.1


@pytest.mark.skipif(not (RESULTS / "lift_on_close" / "lift.json").is_file(),
                    reason="not published")
def test_lift_on_close_reading_holds(load_script) -> None:
    """The README's reading: end on hold beats the baseline and retries; lift alone does not."""
    rows = list(load_script(RESULTS / "lift_on_close" / "table.py").summarize()["rows"].values())
    baseline, lift, hold = rows
    assert hold["ci_low"] > 0.85 > baseline["ci_high"] and hold["p_value"] < 1e-6
    assert lift["success"] < baseline["success"]
    assert hold["retries"]["success"] > 0.5 * hold["retries"]["episodes"]
