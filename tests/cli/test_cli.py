"""The console entry point: subcommands, help, one-line errors with exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from rcan.cli import main


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("generate", "show", "rollout", "bench", "demo"):
        assert name in out


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_bad_domain_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "grid.png"
    assert main(["show", "--domain", "nope", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown domain 'nope'" in err
    assert not out.exists()


def test_malformed_domain_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("lighting: {azimuth: [1, 2, 3]}\n")
    assert main(["show", "--domain", str(bad), "--out", str(tmp_path / "g.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert "bad.yaml" in err and "lighting.azimuth" in err


def test_show_writes_grid(tmp_path: Path) -> None:
    out = tmp_path / "grid.png"
    code = main(["show", "--domain", "target", "--samples", "2", "--image-size", "32",
                 "--scale", "1", "--out", str(out)])
    assert code == 0
    image = Image.open(out)
    assert image.size == (4 * 32, 2 * 32)
