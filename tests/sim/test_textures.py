"""Tests for rcan.sim.textures: procedural kinds, image folders, photographs, validation."""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from rcan.common.errors import RcanError
from rcan.sim import textures
from rcan.sim.textures import (
    PHOTO_NAMES,
    PROCEDURAL_KINDS,
    TextureSource,
    load_photo,
    procedural,
)


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    # Each test starts from empty caches, so a test cannot pass on another's leftovers.
    textures.clear_caches()
    yield
    textures.clear_caches()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to open a network connection fail loudly."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("texture code tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _write_solid_pngs(folder: Path, colours: dict[str, tuple[int, int, int]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rgb in colours.items():
        Image.new("RGB", (80, 50), rgb).save(folder / f"{name}.png")


def _sample(source: TextureSource, seed: int) -> np.ndarray:
    return source.sample(np.random.default_rng(seed))


# ---------------------------------------------------------------- procedural kinds


@pytest.mark.parametrize("kind", PROCEDURAL_KINDS)
@pytest.mark.parametrize("size", [2, 17, 64])
def test_every_kind_has_right_shape_and_dtype(kind: str, size: int) -> None:
    source = TextureSource(kinds=[kind], size=size)
    out = _sample(source, 0)
    assert out.shape == (size, size, 3)
    assert out.dtype == np.uint8
    assert out.flags.c_contiguous


def test_kinds_differ_from_each_other() -> None:
    images = {k: _sample(TextureSource(kinds=[k]), 7) for k in PROCEDURAL_KINDS}
    for a, b in itertools.combinations(PROCEDURAL_KINDS, 2):
        assert not np.array_equal(images[a], images[b]), f"{a} and {b} look identical"


@pytest.mark.parametrize("kind", [k for k in PROCEDURAL_KINDS if k != "flat"])
def test_patterned_kinds_are_not_flat(kind: str) -> None:
    # Several seeds: a pattern could by chance draw two near-equal colours once, not always.
    stds = [_sample(TextureSource(kinds=[kind]), s).reshape(-1, 3).std(0).max() for s in range(5)]
    assert max(stds) > 5.0


def test_flat_is_one_colour_inside_the_range() -> None:
    low, high = (0.2, 0.4, 0.6), (0.3, 0.5, 0.7)
    source = TextureSource(kinds=["flat"], color_low=low, color_high=high)
    for seed in range(20):
        out = _sample(source, seed)
        assert (out == out[0, 0]).all()
        colour = out[0, 0].astype(float)
        assert (colour >= np.array(low) * 255 - 1).all()
        assert (colour <= np.array(high) * 255 + 1).all()


@pytest.mark.parametrize("kind", PROCEDURAL_KINDS)
def test_every_kind_respects_the_colour_range(kind: str) -> None:
    low, high = (0.1, 0.5, 0.0), (0.2, 0.6, 0.05)
    source = TextureSource(kinds=[kind], color_low=low, color_high=high)
    for seed in range(5):
        out = _sample(source, seed).astype(float)
        assert (out >= np.array(low) * 255 - 1).all()
        assert (out <= np.array(high) * 255 + 1).all()


def test_fixed_colour_range_gives_that_colour() -> None:
    colour = (0.5, 0.25, 1.0)
    source = TextureSource(kinds=list(PROCEDURAL_KINDS), color_low=colour, color_high=colour)
    expected = np.round(np.array(colour) * 255)
    for seed in range(14):
        assert (_sample(source, seed) == expected).all()


@pytest.mark.parametrize("kind", PROCEDURAL_KINDS)
def test_same_seed_same_bytes_other_seed_other_bytes(kind: str) -> None:
    source = TextureSource(kinds=[kind])
    assert _sample(source, 3).tobytes() == _sample(source, 3).tobytes()
    assert _sample(source, 3).tobytes() != _sample(source, 4).tobytes()


def test_procedural_rejects_unknown_kind() -> None:
    with pytest.raises(RcanError, match="plaid"):
        procedural("plaid", np.random.default_rng(0), (0, 0, 0), (1, 1, 1), 8)


def test_mixed_kinds_all_get_drawn() -> None:
    source = TextureSource(kinds=["flat", "noise"])
    rng = np.random.default_rng(0)
    # Spread within each channel: 0 for a flat colour, large for noise.
    stds = [source.sample(rng).reshape(-1, 3).std(axis=0).max() for _ in range(40)]
    assert any(s == 0 for s in stds) and any(s > 10 for s in stds)


def test_procedural_speed() -> None:
    source = TextureSource(kinds=list(PROCEDURAL_KINDS))
    rng = np.random.default_rng(0)
    source.sample(rng)
    start = time.perf_counter()
    for _ in range(200):
        source.sample(rng)
    assert time.perf_counter() - start < 1.0


# ---------------------------------------------------------------- folders


FOLDER_COLOURS = {"red": (250, 10, 10), "green": (10, 250, 10), "blue": (10, 10, 250)}


def _closest_file_colour(out: np.ndarray) -> str:
    mean = out.reshape(-1, 3).mean(axis=0)
    return min(FOLDER_COLOURS, key=lambda n: np.abs(mean - FOLDER_COLOURS[n]).sum())


def test_folder_source_reads_real_files(tmp_path: Path) -> None:
    _write_solid_pngs(tmp_path / "tex", FOLDER_COLOURS)
    (tmp_path / "tex" / "notes.txt").write_text("not an image")
    source = TextureSource(kinds=[], folders=[str(tmp_path / "tex")], size=32)
    source.validate("test")
    seen = set()
    for seed in range(30):
        out = _sample(source, seed)
        assert out.shape == (32, 32, 3) and out.dtype == np.uint8
        name = _closest_file_colour(out)
        assert np.abs(out.astype(int) - FOLDER_COLOURS[name]).max() <= 1
        seen.add(name)
    assert seen == set(FOLDER_COLOURS)


def test_folder_is_searched_recursively_and_sorted(tmp_path: Path) -> None:
    _write_solid_pngs(tmp_path / "tex" / "b", {"x": (1, 2, 3)})
    _write_solid_pngs(tmp_path / "tex" / "a", {"y": (4, 5, 6)})
    files = textures.folder_images(tmp_path / "tex")
    assert [f.name for f in files] == ["y.png", "x.png"]


def test_folder_crops_vary_and_are_reproducible(tmp_path: Path) -> None:
    folder = tmp_path / "tex"
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (120, 90, 3), dtype=np.uint8)).save(folder / "n.png")
    source = TextureSource(kinds=[], folders=[str(folder)])
    assert _sample(source, 1).tobytes() == _sample(source, 1).tobytes()
    assert _sample(source, 1).tobytes() != _sample(source, 2).tobytes()


