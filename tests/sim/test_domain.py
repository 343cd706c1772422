"""Tests for rcan.sim.domain: built-in and file domains load; bad input is one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rcan.common.errors import RcanError
from rcan.sim.domain import BUILTIN_DOMAINS, SURFACE_GROUPS, Domain, load_domain


def _image_folder(root: Path, name: str = "tex") -> Path:
    folder = root / name
    folder.mkdir()
    pixels = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(folder / "a.png")
    return folder


# ------------------------------------------------------------------------------ loading


@pytest.mark.parametrize("name", BUILTIN_DOMAINS)
def test_builtin_domains_load(name: str) -> None:
    domain = load_domain(name)
    assert isinstance(domain, Domain)
    assert domain.name == name
    assert domain.canonical == (name == "canonical")
    assert domain.resample == "episode"


def test_builtin_domains_differ_where_they_claim() -> None:
    randomized, target = load_domain("randomized"), load_domain("target")
    # randomized: procedural textures only, every kind; target: photographs and a camera offset.
    for group in SURFACE_GROUPS:
        assert getattr(randomized.textures, group).photos == []
        assert len(getattr(randomized.textures, group).kinds) == 7
    assert target.textures.objects.photos and target.textures.background.photos
    assert target.camera.offset != (0.0, 0.0, 0.0)
    assert randomized.camera.eye_jitter > 0 and randomized.lighting.azimuth == (0.0, 360.0)
    assert target.effects.jpeg_quality[0] > 0
    assert target.dynamics.object_mass_scale[0] > 1.0


def test_example_second_target_domain_is_held_out_from_target() -> None:
    """examples/otherbin: photographs none of which the built-in target uses, another camera."""
    example = Path(__file__).resolve().parents[2] / "examples" / "otherbin" / "domain.yaml"
    other, target = load_domain(str(example)), load_domain("target")
    folders = [f for g in SURFACE_GROUPS for f in getattr(other.textures, g).folders]
    assert folders and all(Path(f).is_dir() and any(Path(f).iterdir()) for f in folders)
    assert all(getattr(other.textures, g).photos == [] for g in SURFACE_GROUPS)
    assert other.camera.offset != target.camera.offset != (0.0, 0.0, 0.0)


def test_a_domain_object_passes_through() -> None:
    domain = Domain(name="mine")
    assert load_domain(domain) is domain


def test_yaml_file_loads_with_relative_texture_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _image_folder(tmp_path)
    path = tmp_path / "mine.yaml"
    path.write_text(
        "textures:\n"
        "  pool_size: 3\n"
        "  tint: [0.5, 1.0]\n"
        "  table: {folders: [tex], image_probability: 1.0}\n"
        "  objects: {kinds: [checkers, stripes], photos: [coins]}\n"
        "lighting:\n"
        "  ambient: [0.2, 0.4]\n"
        "camera:\n"
        "  offset: [0.01, 0.02, 0.03]\n"
        "effects:\n"
        "  noise_std: 3\n"
        "dynamics:\n"
        "  action_noise: 0.1\n"
        "resample: step\n"
    )
    # Resolution is against the file's folder, not the working directory.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    domain = load_domain(str(path))
    assert domain.name == "mine"  # the file's stem when no name is given
    assert Path(domain.textures.table.folders[0]) == folder
    assert domain.textures.table.kinds == []  # folders only: no flat colours mixed in
    assert domain.textures.objects.kinds == ["checkers", "stripes"]
    assert domain.textures.objects.photos == ["coins"]
    assert domain.textures.pool_size == 3
    assert domain.textures.tint == (0.5, 1.0)
    assert domain.lighting.ambient == (0.2, 0.4)
    assert domain.lighting.diffuse == (0.35, 0.35)  # defaults kept
    assert domain.camera.offset == (0.01, 0.02, 0.03)
    assert domain.effects.noise_std == (3.0, 3.0)
    assert domain.dynamics.action_noise == 0.1
    assert domain.resample == "step"
    # The folder is usable: sampling reads the image.
    texture = domain.textures.table.sample(np.random.default_rng(0))
    assert texture.shape == (64, 64, 3) and texture.dtype == np.uint8


def test_json_file_loads_with_relative_texture_folder(tmp_path: Path) -> None:
    sub = tmp_path / "domains"
    sub.mkdir()
    folder = _image_folder(sub, "pictures")
    path = sub / "mine.json"
    data = {
        "name": "json-domain",
        "textures": {"background": {"folders": ["pictures"]}},
        "lighting": {"elevation": [10, 20]},
    }
    path.write_text(json.dumps(data))
    domain = load_domain(path)
    assert domain.name == "json-domain"
    assert Path(domain.textures.background.folders[0]) == folder
    assert domain.lighting.elevation == (10.0, 20.0)


def test_absolute_texture_folder_is_kept(tmp_path: Path) -> None:
    folder = _image_folder(tmp_path)
    path = tmp_path / "sub" / "abs.yml"
    path.parent.mkdir()
    path.write_text(f"textures:\n  tray: {{folders: ['{folder}']}}\n")
    assert Path(load_domain(path).textures.tray.folders[0]) == folder


# ------------------------------------------------------------------------------ errors


def _error(spec: str | Path) -> str:
    with pytest.raises(RcanError) as info:
        load_domain(spec)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert message.strip() == message and message
    return message


def test_unknown_domain_name() -> None:
    message = _error("randomised")
    assert "unknown domain 'randomised'" in message
    assert "randomized" in message  # lists the valid names


def test_missing_file(tmp_path: Path) -> None:
    message = _error(tmp_path / "nope.yaml")
    assert "nope.yaml" in message and "does not exist" in message


def _write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_malformed_yaml(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, "lighting: [1, 2\n  ambient: {\n"))
    assert "bad.yaml" in message and "malformed" in message


def test_malformed_json(tmp_path: Path) -> None:
    message = _error(_write(tmp_path, '{"lighting": {"ambient": [0.1, 0.2]', "bad.json"))
    assert "bad.json" in message and "malformed" in message


def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00\x81 not text")
    assert "malformed" in _error(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", ["is empty"], id="empty"),
        pytest.param("- a\n- b\n", ["mapping"], id="not-a-mapping"),
        pytest.param("lighting:\n  azimuthh: [0, 1]\n", ["'lighting.azimuthh'"], id="field"),
        pytest.param("lightning: {}\n", ["unknown field 'lightning'"], id="top-field"),
        pytest.param("camera: {eye_jiter: 0.1}\n", ["'camera.eye_jiter'"], id="camera-field"),
        pytest.param(
            "lighting:\n  ambient: bright\n", ["lighting.ambient", "'bright'"], id="type-range"
        ),
        pytest.param("canonical: yes please\n", ["canonical", "true or false"], id="type-bool"),
        pytest.param("textures:\n  pool_size: many\n", ["pool_size", "integer"], id="type-int"),
        pytest.param("textures:\n  tray: 5\n", ["textures.tray", "mapping"], id="type-source"),
        pytest.param("resample: sometimes\n", ["resample", "'sometimes'"], id="literal"),
        pytest.param(
            "lighting:\n  ambient: [0.8, 0.2]\n", ["lighting.ambient", "0.8", "0.2"], id="range"
        ),
        pytest.param(
            "dynamics:\n  object_mass_scale: [2.0, 1.0]\n",
            ["dynamics.object_mass_scale"],
            id="range-dynamics",
        ),
        pytest.param("textures:\n  tint: [1.2, 0.5]\n", ["textures.tint"], id="range-tint"),
        pytest.param(
            "effects:\n  blur_sigma: [2.0, 1.0]\n", ["effects.blur_sigma"], id="range-effects"
        ),
        pytest.param(
            "textures:\n  table: {folders: [nowhere]}\n",
            ["textures.table.folders", "nowhere", "does not exist"],
            id="folder",
        ),
        pytest.param(
            "textures:\n  tray: {kinds: [plaid]}\n",
            ["textures.tray.kinds", "'plaid'"],
            id="kind",
        ),
        pytest.param(
            "textures:\n  objects: {photos: [mona_lisa]}\n",
            ["textures.objects.photos", "'mona_lisa'"],
            id="photo",
        ),
        pytest.param(
            "textures:\n  tray: {kind: [flat]}\n",
            ["unknown field 'textures.tray.kind'"],
            id="source-key",
        ),
        pytest.param(
            "textures:\n  floor: {kinds: [flat]}\n", ["unknown group 'floor'"], id="group"
        ),
        pytest.param(
            "effects:\n  noise: [0, 1]\n", ["unknown field 'effects.noise'"], id="effects-key"
        ),
        pytest.param("camera:\n  eye_jitter: -0.1\n", ["camera.eye_jitter"], id="negative"),
        pytest.param(
            'textures:\n  table: {folders: ["two\\nlines"]}\n',
            ["textures.table.folders", "two lines", "does not exist"],
            id="newline-in-value",
        ),
    ],
)
def test_bad_domain_file(tmp_path: Path, text: str, expected: list[str]) -> None:
    message = _error(_write(tmp_path, text))
    assert "bad.yaml" in message
    for part in expected:
        assert part in message, (part, message)


def test_empty_texture_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    message = _error(_write(tmp_path, "textures:\n  table: {folders: [empty]}\n"))
    assert "textures.table.folders" in message and "holds no" in message


def test_bad_file_suffix(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\n", "domain.txt")
    assert "unknown domain" in _error(path)


def _thumbnail(image: Image.Image | np.ndarray) -> np.ndarray:
    """16 x 16 grey, zero mean, unit norm: a near-duplicate test that survives resizing."""
    picture = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    grey = np.asarray(picture.convert("L").resize((16, 16), Image.Resampling.BILINEAR), float)
    grey -= grey.mean()
    return grey.ravel() / max(float(np.linalg.norm(grey)), 1e-9)


def test_photo_randomization_is_randomized_with_held_out_photographs() -> None:
    """examples/photo_randomization: `randomized` plus a folder of photographs, none of which
    (not even resized or re-encoded) is one of the photographs of target or otherbin."""
    from rcan.sim.textures import folder_images, load_photo

    examples = Path(__file__).resolve().parents[2] / "examples"
    photo = load_domain(str(examples / "photo_randomization" / "domain.yaml"))
    randomized, target = load_domain("randomized"), load_domain("target")
    other = load_domain(str(examples / "otherbin" / "domain.yaml"))
    for section in ("lighting", "camera", "effects", "dynamics"):
        assert getattr(photo, section) == getattr(randomized, section)
    for group in SURFACE_GROUPS:
        mine, base = getattr(photo.textures, group), getattr(randomized.textures, group)
        assert mine.kinds == base.kinds and mine.photos == []
        assert [Path(f).name for f in mine.folders] == ["photos"]
        assert mine.image_probability == 0.5
    ours = [_thumbnail(Image.open(p)) for p in folder_images(photo.textures.table.folders[0])]
    assert len(ours) >= 15
    held_out = {name for g in SURFACE_GROUPS for name in getattr(target.textures, g).photos}
    theirs = [_thumbnail(load_photo(name)) for name in sorted(held_out)]
    for g in SURFACE_GROUPS:
        for folder in getattr(other.textures, g).folders:
            theirs += [_thumbnail(Image.open(p)) for p in folder_images(folder)]
    similarity = np.array(ours) @ np.array(theirs).T
    assert similarity.max() < 0.9, "a training photograph is (nearly) a held-out one"
