"""UV-mapped copies of meshes that come without texture coordinates.

Domain randomization paints surfaces by swapping textures with ``p.changeVisualShape(body, link,
textureUniqueId=...)``. A texture is sampled through the mesh's texture coordinates, and the
meshes that matter most in pybullet_data have none: the 1000 procedural grasp objects in
``random_urdfs`` and the KUKA iiwa arm links (OBJ) and fingers (STL). Bullet then samples one
texel for the whole mesh, so any texture shows up as one flat colour.

This module writes copies of such meshes with texture coordinates from a box (cube)
projection: each triangle is projected along the axis its normal points most along, and the
other two coordinates, shifted to start at the bounding box's minimum and divided by a tile
size, become (u, v). The tile size defaults to the largest bounding-box extent, so a texture
spans an object about once whatever its size. Around them it writes copies of the URDF / SDF
files that point their visuals at the UV-mapped copies and their collisions at the original
files, so physics does not change at all.

Every output lands in a cache folder under a name derived from the source's absolute path,
its size and modification time, and :data:`VERSION`. It is written atomically (see
:func:`rcan.common.io.atomic_path`, whose temporary names carry the process id), so several
processes may create the same file at once; the last rename wins and every version is
identical, because the output is deterministic byte for byte. An existing output is reused.
"""

from __future__ import annotations

import hashlib
import os
import struct
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pybullet_data

from rcan.common.errors import RcanError
from rcan.common.io import atomic_path

VERSION = "uvbox-1"
"""Bump when the output format changes: it is part of every cache name, so old files are ignored."""

MESH_SUFFIXES = (".obj", ".stl")
"""Mesh formats :func:`uv_mapped_obj` reads."""

KUKA_SDF = Path(pybullet_data.getDataPath()) / "kuka_iiwa" / "kuka_with_gripper2.sdf"
"""The KUKA iiwa + WSG50 gripper model whose visuals :func:`uv_mapped_kuka_sdf` UV-maps."""

_STL_HEADER = 80
_STL_RECORD = struct.Struct("<12fH")  # normal, three vertices, attribute byte count: 50 bytes


@dataclass(frozen=True)
class _Mesh:
    """A triangle mesh as read from an OBJ or STL file, before texture coordinates are added."""

    vertex_lines: list[str]
    """``v x y z`` lines, the coordinates as the source wrote them (exact round trip)."""
    positions: np.ndarray
    """(V, 3) float64 vertex positions, the same vertices as ``vertex_lines``."""
    normal_lines: list[str]
    """``vn x y z`` lines from the source (kept as written)."""
    triangles: np.ndarray
    """(T, 3) int64 zero-based vertex indices."""
    triangle_normals: np.ndarray
    """(T, 3) int64 zero-based indices into ``normal_lines``; -1 where the source had none."""
    groups: list[tuple[int, str]]
    """``o`` / ``g`` / ``s`` lines, each with the number of triangles that precede it."""