def test_crops_are_sometimes_flipped(tmp_path: Path) -> None:
    # Brightness rises left to right in the file; a horizontal flip makes it fall.
    ramp = np.repeat(np.linspace(0, 255, 100, dtype=np.uint8)[None, :, None], 3, axis=2)
    (tmp_path / "tex").mkdir()
    Image.fromarray(np.repeat(ramp, 100, axis=0)).save(tmp_path / "tex" / "ramp.png")
    source = TextureSource(kinds=[], folders=[str(tmp_path / "tex")])
    outs = [_sample(source, seed) for seed in range(20)]
    rising = [bool(o[:, -1].mean() > o[:, 0].mean()) for o in outs]
    assert any(rising) and not all(rising)


def test_smooth_noise_is_smoother_than_noise() -> None:
    def roughness(kind: str) -> float:
        x = _sample(TextureSource(kinds=[kind]), 0).astype(float)
        return float(np.abs(np.diff(x, axis=1)).mean())

    assert roughness("smooth_noise") < 0.1 * roughness("noise")


def test_folder_images_are_cached_not_reread(tmp_path: Path) -> None:
    _write_solid_pngs(tmp_path / "tex", {"only": (200, 100, 50)})
    source = TextureSource(kinds=[], folders=[str(tmp_path / "tex")])
    first = _sample(source, 0)
    (tmp_path / "tex" / "only.png").unlink()
    assert np.array_equal(_sample(source, 0), first)


def test_decoded_cache_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textures, "MAX_CACHED_IMAGES", 2)
    _write_solid_pngs(tmp_path / "tex", FOLDER_COLOURS)
    source = TextureSource(kinds=[], folders=[str(tmp_path / "tex")])
    for seed in range(20):
        _sample(source, seed)
    assert len(textures._DECODED) <= 2


def test_unreadable_image_file_raises(tmp_path: Path) -> None:
    (tmp_path / "tex").mkdir()
    (tmp_path / "tex" / "broken.png").write_bytes(b"not a png at all")
    source = TextureSource(kinds=[], folders=[str(tmp_path / "tex")])
    with pytest.raises(RcanError, match=r"broken\.png"):
        _sample(source, 0)


def test_image_probability_picks_the_family(tmp_path: Path) -> None:
    _write_solid_pngs(tmp_path / "tex", {"white": (255, 255, 255)})
    black = (0.0, 0.0, 0.0)
    common: dict[str, Any] = {
        "kinds": ["flat"],
        "folders": [str(tmp_path / "tex")],
        "color_low": black,
        "color_high": black,
    }
    never = TextureSource(image_probability=0.0, **common)
    always = TextureSource(image_probability=1.0, **common)
    half = TextureSource(image_probability=0.5, **common)
    assert all(_sample(never, s).max() == 0 for s in range(10))
    assert all(_sample(always, s).min() == 255 for s in range(10))
    whites = sum(int(_sample(half, s).min() == 255) for s in range(60))
    assert 10 < whites < 50


# ---------------------------------------------------------------- photographs


@pytest.mark.usefixtures("offline")
@pytest.mark.parametrize("name", PHOTO_NAMES)
def test_each_photo_loads_offline_as_rgb(name: str) -> None:
    photo = load_photo(name)
    assert photo.dtype == np.uint8
    assert photo.ndim == 3 and photo.shape[2] == 3
    assert min(photo.shape[:2]) >= 64
    assert photo.std() > 1.0
    assert not photo.flags.writeable
    assert load_photo(name) is photo


