"""UV-mapped mesh copies: OBJ/STL parsing, caching, and that textures really show up.

The key tests render a checker-textured object with the TinyRenderer, once from the original
pybullet_data mesh (no texture coordinates: one flat colour) and once from the UV-mapped copy
(both checker colours over the object).
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pybullet as p
import pybullet_data
import pytest
from PIL import Image

import rcan
from rcan.common.errors import RcanError
from rcan.sim import meshes
from rcan.sim.meshes import default_cache_dir, uv_mapped_kuka_sdf, uv_mapped_obj, uv_mapped_urdf

DATA = Path(pybullet_data.getDataPath())
OBJECT_URDF = DATA / "random_urdfs" / "000" / "000.urdf"

CUBE_QUADS = """\
# a unit cube made of quads, with material statements that must be dropped
mtllib cube.mtl
o Cube
v 0 0 0
v 1 0 0
v 1 1 0
v 0 1 0
v 0 0 1
v 1 0 1
v 1 1 1
v 0 1 1
usemtl Red
s off
f 1 4 3 2
f 5 6 7 8
f 1 2 6 5
f 2 3 7 6
f 3 4 8 7
f 4 1 5 8
"""


# --------------------------------------------------------------------------------------------
# Helpers


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _parse_output(path: Path) -> dict[str, list[list[str]]]:
    """Statements of an output OBJ, by keyword."""
    out: dict[str, list[list[str]]] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts and not parts[0].startswith("#"):
            out.setdefault(parts[0], []).append(parts[1:])
    return out


def _triangles(path: Path) -> list[list[tuple[tuple[float, ...], tuple[float, ...]]]]:
    """Triangles of an output OBJ as [(position, uv)] * 3, checking every face is v/vt/vn."""
    stmts = _parse_output(path)
    v = [tuple(map(float, s)) for s in stmts.get("v", [])]
    vt = [tuple(map(float, s)) for s in stmts.get("vt", [])]
    vn = stmts.get("vn", [])
    tris = []
    for face in stmts["f"]:
        assert len(face) == 3
        corners = []
        for corner in face:
            a, b, c = (int(x) for x in corner.split("/"))
            assert 1 <= a <= len(v) and 1 <= b <= len(vt) and 1 <= c <= len(vn)
            corners.append((v[a - 1], vt[b - 1]))
        tris.append(corners)
    return tris


@pytest.fixture
def client() -> Iterator[int]:
    cid = p.connect(p.DIRECT)
    try:
        yield cid
    finally:
        p.disconnect(cid)


def _checker_texture(tmp_path: Path, client: int) -> int:
    """Load an 8x8 red/blue checker (64x64 pixels) as a pybullet texture."""
    cells = (np.arange(64) // 8)[:, None] + (np.arange(64) // 8)[None, :]
    img = np.where((cells % 2 == 0)[..., None], [255, 0, 0], [0, 0, 255]).astype(np.uint8)
    png = tmp_path / "checker.png"
    Image.fromarray(img).save(png)
    return p.loadTexture(str(png), physicsClientId=client)


def _texture_stats(client: int, body: int, link: int, tex: int) -> tuple[int, float, float]:
    """Texture ``body``'s ``link``, render it close up at 64x64 with the TinyRenderer.

    Returns (object pixels, share of the rarer checker colour, mean per-channel std).
    """
    p.changeVisualShape(
        body, link, textureUniqueId=tex, rgbaColor=[1, 1, 1, 1], physicsClientId=client
    )
    lo, hi = (np.array(c) for c in p.getAABB(body, link, physicsClientId=client))
    view = p.computeViewMatrixFromYawPitchRoll(
        ((lo + hi) / 2).tolist(), 1.2 * float(np.linalg.norm(hi - lo)), 30, -30, 0, 2
    )
    proj = p.computeProjectionMatrixFOV(60, 1, 0.01, 10)
    _, _, rgb, _, seg = p.getCameraImage(
        64,
        64,
        view,
        proj,
        renderer=p.ER_TINY_RENDERER,
        flags=p.ER_SEGMENTATION_MASK_OBJECT_AND_LINKINDEX,
        physicsClientId=client,
    )
    rgb = np.reshape(rgb, (64, 64, 4))[..., :3].astype(float)
    seg = np.reshape(seg, (64, 64))
    mask = (seg >= 0) & ((seg & 0xFFFFFF) == body) & ((seg >> 24) - 1 == link)
    pixels = rgb[mask]
    red = float((pixels[:, 0] > pixels[:, 2]).mean())
    return int(mask.sum()), min(red, 1 - red), float(pixels.std(axis=0).mean())


# --------------------------------------------------------------------------------------------
# Parsing


def test_quads_are_fan_triangulated_and_materials_dropped(tmp_path: Path) -> None:
    out = uv_mapped_obj(_write(tmp_path / "cube.obj", CUBE_QUADS), tmp_path / "cache")
    text = out.read_text()
    assert "mtllib" not in text and "usemtl" not in text
    assert "o Cube" in text and "s off" in text
    tris = _triangles(out)
    assert len(tris) == 12
    uvs = np.array([uv for tri in tris for _, uv in tri])
    assert uvs.min() >= 0 and uvs.max() <= 1
    # Box projection of a unit cube: every face spans the whole texture, so all of the four
    # corners (0,0), (1,0), (0,1), (1,1) are used.
    assert {tuple(uv) for uv in uvs.tolist()} == {(0, 0), (1, 0), (0, 1), (1, 1)}
    # One normal per triangle was added, and each is axis-aligned.
    normals = np.array([[float(x) for x in n] for n in _parse_output(out)["vn"]])
    assert len(normals) == 12
    assert np.allclose(np.sort(np.abs(normals), axis=1), [0, 0, 1])


def test_index_forms_and_negative_indices(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "forms.obj",
        """\