def default_cache_dir() -> Path:
    """Where UV-mapped meshes are kept: ``$RCAN_CACHE_DIR`` if set, else ``~/.cache/rcan/meshes``.

    A per-user cache rather than a temporary folder, because the copies are reused across runs.
    """
    env = os.environ.get("RCAN_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "rcan" / "meshes"


def uv_mapped_obj(
    src: Path, cache_dir: Path, texture_scale: float | None = None, decimate: int | None = None
) -> Path:
    """Return an OBJ copy of the OBJ or STL mesh ``src`` with box-projected texture coordinates.

    Faces become triangles (polygons are fan-triangulated) written as ``f v/vt/vn``; vertex
    positions and normals are kept as the source wrote them, and triangles without normals get
    their face normal. ``mtllib`` / ``usemtl`` are dropped so the colour comes from the URDF
    (or ``changeVisualShape``), not a material file. ``texture_scale`` is the side of one
    texture tile in the mesh's own units (before any URDF scale); by default the mesh's
    largest bounding-box extent, so a texture covers the object about once. ``decimate``
    simplifies the mesh by vertex clustering on a grid of that many cells along its largest
    extent (the TinyRenderer's cost grows with triangles, visible or not, and a 64 x 64 image
    cannot show more detail). The result is cached in ``cache_dir`` and reused.
    """
    src = Path(src).absolute()
    if texture_scale is not None and not texture_scale > 0:
        raise RcanError(f"texture_scale must be positive, got {texture_scale!r} for {src}")
    tag = "" if texture_scale is None else f"|scale={texture_scale!r}"
    if decimate is not None:
        tag += f"|cells={int(decimate)}"
    out = Path(cache_dir) / _cache_name(src, ".obj", tag)
    if out.exists():
        return out
    mesh = _read_mesh(src)
    if decimate is not None:
        mesh = _decimated(mesh, int(decimate))
    text = _obj_text(mesh, texture_scale, f"{src.name} ({VERSION})")
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return out


def uv_mapped_urdf(src_urdf: Path, cache_dir: Path) -> Path:
    """Return a copy of ``src_urdf`` whose visual OBJ/STL meshes are UV-mapped copies.

    Visual mesh filenames point at :func:`uv_mapped_obj` outputs, every other file reference
    (collision meshes, textures, visual meshes of other formats) at the original file by
    absolute path, so ``loadURDF`` of the copy behaves like the original except for texture
    coordinates. Everything else (scale, inertial, contact, materials) is kept.
    """
    src = Path(src_urdf).absolute()
    out = Path(cache_dir) / _cache_name(src, ".urdf")
    if out.exists():
        return out
    root = _parse_xml(src)
    for visual in root.iter("visual"):
        for mesh in visual.iter("mesh"):
            name = mesh.get("filename")
            if name is not None:
                mesh.set("filename", str(_visual_copy(_resolve(name, src), cache_dir)))
    for elem in root.iter():
        name = elem.get("filename")
        if name is not None and not Path(name).is_absolute():
            elem.set("filename", str(_resolve(name, src)))
    _write_xml(root, out)
    return out


def uv_mapped_kuka_sdf(cache_dir: Path, decimate: int | None = 12) -> Path:
    """Return a copy of pybullet_data's ``kuka_iiwa/kuka_with_gripper2.sdf`` with UV-mapped visuals.

    Visual ``<uri>`` meshes (the arm's OBJ links and the fingers' STL parts) point at
    :func:`uv_mapped_obj` outputs, collision meshes at the original files by absolute path.
    Links, joints, poses, inertials and the ``<box>`` primitives are unchanged. The arm links
    are simplified (``decimate`` grid cells, see :func:`uv_mapped_obj`): the full meshes hold
    ~15k triangles, which cost the TinyRenderer ~1.5 ms per image even off-screen.
    """
    return _uv_mapped_sdf(KUKA_SDF, cache_dir, decimate)


def _uv_mapped_sdf(src: Path, cache_dir: Path, decimate: int | None = None) -> Path:
    """UV-map the visual meshes of the SDF file ``src`` (see :func:`uv_mapped_kuka_sdf`)."""
    src = Path(src).absolute()
    out = Path(cache_dir) / _cache_name(src, ".sdf", "" if decimate is None else f"|{decimate}")
    if out.exists():
        return out
    root = _parse_xml(src)
    for visual in root.iter("visual"):
        for uri in visual.iter("uri"):
            if uri.text and uri.text.strip():
                mesh = _resolve(uri.text.strip(), src)
                cells = decimate if mesh.suffix.lower() == ".obj" else None
                uri.text = str(_visual_copy(mesh, cache_dir, cells))
    visual_uris = {id(uri) for visual in root.iter("visual") for uri in visual.iter("uri")}
    for uri in root.iter("uri"):
        if id(uri) not in visual_uris and uri.text and uri.text.strip():
            uri.text = str(_resolve(uri.text.strip(), src))
    _write_xml(root, out)
    return out


def _visual_copy(mesh: Path, cache_dir: Path, decimate: int | None = None) -> Path:
    """The UV-mapped copy of a visual mesh, or the mesh itself if its format is not handled."""
    if mesh.suffix.lower() not in MESH_SUFFIXES:
        return mesh
    return uv_mapped_obj(mesh, cache_dir, decimate=decimate)


def _resolve(name: str, owner: Path) -> Path:
    """Resolve a file reference in ``owner`` the way Bullet does, to an existing absolute path.

    Bullet tries the name as given, then relative to the referring file's folder, with
    ``package://`` / ``model://`` prefixes and a leading slash removed (the KUKA SDF refers to
    ``/meshes/link_0.stl``).
    """
    bare = name
    for prefix in ("package://", "model://", "file://"):
        bare = bare.removeprefix(prefix)
    for candidate in (Path(name), Path(bare), Path(bare.lstrip("/"))):
        path = candidate if candidate.is_absolute() else owner.parent / candidate
        if path.is_file():
            return path.absolute()
    raise RcanError(f"{owner}: referenced file {name!r} not found")


def _cache_name(src: Path, suffix: str, tag: str = "") -> str:
    """``<stem>-<hash><suffix>``, the hash covering path, size, mtime, ``tag`` and VERSION."""
    try:
        st = src.stat()
    except OSError as exc:
        raise RcanError(f"cannot read {src}: {exc.strerror or exc}") from None
    key = f"{src}|{st.st_size}|{st.st_mtime_ns}|{VERSION}{tag}"
    return f"{src.stem}-{hashlib.sha1(key.encode()).hexdigest()[:10]}{suffix}"


def _parse_xml(src: Path) -> ET.Element:
    """Parse a URDF / SDF file, turning any failure into a one-line :class:`RcanError`."""
    try:
        return ET.parse(src).getroot()
    except (OSError, ET.ParseError) as exc:
        raise RcanError(f"cannot parse {src}: {exc}") from None


def _write_xml(root: ET.Element, out: Path) -> None:
    """Write ``root`` atomically with an XML declaration (same bytes for the same tree)."""
    text = '<?xml version="1.0" ?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Reading meshes


def _read_mesh(src: Path) -> _Mesh:
    """Read an OBJ or STL file (chosen by suffix) into a :class:`_Mesh`."""
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise RcanError(f"cannot read mesh {src}: {exc.strerror or exc}") from None
    suffix = src.suffix.lower()
    reader: Callable[[bytes, Path], _Mesh]
    if suffix == ".obj":
        reader = _read_obj
    elif suffix == ".stl":
        reader = _read_stl
    else:
        raise RcanError(f"mesh {src} is neither .obj nor .stl")
    mesh = reader(data, src)
    if len(mesh.triangles) == 0:
        raise RcanError(f"mesh {src} has no faces")
    return mesh


def _read_obj(data: bytes, src: Path) -> _Mesh:
    """Parse a Wavefront OBJ: ``v``, ``vn``, ``f`` (all index forms), ``o`` / ``g`` / ``s``.

    Texture coordinates, materials, lines, points and unknown statements are skipped.
    """
    vertex_lines: list[str] = []
    coords: list[tuple[float, float, float]] = []
    normal_lines: list[str] = []
    tris: list[tuple[int, int, int]] = []
    tri_normals: list[tuple[int, int, int]] = []
    groups: list[tuple[int, str]] = []
    # Corners repeat (a vertex is in ~6 triangles); a corner without a relative (negative)
    # index always means the same thing, so it is parsed once.
    corner_cache: dict[str, tuple[int, int]] = {}
    for lineno, raw in enumerate(data.decode("latin-1").splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        key = parts[0]
        try:
            if key == "v":
                x, y, z = parts[1], parts[2], parts[3]
                coords.append((float(x), float(y), float(z)))
                vertex_lines.append(f"v {x} {y} {z}")
            elif key == "vn":
                x, y, z = parts[1], parts[2], parts[3]
                _check_floats(x, y, z)
                normal_lines.append(f"vn {x} {y} {z}")
            elif key == "f":
                corners = []
                for token in parts[1:]:
                    corner = corner_cache.get(token)
                    if corner is None:
                        corner = _face_corner(token, len(coords), len(normal_lines))
                        if "-" not in token:
                            corner_cache[token] = corner
                    corners.append(corner)
                if len(corners) < 3:
                    raise ValueError("a face needs at least 3 vertices")
                (v0, n0), (v1, n1) = corners[0], corners[1]
                for v2, n2 in corners[2:]:
                    tris.append((v0, v1, v2))
                    tri_normals.append((n0, n1, n2))
                    v1, n1 = v2, n2
            elif key in ("o", "g", "s"):
                groups.append((len(tris), " ".join(parts)))
        except (ValueError, IndexError) as exc:
            raise RcanError(f"malformed OBJ {src} line {lineno}: {raw.strip()!r} ({exc})") from None
    positions = np.array(coords, dtype=np.float64).reshape(-1, 3)
    triangles = np.array(tris, dtype=np.int64).reshape(-1, 3)
    triangle_normals = np.array(tri_normals, dtype=np.int64).reshape(-1, 3)
    return _Mesh(vertex_lines, positions, normal_lines, triangles, triangle_normals, groups)


def _check_floats(*texts: str) -> None:
    """Raise ValueError unless every text is a number."""
    for text in texts:
        float(text)


def _face_corner(token: str, n_vertices: int, n_normals: int) -> tuple[int, int]:
    """Zero-based (vertex, normal) of a face corner ``v``, ``v/t``, ``v/t/n`` or ``v//n``.

    The normal is -1 when absent. Negative indices count back from the last element read.
    """
    fields = token.split("/")
    vertex = _obj_index(fields[0], n_vertices, "vertex")
    normal = -1
    if len(fields) > 2 and fields[2]:
        normal = _obj_index(fields[2], n_normals, "normal")
    return vertex, normal


def _obj_index(text: str, count: int, what: str) -> int:
    """Convert a one-based (or negative, relative) OBJ index to a checked zero-based one."""
    index = int(text)
    index = index - 1 if index > 0 else count + index
    if not 0 <= index < count:
        raise ValueError(f"{what} index {text} out of range (1..{count})")
    return index


def _read_stl(data: bytes, src: Path) -> _Mesh:
    """Parse a binary or ASCII STL; vertices are welded, normals recomputed from the winding.

    A file is binary when its size matches the triangle count in its header (binary files may
    also start with ``solid``), ASCII when it starts with ``solid``.
    """
    if len(data) >= _STL_HEADER + 4:
        (count,) = struct.unpack_from("<I", data, _STL_HEADER)
        if len(data) == _STL_HEADER + 4 + count * _STL_RECORD.size:
            records = np.frombuffer(
                data,
                dtype=np.dtype([("f", "<f4", (12,)), ("attr", "<u2")]),
                count=count,
                offset=_STL_HEADER + 4,
            )
            corners = records["f"][:, 3:].astype(np.float64).reshape(-1, 3)
            return _welded(corners)
    if data.lstrip()[:5].lower() != b"solid":
        raise RcanError(f"malformed STL {src}: neither binary (size mismatch) nor ASCII")
    values: list[float] = []
    try:
        tokens = data.decode("latin-1").split()
        for i, token in enumerate(tokens):
            if token == "vertex":
                values.extend((float(tokens[i + 1]), float(tokens[i + 2]), float(tokens[i + 3])))
    except (ValueError, IndexError) as exc:
        raise RcanError(f"malformed ASCII STL {src}: {exc}") from None
    if len(values) % 9:
        raise RcanError(f"malformed ASCII STL {src}: vertex count is not a multiple of 3")
    return _welded(np.array(values, dtype=np.float64).reshape(-1, 3))


def _welded(corners: np.ndarray) -> _Mesh:
    """Build a mesh from (3T, 3) triangle corners, merging bit-identical vertices."""
    positions, inverse = np.unique(corners, axis=0, return_inverse=True)
    triangles = inverse.reshape(-1, 3).astype(np.int64)
    lines = [f"v {x!r} {y!r} {z!r}" for x, y, z in positions.tolist()]
    no_normals = np.full(triangles.shape, -1, dtype=np.int64)
    return _Mesh(lines, positions, [], triangles, no_normals, [])


def _decimated(mesh: _Mesh, cells: int) -> _Mesh:
    """Vertex clustering: snap vertices to a grid, merge each cell's vertices into their mean,
    and drop triangles that collapse. Normals are recomputed per face."""
    pos = mesh.positions
    finite = np.isfinite(pos).all(axis=1)
    if cells < 2 or not finite.all():
        return mesh
    low = pos.min(axis=0)
    size = float((pos.max(axis=0) - low).max()) / cells
    if not size > 0:
        return mesh
    keys = np.floor((pos - low) / size).astype(np.int64)
    _, cluster = np.unique(keys, axis=0, return_inverse=True)
    cluster = cluster.reshape(-1)
    count = np.bincount(cluster)
    merged = np.stack([np.bincount(cluster, weights=pos[:, k]) for k in range(3)], 1)
    merged /= count[:, None]
    tris = cluster[mesh.triangles]
    keep = (tris[:, 0] != tris[:, 1]) & (tris[:, 1] != tris[:, 2]) & (tris[:, 0] != tris[:, 2])
    tris = np.unique(tris[keep], axis=0)
    lines = [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in merged.tolist()]
    no_normals = np.full(tris.shape, -1, dtype=np.int64)
    return _Mesh(lines, merged, [], tris, no_normals, [])


# --------------------------------------------------------------------------------------------
# Writing the UV-mapped OBJ

# For a triangle facing mostly along axis k, (u, v) are these two coordinates.
_UV_AXES = np.array([[1, 2], [0, 2], [0, 1]])


def _obj_text(mesh: _Mesh, texture_scale: float | None, title: str) -> str:
    """The UV-mapped OBJ text of ``mesh`` (deterministic: same mesh, same text)."""
    pos = mesh.positions
    tris = mesh.triangles
    # Non-finite vertices (random_urdfs/168 is all NaN, yet Bullet loads it) are written as the
    # source has them, with texture coordinate (0, 0): the copy is as good as the original.
    finite = np.isfinite(pos).all(axis=1)
    used = np.zeros(len(pos), dtype=bool)
    used[tris] = True
    box = pos[used & finite]
    low = box.min(axis=0) if len(box) else np.zeros(3)
    extent = float((box.max(axis=0) - low).max()) if len(box) else 0.0
    tile = float(texture_scale) if texture_scale is not None else extent
    if not tile > 0:
        tile = 1.0

    a, b, c = pos[tris[:, 0]], pos[tris[:, 1]], pos[tris[:, 2]]
    face_normals = np.cross(b - a, c - a)
    length = np.linalg.norm(face_normals, axis=1, keepdims=True)
    valid = np.isfinite(length) & (length > 0)
    face_normals = np.where(valid, face_normals / np.where(valid, length, 1.0), [0.0, 0.0, 1.0])
    axis = np.argmax(np.abs(face_normals), axis=1)

    # One texture coordinate per (vertex, projection axis) pair that some triangle uses.
    keys = tris * 3 + axis[:, None]
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    uv_vertex, uv_axis = unique_keys // 3, unique_keys % 3
    uv = (pos[uv_vertex[:, None], _UV_AXES[uv_axis]] - low[_UV_AXES[uv_axis]]) / tile
    uv[~np.isfinite(uv)] = 0.0
    vt_index = inverse.reshape(tris.shape) + 1

    # Normals: the source's where given, else one face normal per triangle lacking any.
    normals = mesh.triangle_normals.copy()
    missing = (normals < 0).any(axis=1)
    n_src = len(mesh.normal_lines)
    normals[missing] = (n_src + np.arange(int(missing.sum())))[:, None]
    vn_index = normals + 1
    extra_normals = face_normals[missing]

    lines = [f"# UV-mapped (box projection, tile {tile!r}) from {title}"]
    lines.extend(mesh.vertex_lines)
    lines.extend(f"vt {u:.6f} {v:.6f}" for u, v in uv.tolist())
    lines.extend(mesh.normal_lines)
    lines.extend(f"vn {x:.6f} {y:.6f} {z:.6f}" for x, y, z in extra_normals.tolist())
    corners = np.stack([tris + 1, vt_index, vn_index], axis=2).tolist()
    groups = iter(mesh.groups)
    pending = next(groups, None)
    for t, ((v0, t0, n0), (v1, t1, n1), (v2, t2, n2)) in enumerate(corners):
        while pending is not None and pending[0] <= t:
            lines.append(pending[1])
            pending = next(groups, None)
        lines.append(f"f {v0}/{t0}/{n0} {v1}/{t1}/{n1} {v2}/{t2}/{n2}")
    while pending is not None:
        lines.append(pending[1])
        pending = next(groups, None)
    return "\n".join(lines) + "\n"