@pytest.mark.usefixtures("offline")
def test_photo_source_samples_crops() -> None:
    source = TextureSource(kinds=[], photos=["astronaut", "grass"], size=48)
    outs = [_sample(source, seed) for seed in range(6)]
    assert all(o.shape == (48, 48, 3) and o.dtype == np.uint8 for o in outs)
    assert len({o.tobytes() for o in outs}) == 6
    assert _sample(source, 5).tobytes() == outs[5].tobytes()


def test_load_photo_rejects_unknown_name() -> None:
    with pytest.raises(RcanError, match="lena"):
        load_photo("lena")


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kinds": ["plaid"]}, "kinds"),
        ({"photos": ["lena"]}, "photos"),
        ({"color_low": (0.5, 0.5, 0.5), "color_high": (0.4, 1.0, 1.0)}, "color_low"),
        ({"color_low": (-0.1, 0.0, 0.0)}, "color_low"),
        ({"color_high": (1.0, 1.5, 1.0)}, "color_high"),
        ({"size": 1}, "size"),
        ({"image_probability": 1.5}, "image_probability"),
        ({"image_probability": -0.1}, "image_probability"),
        ({"kinds": []}, "no texture"),
    ],
)
def test_validate_names_the_offending_field(changes: dict[str, Any], field: str) -> None:
    source = TextureSource(**changes)
    with pytest.raises(RcanError, match=rf"domain 'x': textures\.tray.*{field}"):
        source.validate("domain 'x': textures.tray")


def test_validate_missing_folder(tmp_path: Path) -> None:
    source = TextureSource(folders=[str(tmp_path / "nowhere")])
    with pytest.raises(RcanError, match=r"tray\.folders.*nowhere.*does not exist"):
        source.validate("tray")


def test_validate_folder_without_images(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("hi")
    source = TextureSource(folders=[str(tmp_path / "empty")])
    with pytest.raises(RcanError, match=r"tray\.folders.*empty.*no"):
        source.validate("tray")


def test_defaults_are_valid() -> None:
    TextureSource().validate("defaults")
    TextureSource(kinds=list(PROCEDURAL_KINDS), photos=list(PHOTO_NAMES)).validate("all")


# ---------------------------------------------------------------- from_dict


def test_from_dict_builds_every_field(tmp_path: Path) -> None:
    source = TextureSource.from_dict(
        {
            "kinds": ["checkers", "stripes"],
            "folders": ["tex"],
            "photos": ["brick"],
            "image_probability": 0.25,
            "color_low": [0, 0.1, 0.2],
            "color_high": (1, 0.9, 0.8),
            "size": 32,
        },
        "floor",
        base_dir=tmp_path,
    )
    assert source == TextureSource(
        kinds=["checkers", "stripes"],
        folders=[str(tmp_path / "tex")],
        photos=["brick"],
        image_probability=0.25,
        color_low=(0.0, 0.1, 0.2),
        color_high=(1.0, 0.9, 0.8),
        size=32,
    )


def test_from_dict_empty_gives_defaults() -> None:
    assert TextureSource.from_dict({}, "floor") == TextureSource()
    assert TextureSource.from_dict(None, "floor") == TextureSource()


def test_from_dict_images_only_when_kinds_omitted() -> None:
    assert TextureSource.from_dict({"photos": ["coffee"]}, "floor").kinds == []
    explicit = TextureSource.from_dict({"photos": ["coffee"], "kinds": ["flat"]}, "floor")
    assert explicit.kinds == ["flat"]


@pytest.mark.parametrize(
    ("d", "pattern"),
    [
        ({"colour_low": [0, 0, 0]}, r"unknown field 'floor.colour_low'"),
        ({"kinds": "flat"}, r"floor\.kinds.*expected a list"),
        ({"kinds": ["flat", 3]}, r"floor\.kinds"),
        ({"folders": "tex"}, r"floor\.folders"),
        ({"photos": [None]}, r"floor\.photos"),
        ({"image_probability": "half"}, r"floor\.image_probability"),
        ({"image_probability": True}, r"floor\.image_probability"),
        ({"color_low": [0, 0]}, r"floor\.color_low.*3"),
        ({"color_high": "red"}, r"floor\.color_high"),
        ({"color_high": [1, "x", 1]}, r"floor\.color_high"),
        ({"size": 64.0}, r"floor\.size.*integer"),
        ({"size": True}, r"floor\.size"),
    ],
)
def test_from_dict_rejects_bad_input(d: dict[str, Any], pattern: str) -> None:
    with pytest.raises(RcanError, match=pattern):
        TextureSource.from_dict(d, "file.yaml", path="floor")


def test_from_dict_rejects_non_mapping() -> None:
    with pytest.raises(RcanError, match="floor"):
        TextureSource.from_dict(["flat"], "floor")  # type: ignore[arg-type]
