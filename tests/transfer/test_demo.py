"""``rcan demo`` with tiny settings: with a policy folder, and without one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rcan.cli import main
from rcan.transfer.grasp_policy import GraspPolicy


def test_demo_plays_the_policy_and_writes_the_report(
        tmp_path: Path, rcan_policy: GraspPolicy, translator_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    policy = rcan_policy.save_pretrained(tmp_path / "policy_rcan")
    out = tmp_path / "demo"
    code = main(["demo", "--out", str(out), "--policy", str(policy), "--translator",
                 str(translator_dir), "--episodes", "2", "--gif-episodes", "1",
                 "--translation-samples", "1", "--show-samples", "1", "--grid", "5"])
    assert code == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    assert list(results["results"]) == ["rcan policy", "perfect G(x)", "scripted", "oracle"]
    assert results["policy_missing"] is None and results["domain"] == "target"
    for name, r in results["results"].items():
        assert r["episodes"] == 2 and 0 <= r["ci_low"] <= r["success"] <= r["ci_high"] <= 1
        assert f"{r['success']:.1%}" in printed.split(name, 1)[1].splitlines()[0]
    report = out / "report"
    names = {p.name for p in report.iterdir()}
    assert names == {"report.md", "report.html", "translations.png", "episode_rcan_0.gif",
                     "episode_oracle_0.gif", "q_map.png", "show_randomized.png",
                     "show_target.png", "show_canonical.png"}
    md = (report / "report.md").read_text()
    assert "| rcan policy |" in md and "No RCAN policy" not in md
    assert "| perfect G(x) |" in md and "what translation costs" in md


def test_demo_without_a_policy_says_so_and_makes_the_rest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    code = main(["demo", "--out", str(out), "--policy", str(tmp_path / "nowhere"),
                 "--translator", str(tmp_path / "none"), "--episodes", "2",
                 "--show-samples", "0"])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"no RCAN policy at {tmp_path / 'nowhere'}" in printed
    results = json.loads((out / "results.json").read_text())
    assert list(results["results"]) == ["scripted", "oracle"]
    assert results["policy_missing"] == "does not exist"
    md = (out / "report" / "report.md").read_text()
    assert "**No RCAN policy**" in md and "No translator at" in md
    assert (out / "report" / "episode_oracle_0.gif").is_file()
