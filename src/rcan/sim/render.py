"""Rendering one physics state as aligned randomized RGB, canonical RGB, mask and depth.

Both images of a pair come from the same camera matrices and the same physics state, so they
are pixel-aligned by construction; only the surfaces' textures, colours and the light differ.
Everything is drawn with pybullet's CPU TinyRenderer, which applies texture swaps reliably.

pybullet can load textures but never free them, and ``changeTexture`` does not reach the
TinyRenderer. So each world loads a fixed *pool* of textures per surface group once, and every
episode assigns pool textures (with a random tint) to surfaces, which costs microseconds.

Segmentation classes (``CLASS_NAMES[i]`` is class id ``i``)::

    0 background   nothing hit (beyond the table)
    1 table        the table top (the "floor" around the tray)
    2 tray         the tray and its divider (if the world has one)
    3 arm          the KUKA links
    4 gripper      the gripper base, fingers and tips
    5 object       any object in the bin

Depth is the metric distance in metres from the camera plane along the viewing axis (z-depth);
pixels where nothing is hit hold the far plane, ``FAR`` metres.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from rcan.sim.domain import Domain
from rcan.sim.effects import SampledEffects
from rcan.sim.robot import LAYOUT
from rcan.sim.world import BinWorld

CLASS_NAMES = ("background", "table", "tray", "arm", "gripper", "object")
BACKGROUND, TABLE, TRAY, ARM, GRIPPER, OBJECT = range(6)
NEAR, FAR = 0.05, 2.5

#: Canonical style: one flat colour per class, a distinct colour per arm link.
CANONICAL_COLORS: dict[int, tuple[float, float, float]] = {
    BACKGROUND: (0.0, 0.0, 0.0),
    TABLE: (0.35, 0.35, 0.35),
    TRAY: (0.15, 0.35, 0.8),
    GRIPPER: (0.95, 0.8, 0.1),
    OBJECT: (0.9, 0.15, 0.15),
}
CANONICAL_ARM_COLORS: tuple[tuple[float, float, float], ...] = (
    (0.45, 0.2, 0.6),
    (0.2, 0.7, 0.3),
    (0.8, 0.45, 0.2),
    (0.2, 0.7, 0.75),
    (0.85, 0.4, 0.65),
    (0.5, 0.8, 0.2),
    (0.3, 0.3, 0.9),
    (0.9, 0.6, 0.4),
)
CANONICAL_LIGHT = {
    "lightDirection": (0.5, 0.3, 1.0),
    "lightColor": (1.0, 1.0, 1.0),
    "lightDistance": 2.0,
    "shadow": 0,
    "lightAmbientCoeff": 0.6,
    "lightDiffuseCoeff": 0.4,
    "lightSpecularCoeff": 0.0,
}


@dataclass(frozen=True)
class Surface:
    """One (body, link) whose appearance the renderer controls."""

    body: int
    """pybullet body id."""
    link: int
    """Link index (-1 for the base)."""
    group: str
    """Surface group in the domain's textures section."""
    class_id: int
    """Segmentation class."""
    canonical_color: tuple[float, float, float]
    """Flat colour in the canonical style."""


@dataclass
class Appearance:
    """Concrete appearance for one episode (or step): what ``Domain`` ranges sampled to."""

    textures: dict[tuple[int, int], tuple[int, tuple[float, float, float, float]]]
    """(body, link) -> (texture id, rgba tint)."""
    light: dict[str, object]
    """Keyword arguments of getCameraImage for the light."""
    view: tuple[float, ...]
    """View matrix (shared by both styles, so pairs stay aligned)."""
    projection: tuple[float, ...]
    """Projection matrix."""
    effects: SampledEffects | None
    """Sensor effects for the randomized image, or None."""
    background: np.ndarray
    """H x W x 3 uint8 image pasted where nothing is hit."""


@dataclass
class Frame:
    """What one render produced; fields not asked for are None."""

    rgb: np.ndarray | None = None
    """H x W x 3 uint8 image in the domain's style (effects applied)."""
    canonical: np.ndarray | None = None
    """H x W x 3 uint8 image in the canonical style."""
    mask: np.ndarray | None = None
    """H x W uint8 class ids (see CLASS_NAMES)."""
    depth: np.ndarray | None = None
    """H x W float32 metres."""