v 0 0 0
v 1 0 0
v 1 1 0
vt 0.3 0.3
vn 0 0 1
f 1 2 3
f 1/1 2/1 3/1
f 1/1/1 2/1/1 3/1/1
f 1//1 2//1 3//1
f -3//-1 -2//-1 -1//-1
v 0 0 2
v 2 0 2
v 2 2 2
v 1 3 2
v 0 2 2
f -5 -4 -3 -2 -1
""",
    )
    tris = _triangles(uv_mapped_obj(src, tmp_path))
    assert len(tris) == 5 + 3
    first = [pos for pos, _ in tris[0]]
    assert all([pos for pos, _ in tri] == first for tri in tris[1:5])
    # The pentagon is a fan from its first vertex.
    assert [[pos for pos, _ in tri] for tri in tris[5:]] == [
        [(0, 0, 2), (2, 0, 2), (2, 2, 2)],
        [(0, 0, 2), (2, 2, 2), (1, 3, 2)],
        [(0, 0, 2), (1, 3, 2), (0, 2, 2)],
    ]
    # Existing texture coordinates are ignored: none is 0.3 any more.
    assert all(uv != (0.3, 0.3) for tri in tris for _, uv in tri)
    # The source normal is kept as written, and the 5 triangles without normals get their own.
    assert (
        _parse_output(uv_mapped_obj(src, tmp_path))["vn"]
        == [["0", "0", "1"]] + [["0.000000", "0.000000", "1.000000"]] * 5
    )


def test_box_projection_and_texture_scale(tmp_path: Path) -> None:
    src = _write(tmp_path / "tri.obj", "v 1 2 5\nv 5 2 5\nv 1 4 5\nf 1 2 3\n")
    # A triangle in a z = const plane maps (x, y) - min over the largest extent (4).
    uvs = [uv for _, uv in _triangles(uv_mapped_obj(src, tmp_path / "a"))[0]]
    assert uvs == [(0, 0), (1, 0), (0, 0.5)]
    uvs = [uv for _, uv in _triangles(uv_mapped_obj(src, tmp_path / "b", texture_scale=0.5))[0]]
    assert uvs == [(0, 0), (8, 0), (0, 4)]
    assert uv_mapped_obj(src, tmp_path / "a") != uv_mapped_obj(src, tmp_path / "a", 0.5)
    with pytest.raises(RcanError):
        uv_mapped_obj(src, tmp_path, texture_scale=0.0)


def test_output_is_deterministic_and_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _write(tmp_path / "cube.obj", CUBE_QUADS)
    first = uv_mapped_obj(src, tmp_path / "one")
    second = uv_mapped_obj(src, tmp_path / "two")
    assert first.name == second.name
    assert first.name.startswith("cube-") and first.suffix == ".obj"
    assert first.read_bytes() == second.read_bytes()

    def fail(_: Path) -> None:
        raise AssertionError("a cached mesh was parsed again")

    monkeypatch.setattr(meshes, "_read_mesh", fail)
    assert uv_mapped_obj(src, tmp_path / "one") == first
    assert not [f for f in (tmp_path / "one").iterdir() if f.name.endswith(".tmp")]


def test_binary_and_ascii_stl(tmp_path: Path) -> None:
    corners = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)]
    faces = [(0, 2, 1), (0, 1, 3), (0, 3, 2), (1, 2, 3)]
    binary = bytearray(b"solid but really binary".ljust(80) + struct.pack("<I", len(faces)))
    ascii_lines = ["solid tet"]
    for face in faces:
        binary += struct.pack("<12fH", 0, 0, 0, *(c for i in face for c in corners[i]), 0)
        ascii_lines += ["facet normal 0 0 0", "outer loop"]
        ascii_lines += [f"vertex {x} {y} {z}" for x, y, z in (corners[i] for i in face)]
        ascii_lines += ["endloop", "endfacet"]
    ascii_lines.append("endsolid tet")
    (tmp_path / "bin.stl").write_bytes(bytes(binary))
    _write(tmp_path / "asc.stl", "\n".join(ascii_lines) + "\n")
    results = []
    for name in ("bin.stl", "asc.stl"):
        out = uv_mapped_obj(tmp_path / name, tmp_path / "cache")
        assert out.suffix == ".obj"
        stmts = _parse_output(out)
        assert len(stmts["v"]) == 4  # welded
        assert len(stmts["vn"]) == 4  # one face normal per triangle
        tris = _triangles(out)
        assert len(tris) == 4
        results.append(sorted(tuple(c for c, _ in tri) for tri in tris))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bad_index.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n"),
        ("zero_index.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n"),
        ("bad_number.obj", "v 0 zero 0\n"),
        ("short_face.obj", "v 0 0 0\nv 1 0 0\nf 1 2\n"),
        ("no_faces.obj", "v 0 0 0\n"),
        ("garbage.stl", "this is not an STL file at all, neither ASCII nor binary"),
        ("bad_ascii.stl", "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nendsolid x\n"),
        ("mesh.ply", "ply\n"),
    ],
)
def test_malformed_meshes_raise_one_line_errors(tmp_path: Path, name: str, content: str) -> None:
    src = _write(tmp_path / name, content)
    with pytest.raises(RcanError) as info:
        uv_mapped_obj(src, tmp_path / "cache")
    message = str(info.value)
    assert name in message and "\n" not in message
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_missing_mesh_raises(tmp_path: Path) -> None:
    with pytest.raises(RcanError, match=r"nothing\.obj"):
        uv_mapped_obj(tmp_path / "nothing.obj", tmp_path)


def test_nan_vertices_are_tolerated(tmp_path: Path) -> None:
    # pybullet_data's random_urdfs/168 has only NaN vertices, and Bullet still loads it.
    src = _write(
        tmp_path / "nan.obj", "v nan nan nan\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 2 3 4\n"
    )
    tris = _triangles(uv_mapped_obj(src, tmp_path / "cache"))
    assert len(tris) == 2
    uvs = np.array([uv for tri in tris for _, uv in tri])
    assert np.isfinite(uvs).all()


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RCAN_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("RCAN_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "rcan" / "meshes"


# --------------------------------------------------------------------------------------------
# URDF / SDF copies


def test_urdf_copy_points_visuals_at_uv_meshes(tmp_path: Path, client: int) -> None:
    out = uv_mapped_urdf(OBJECT_URDF, tmp_path)
    assert out.parent == tmp_path and out.suffix == ".urdf"
    assert uv_mapped_urdf(OBJECT_URDF, tmp_path) == out
    text = out.read_text()
    assert f'filename="{DATA / "random_urdfs" / "000" / "000.obj"}"' in text  # collision
    assert f'filename="{tmp_path}/000-' in text  # visual
    assert text.count('scale="0.015 0.015 0.015"') == 2
    assert 'lateral_friction value="1.0"' in text and 'mass value="0.1"' in text

    original = p.loadURDF(str(OBJECT_URDF), physicsClientId=client)
    copy = p.loadURDF(str(out), [1, 0, 0], physicsClientId=client)
    (vis,) = p.getVisualShapeData(copy, physicsClientId=client)
    assert Path(vis[4].decode()).parent == tmp_path
    assert vis[3] == pytest.approx((0.015, 0.015, 0.015))
    assert vis[7] == p.getVisualShapeData(original, physicsClientId=client)[0][7]  # colour
    extent = [np.subtract(*p.getAABB(b, physicsClientId=client)[::-1]) for b in (original, copy)]
    assert np.allclose(extent[0], extent[1], atol=1e-6)
    dyn = [p.getDynamicsInfo(b, -1, physicsClientId=client)[:2] for b in (original, copy)]
    assert dyn[0] == dyn[1]


def test_kuka_sdf_copy_has_the_same_structure(tmp_path: Path, client: int) -> None:
    out = uv_mapped_kuka_sdf(tmp_path)
    assert uv_mapped_kuka_sdf(tmp_path) == out
    bodies = []
    for path in (meshes.KUKA_SDF, out):
        (body,) = p.loadSDF(str(path), physicsClientId=client)
        bodies.append(body)
    info = [
        [p.getJointInfo(b, j, physicsClientId=client) for j in range(p.getNumJoints(b))]
        for b in bodies
    ]
    assert len(info[0]) == len(info[1]) == 14
    assert [i[1] for i in info[0]] == [i[1] for i in info[1]]  # joint names
    assert [i[12] for i in info[0]] == [i[12] for i in info[1]]  # link names
    assert [i[2] for i in info[0]] == [i[2] for i in info[1]]  # joint types
    visuals = [p.getVisualShapeData(b, physicsClientId=client) for b in bodies]
    assert len(visuals[0]) == len(visuals[1]) == 15
    meshes_seen = 0
    for before, after in zip(*visuals, strict=True):
        assert before[1:4] == after[1:4]  # link, geometry type, dimensions / scale
        if after[2] == p.GEOM_MESH:
            meshes_seen += 1
            assert Path(after[4].decode()).parent == tmp_path
    assert meshes_seen == 12  # 8 arm links + 4 finger parts (the rest are boxes)


def test_concurrent_writers_agree(tmp_path: Path) -> None:
    src_dir = Path(rcan.__file__).parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src_dir), *sys.path])}
    code = (
        "import sys; from pathlib import Path; from rcan.sim.meshes import uv_mapped_kuka_sdf;"
        "print(uv_mapped_kuka_sdf(Path(sys.argv[1])))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert all(proc.returncode == 0 for proc in procs)
    assert len(outputs) == 1
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".tmp")]
    reference = tmp_path / "ref"
    expected = uv_mapped_kuka_sdf(reference)
    for made in tmp_path.glob("*.obj"):
        assert made.read_bytes() == (reference / made.name).read_bytes()
    assert Path(outputs.pop()).name == expected.name


# --------------------------------------------------------------------------------------------
# The point of it all: a texture shows up as a texture, not as one colour


@pytest.mark.parametrize("number", ["000", "007", "123"])
def test_texture_shows_on_uv_mapped_object(tmp_path: Path, client: int, number: str) -> None:
    tex = _checker_texture(tmp_path, client)
    urdf = DATA / "random_urdfs" / number / f"{number}.urdf"
    original = p.loadURDF(str(urdf), physicsClientId=client)
    n_orig, minority_orig, std_orig = _texture_stats(client, original, -1, tex)
    p.removeBody(original, physicsClientId=client)
    mapped = p.loadURDF(str(uv_mapped_urdf(urdf, tmp_path)), physicsClientId=client)
    n_uv, minority_uv, std_uv = _texture_stats(client, mapped, -1, tex)
    assert n_orig == n_uv > 200
    assert minority_orig < 0.02, "the original mesh should show one flat colour"
    assert minority_uv > 0.25, "the UV-mapped mesh should show both checker colours"
    assert std_uv > 3 * std_orig


@pytest.mark.parametrize("decimate", [None, 12])
@pytest.mark.parametrize("link", [3, 9])  # an arm link (OBJ) and a finger base (STL)
def test_texture_shows_on_uv_mapped_kuka(
    tmp_path: Path, client: int, link: int, decimate: int | None
) -> None:
    tex = _checker_texture(tmp_path, client)
    (original,) = p.loadSDF(str(meshes.KUKA_SDF), physicsClientId=client)
    n_orig, minority_orig, std_orig = _texture_stats(client, original, link, tex)
    p.removeBody(original, physicsClientId=client)
    sdf = uv_mapped_kuka_sdf(tmp_path, decimate=decimate)
    (mapped,) = p.loadSDF(str(sdf), physicsClientId=client)
    n_uv, minority_uv, std_uv = _texture_stats(client, mapped, link, tex)
    if decimate is None:
        assert n_orig == n_uv > 100
    else:  # the simplified link covers (almost) the same pixels
        assert n_orig > 100 and abs(n_uv - n_orig) <= 0.05 * n_orig
    assert minority_orig < 0.02
    assert minority_uv > 0.25
    assert std_uv > 3 * std_orig
