"""The transfer report from a table JSON alone, its curves' points, and the report folder's
atomic, careful writing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from rcan.cli import main
from rcan.common.errors import RcanError
from rcan.common.stats import wilson
from rcan.transfer.document import ReportFolder
from rcan.transfer.report import PAPER, ReportConfig, build_report, curve_points, table_rows
from rcan.transfer.table import make_cell


def _cell(successes: int, episodes: int) -> dict[str, Any]:
    rate = wilson(successes, episodes)
    return make_cell({"success": rate.success, "ci_low": rate.ci_low, "ci_high": rate.ci_high,
                      "episodes": episodes})


TABLE = {
    "canonical": {"sim": _cell(190, 200), "target_0": _cell(20, 200),
                  "target_5k": _cell(50, 200), "target_28k": _cell(60, 200)},
    "rcan": {"sim": _cell(180, 200), "target_0": _cell(101, 200),
             "target_5k": _cell(150, 200), "target_28k": _cell(171, 200)},
}


def test_report_from_a_table_alone(tmp_path: Path) -> None:
    table = tmp_path / "table1.json"
    table.write_text(json.dumps(TABLE))
    out = build_report(ReportConfig(table=table))
    assert out == tmp_path / "table1_report"
    md = (out / "report.md").read_text()
    assert "| rcan / RCAN | 90.0% [85.1, 93.4] n=200 | 99% | 50.5% [43.6, 57.4] n=200 | 70% |" in md
    assert "85.5%" in md and "94%" in md  # ours and the paper's at 28k grasps, side by side
    assert "randomized" not in md.split("## Ours beside the paper")[1].split("##")[0]
    assert "No translator given or found" in md and "No policy folders" in md
    assert "No metadata file" in md
    curves = Image.open(out / "finetuning_curves.png")
    assert curves.size[0] > 2 * curves.size[1]  # one panel per row, side by side
    html = (out / "report.html").read_text()
    assert html.count("src='data:image/png;base64,") == 1 and "<td>70%</td>" in html


def test_paper_columns_follow_ours() -> None:
    header, rows = table_rows(TABLE, {"sim": None, "target_0": 0, "target_5k": 5000,
                                      "target_28k": 28000})
    assert header[1:3] == ["sim: ours", "paper (sim)"]
    assert header[-2:] == ["target + 28,000 grasps: ours", "paper (real robot)"]
    assert rows[0][-1] == "-" and PAPER["canonical"]["target_28k"] is None
    assert rows[1][-1] == "94%"


def test_curve_points_join_cells_and_the_finetuning_runs_evaluations() -> None:
    meta = {"rows": {"rcan": {"finetune_curve": [
        {"grasps": 2500, "success": 0.6, "ci_low": 0.5, "ci_high": 0.7, "episodes": 50}]}}}
    cells, between = curve_points("rcan", TABLE, meta, {"sim": None, "target_0": 0,
                                                        "target_5k": 5000, "target_28k": 28000})
    assert [p["grasps"] for p in cells] == [0, 5000, 28000]
    assert [p["success"] for p in cells] == [0.505, 0.75, 0.855]
    assert [p["grasps"] for p in between] == [2500]


def test_report_cli_and_bad_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "t.json"
    table.write_text(json.dumps({"rcan": {"sim": {"success": 2.0}}}))
    assert main(["experiment", "report", "--table", str(table)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "t.json" in err
    assert main(["experiment", "report", "--table", str(tmp_path / "none.json")]) == 2
    table.write_text(json.dumps(TABLE))
    assert main(["experiment", "report", "--table", str(table), "--out",
                 str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "report.html").is_file()


def test_report_folder_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    out = tmp_path / "report"
    with ReportFolder(out, "first") as doc:
        doc.paragraph("one <script>")
    assert "one &lt;script&gt;" in (out / "report.html").read_text()
    with pytest.raises(ZeroDivisionError), ReportFolder(out, "second") as doc:
        doc.paragraph("two")
        doc.file("a.png").write_bytes(b"x")
        _ = 1 / 0
    assert "# first" in (out / "report.md").read_text()  # the previous report survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no leftovers
    with ReportFolder(out, "third") as doc:
        Image.new("RGB", (4, 4)).save(doc.file("p.png"))
        doc.image("p.png", "a `picture`")
    assert sorted(p.name for p in out.iterdir()) == ["p.png", "report.html", "report.md"]
    assert "<code>picture</code>" in (out / "report.html").read_text()


def test_report_folder_refuses_other_folders(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me")
    with pytest.raises(RcanError, match="not a report folder"), ReportFolder(mine, "x"):
        pass
    assert (mine / "thesis.tex").read_text() == "keep me"
    with pytest.raises(RcanError, match="was not written"), ReportFolder(tmp_path / "r",
                                                                          "x") as doc:
        doc.image("missing.png", "nothing")
    with pytest.raises(RcanError, match="plain, unreserved"), ReportFolder(tmp_path / "r",
                                                                            "x") as doc:
        doc.file("../escape.png")