class SceneRenderer:
    """Draws a :class:`BinWorld` in a domain's style and in the canonical style."""

    def __init__(
        self, world: BinWorld, domain: Domain, height: int, width: int, rng: np.random.Generator
    ) -> None:
        self.world = world
        self.domain = domain
        self.height = height
        self.width = width
        self.p = world.p
        self.rng = rng
        self._styled: str | None = None
        self._appearance: Appearance | None = None
        self._white = self._load_textures([np.full((4, 4, 3), 255, np.uint8)])[0]
        self.pools: dict[str, list[int]] = {}
        if not domain.canonical:
            with tempfile.TemporaryDirectory(prefix="rcan-tex-") as tmp:
                for group in ("table", "tray", "objects", "arm", "gripper"):
                    source = getattr(domain.textures, group)
                    images = [source.sample(rng) for _ in range(domain.textures.pool_size)]
                    self.pools[group] = self._load_textures(images, Path(tmp), group)
        self.surfaces: list[Surface] = []
        self._class_lut = np.zeros(0, np.uint8)
        self.refresh_surfaces()

    # -- scene bookkeeping --------------------------------------------------------------------
    def refresh_surfaces(self) -> None:
        """Re-list the surfaces (call after the world loads new objects)."""
        w = self.world
        robot = w.robot.uid
        surfaces = [
            Surface(w.table, -1, "table", TABLE, CANONICAL_COLORS[TABLE]),
            Surface(w.tray, -1, "tray", TRAY, CANONICAL_COLORS[TRAY]),
        ]
        if w.divider is not None:
            surfaces.append(Surface(w.divider, -1, "tray", TRAY, CANONICAL_COLORS[TRAY]))
        for i, link in enumerate(LAYOUT.arm_links):
            surfaces.append(Surface(robot, link, "arm", ARM, CANONICAL_ARM_COLORS[i]))
        for link in LAYOUT.gripper_links:
            surfaces.append(Surface(robot, link, "gripper", GRIPPER, CANONICAL_COLORS[GRIPPER]))
        for obj in w.objects:
            surfaces.append(Surface(obj.uid, -1, "objects", OBJECT, CANONICAL_COLORS[OBJECT]))
        self.surfaces = surfaces
        # Segmentation values are uid + ((link + 1) << 24); map them through a lookup table.
        top = max(s.body for s in surfaces) + 1
        lut = np.zeros((top, max(LAYOUT.gripper_links) + 2), np.uint8)
        for s in surfaces:
            if s.group in ("table", "tray", "objects"):
                lut[s.body, :] = s.class_id
            else:
                lut[s.body, s.link + 1] = s.class_id
        self._class_lut = lut
        self._styled = None

    # -- sampling -----------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> Appearance:
        """Draw a concrete appearance from the domain."""
        d = self.domain
        textures: dict[tuple[int, int], tuple[int, tuple[float, float, float, float]]] = {}
        if not d.canonical:
            lo, hi = d.textures.tint
            for s in self.surfaces:
                pool = self.pools[s.group]
                tint = rng.uniform(lo, hi, size=3)
                tint = tint / max(1.0, float(tint.max()))
                textures[(s.body, s.link)] = (
                    pool[int(rng.integers(len(pool)))],
                    (float(tint[0]), float(tint[1]), float(tint[2]), 1.0),
                )
        view, projection = self._camera(rng)
        sampled = d.effects.sample(rng)
        effects = None if sampled.is_identity else sampled
        if d.canonical:
            light = dict(CANONICAL_LIGHT)
            background = np.zeros((self.height, self.width, 3), np.uint8)
        else:
            light = self._light(rng)
            background = self._background(rng)
        return Appearance(textures, light, view, projection, effects, background)

    def _camera(self, rng: np.random.Generator) -> tuple[tuple[float, ...], tuple[float, ...]]:
        c = self.domain.camera
        eye = np.add(c.eye, c.offset) + rng.uniform(-1, 1, 3) * c.eye_jitter
        target = np.asarray(c.target) + rng.uniform(-1, 1, 3) * c.target_jitter
        forward = (target - eye) / np.linalg.norm(target - eye)
        roll = np.deg2rad(rng.uniform(-1, 1) * c.roll_jitter)
        up = np.array([0.0, 0.0, 1.0])
        if roll:
            # Rodrigues rotation of the up vector about the viewing axis.
            up = (
                up * np.cos(roll)
                + np.cross(forward, up) * np.sin(roll)
                + forward * np.dot(forward, up) * (1 - np.cos(roll))
            )
        fov = c.fov + rng.uniform(-1, 1) * c.fov_jitter
        view = self.p.computeViewMatrix(eye.tolist(), target.tolist(), up.tolist())
        projection = self.p.computeProjectionMatrixFOV(fov, self.width / self.height, NEAR, FAR)
        return tuple(view), tuple(projection)

    def _light(self, rng: np.random.Generator) -> dict[str, object]:
        li = self.domain.lighting
        azimuth = np.deg2rad(rng.uniform(*li.azimuth))
        elevation = np.deg2rad(rng.uniform(*li.elevation))
        direction = (
            float(np.cos(elevation) * np.cos(azimuth)),
            float(np.cos(elevation) * np.sin(azimuth)),
            float(np.sin(elevation)),
        )
        color = rng.uniform(li.color_low, li.color_high)
        return {
            "lightDirection": direction,
            "lightColor": tuple(float(v) for v in color),
            "lightDistance": float(rng.uniform(*li.distance)),
            "shadow": int(rng.random() < li.shadow_probability),
            "lightAmbientCoeff": float(rng.uniform(*li.ambient)),
            "lightDiffuseCoeff": float(rng.uniform(*li.diffuse)),
            "lightSpecularCoeff": float(rng.uniform(*li.specular)),
        }

    def _background(self, rng: np.random.Generator) -> np.ndarray:
        image = self.domain.textures.background.sample(rng)
        if image.shape[:2] != (self.height, self.width):
            resized = Image.fromarray(image).resize((self.width, self.height), Image.BILINEAR)
            image = np.asarray(resized)
        return image

    # -- drawing ------------------------------------------------------------------------------
    def render(
        self,
        appearance: Appearance,
        rgb: bool = True,
        canonical: bool = False,
        mask: bool = False,
        depth: bool = False,
    ) -> Frame:
        """Render the current physics state; ask only for what you need (each style costs a
        TinyRenderer pass)."""
        frame = Frame()
        if rgb or mask or depth:
            styled = self.domain.canonical
            self._apply(appearance, canonical_style=styled)
            image, seg, zbuf = self._draw(appearance.view, appearance.projection, appearance.light)
            nothing = seg < 0
            if rgb:
                out = image.copy()
                out[nothing] = appearance.background[nothing]
                if appearance.effects is not None:
                    out = appearance.effects.apply(out, self.rng)
                frame.rgb = out
            if mask:
                frame.mask = self._classes(seg)
            if depth:
                frame.depth = (FAR * NEAR / (FAR - (FAR - NEAR) * zbuf)).astype(np.float32)
        if canonical:
            self._apply(appearance, canonical_style=True)
            image, seg, _ = self._draw(appearance.view, appearance.projection, CANONICAL_LIGHT)
            image = image.copy()
            image[seg < 0] = 0
            frame.canonical = image
        return frame

    def _draw(
        self, view: tuple[float, ...], projection: tuple[float, ...], light: dict[str, object]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        _, _, rgba, zbuf, seg = self.p.getCameraImage(
            self.width,
            self.height,
            view,
            projection,
            renderer=self.p.ER_TINY_RENDERER,
            flags=self.p.ER_SEGMENTATION_MASK_OBJECT_AND_LINKINDEX,
            **light,
        )
        rgba = np.asarray(rgba, np.uint8).reshape(self.height, self.width, 4)
        seg = np.asarray(seg, np.int64).reshape(self.height, self.width)
        zbuf = np.asarray(zbuf, np.float32).reshape(self.height, self.width)
        return rgba[..., :3], seg, zbuf

    def _classes(self, seg: np.ndarray) -> np.ndarray:
        hit = seg >= 0
        body = np.where(hit, seg & ((1 << 24) - 1), 0)
        link = np.where(hit, (seg >> 24), 0)
        lut = self._class_lut
        inside = hit & (body < lut.shape[0]) & (link < lut.shape[1])
        out = np.zeros(seg.shape, np.uint8)
        out[inside] = lut[body[inside], link[inside]]
        return out

    def _apply(self, appearance: Appearance, canonical_style: bool) -> None:
        """Put the surfaces into one style; skipped when already there."""
        key = "canonical" if canonical_style else f"domain:{id(appearance)}"
        if self._styled == key and self._appearance is appearance:
            return
        change = self.p.changeVisualShape
        for s in self.surfaces:
            if canonical_style:
                r, g, b = s.canonical_color
                change(s.body, s.link, textureUniqueId=self._white, rgbaColor=(r, g, b, 1.0))
            else:
                tex, rgba = appearance.textures[(s.body, s.link)]
                change(s.body, s.link, textureUniqueId=tex, rgbaColor=rgba)
        self._styled = key
        self._appearance = appearance

    def _load_textures(
        self, images: list[np.ndarray], folder: Path | None = None, tag: str = "white"
    ) -> list[int]:
        ids = []
        with tempfile.TemporaryDirectory(prefix="rcan-tex-") as fallback:
            base = folder or Path(fallback)
            for i, image in enumerate(images):
                path = base / f"{tag}-{i}.png"
                Image.fromarray(image).save(path, compress_level=0)
                ids.append(self.p.loadTexture(str(path)))
        return ids
