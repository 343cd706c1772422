"""Translation pictures through the CLI: simulator states and a folder of photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rcan.cli import main
from rcan.common.checkpoint import save_checkpoint
from rcan.translator.networks import GeneratorConfig, UNetGenerator


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ckpt") / "translator"
    config = GeneratorConfig(base_channels=8, depth=3)
    save_checkpoint(folder, {"generator": UNetGenerator(config)}, {}, {"step": 0},
                    {"generator": config})
    return folder


def test_show_translates_simulator_states(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "grid.png"
    code = main(["show", "--translator", str(checkpoint), "--samples", "2", "--image-size", "32",
                 "--scale", "1", "--domain", "target", "--out", str(out)])
    assert code == 0
    assert Image.open(out).size == (5 * 32, 2 * 32)


def test_show_translates_your_photos(checkpoint: Path, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i, size in enumerate([(120, 90), (64, 64), (50, 200)]):
        Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(photos / f"{i}.jpg")
    (photos / "notes.txt").write_text("not an image")
    out = tmp_path / "photos.png"
    code = main(["show", "--translator", str(checkpoint), "--images", str(photos),
                 "--image-size", "32", "--scale", "1", "--out", str(out)])
    assert code == 0
    assert Image.open(out).size == (4 * 32, 3 * 32)


def test_photo_errors_are_one_line(checkpoint: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "--translator", str(checkpoint), "--images", str(tmp_path / "none"),
                 "--out", str(tmp_path / "x.png")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["show", "--images", str(tmp_path), "--out", str(tmp_path / "x.png")]) == 2
    assert "needs --translator" in capsys.readouterr().err
