"""Texture sources for the surface groups of the randomized world.

A :class:`TextureSource` says where the textures of one group of surfaces (the floor, the tray,
the objects, one arm link...) come from: procedural patterns drawn in a colour range, crops of
image files from folders, or crops of the photographs that ship inside scikit-image. Sampling is
a pure function of the ``numpy`` generator it is given, so a seed reproduces the exact bytes.

Procedural kinds are vectorised numpy (well under a millisecond for 64x64). Image files and
photographs are decoded once and kept in bounded module-level caches, so drawing crops does not
touch the disk after the first use.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from rcan.common.config import from_dict
from rcan.common.errors import RcanError

PROCEDURAL_KINDS: tuple[str, ...] = (
    "flat",
    "noise",
    "smooth_noise",
    "checkers",
    "stripes",
    "gradient",
    "blobs",
    "dead_leaves",
    "fractal",
)
"""Names of the procedural texture kinds, in the order the docs list them."""

PHOTO_NAMES: tuple[str, ...] = (
    "astronaut",
    "brick",
    "camera",
    "cell",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "colorwheel",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "motorcycle_left",
    "page",
    "retina",
    "rocket",
    "text",
)
"""Photographs stored inside the scikit-image wheel; all load offline (gray ones become RGB)."""

IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp")
"""File name endings (any case) that count as images inside a texture folder."""

MAX_CACHED_IMAGES = 256
"""Most decoded images (files and photographs) kept in memory at once."""

MAX_IMAGE_SIDE = 1024
"""Longer side images are shrunk to when decoded: crops stay sharp, memory stays bounded."""

MIN_CROP_FRACTION = 0.3
"""Smallest crop side, as a fraction of the shorter image side."""

_FOLDER_FILES: dict[str, tuple[Path, ...]] = {}
_DECODED: OrderedDict[str, Image.Image] = OrderedDict()
_PHOTOS: dict[str, np.ndarray] = {}


# --------------------------------------------------------------------------------------------
# Photographs and image files
# --------------------------------------------------------------------------------------------


def _read_photo(name: str) -> np.ndarray:
    """Decode one bundled photograph with scikit-image (never reaches the network)."""
    import skimage.data  # imported lazily: it is slow to import and only photos need it

    if name == "motorcycle_left":
        # The stereo pair has no single-image loader; its left view is a fine photograph.
        image = skimage.data.stereo_motorcycle()[0]
    else:
        image = getattr(skimage.data, name)()
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    return np.ascontiguousarray(image[:, :, :3], dtype=np.uint8)


def load_photo(name: str) -> np.ndarray:
    """Return the whole photograph ``name`` (one of PHOTO_NAMES) as read-only uint8 HxWx3.

    The array is cached and shared between callers, hence read-only: copy it to modify it.
    """
    if name not in PHOTO_NAMES:
        raise RcanError(f"unknown photo '{name}' (expected one of {', '.join(PHOTO_NAMES)})")
    photo = _PHOTOS.get(name)
    if photo is None:
        photo = _read_photo(name)
        photo.setflags(write=False)
        _PHOTOS[name] = photo
    return photo


def _shrink(image: Image.Image) -> Image.Image:
    """Bound the longer side by MAX_IMAGE_SIDE so the cache cannot grow without limit."""
    longest = max(image.size)
    if longest <= MAX_IMAGE_SIDE:
        return image
    scale = MAX_IMAGE_SIDE / longest
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR)


def _decoded(key: str, load: Callable[[], Image.Image]) -> Image.Image:
    """Fetch a decoded image from the bounded LRU cache, decoding it with ``load`` on a miss."""
    image = _DECODED.get(key)
    if image is not None:
        _DECODED.move_to_end(key)
        return image
    image = _shrink(load())
    _DECODED[key] = image
    while len(_DECODED) > MAX_CACHED_IMAGES:
        _DECODED.popitem(last=False)
    return image


def _open_file(path: Path) -> Image.Image:
    """Decode an image file to RGB, reporting unreadable files as one clear line."""
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError) as error:
        raise RcanError(f"texture image {path}: cannot be decoded ({error})") from error


def _photo_image(name: str) -> Image.Image:
    return _decoded(f"photo:{name}", lambda: Image.fromarray(load_photo(name)))


def _file_image(path: Path) -> Image.Image:
    return _decoded(f"file:{path}", lambda: _open_file(path))


def folder_images(folder: str | Path) -> tuple[Path, ...]:
    """List the image files under ``folder`` (recursively, sorted so seeds stay reproducible)."""
    key = str(Path(folder).expanduser().resolve())
    files = _FOLDER_FILES.get(key)
    if files is None:
        root = Path(key)
        found = [p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
        files = tuple(sorted(found))
        _FOLDER_FILES[key] = files
    return files


def clear_caches() -> None:
    """Forget cached folder listings and decoded images (for tests, or after folders change)."""
    _FOLDER_FILES.clear()
    _DECODED.clear()
    _PHOTOS.clear()


def _crop(image: Image.Image, size: int, rng: np.random.Generator) -> np.ndarray:
    """Random square crop of 30-100% of the shorter side, resized to size x size, maybe flipped."""
    width, height = image.size
    shorter = min(width, height)
    side = max(1, round(shorter * rng.uniform(MIN_CROP_FRACTION, 1.0)))
    left = int(rng.integers(0, width - side + 1))
    top = int(rng.integers(0, height - side + 1))
    flip_x, flip_y = rng.random(2) < 0.5
    # resize(box=...) crops and scales in one pass, without copying the whole image first.
    out = np.asarray(
        image.resize(
            (size, size),
            Image.Resampling.BILINEAR,
            box=(left, top, left + side, top + side),
            reducing_gap=3.0,
        )
    )
    if flip_x:
        out = out[:, ::-1]
    if flip_y:
        out = out[::-1]
    # A fresh, writable array: the one PIL hands out may be read-only.
    return np.array(out, dtype=np.uint8, order="C")


# --------------------------------------------------------------------------------------------
# Procedural kinds: each returns float32 (size, size, 3) in the colour range, values in 0..1
# --------------------------------------------------------------------------------------------

Colour = tuple[float, float, float]


@lru_cache(maxsize=16)
def _axes(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in [0, 1): a column (y) and a row (x), ready to broadcast."""
    ticks = ((np.arange(size, dtype=np.float32) + 0.5) / size).astype(np.float32)
    ticks.setflags(write=False)  # shared by every call through the cache
    return ticks[:, None], ticks[None, :]


def _colour(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return rng.uniform(low, high).astype(np.float32)


def _mix(t: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Blend colour ``a`` (t=0) into ``b`` (t=1) per pixel; stays inside the colour box."""
    return a + t[:, :, None].astype(np.float32) * (b - a)


def _flat(rng: np.random.Generator, low: np.ndarray, high: np.ndarray, size: int) -> np.ndarray:
    return np.broadcast_to(_colour(rng, low, high), (size, size, 3))


def _noise(rng: np.random.Generator, low: np.ndarray, high: np.ndarray, size: int) -> np.ndarray:
    a, b = _colour(rng, low, high), _colour(rng, low, high)
    if rng.random() < 0.5:
        # Two-tone grain (like sand or concrete): every pixel sits between two colours.
        return _mix(rng.random((size, size), dtype=np.float32), a, b)
    # Confetti: every channel of every pixel drawn on its own.
    return rng.uniform(low, high, size=(size, size, 3)).astype(np.float32)


def _smooth_noise(
    rng: np.random.Generator, low: np.ndarray, high: np.ndarray, size: int
) -> np.ndarray:
    cells = int(rng.integers(2, 9))
    grid = rng.uniform(low, high, size=(cells, cells, 3)).astype(np.float32)
    # Smoothstep-weighted bilinear upsampling: no visible creases along the coarse grid lines.
    pos = (np.arange(size, dtype=np.float32) + 0.5) / size * (cells - 1)
    lower = np.minimum(pos.astype(np.int64), cells - 2)
    frac = pos - lower
    weight = (frac * frac * (3.0 - 2.0 * frac))[:, None]
    rows = grid[lower] * (1.0 - weight[:, :, None]) + grid[lower + 1] * weight[:, :, None]
    wcol = weight[None, :, :]
    return rows[:, lower] * (1.0 - wcol) + rows[:, lower + 1] * wcol


def _rotated(rng: np.random.Generator, size: int, turn: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates rotated by a random angle in [0, turn), around the texture centre."""
    y, x = _axes(size)
    angle = rng.uniform(0.0, turn)
    cos, sin = np.float32(np.cos(angle)), np.float32(np.sin(angle))
    xc, yc = x - np.float32(0.5), y - np.float32(0.5)
    return xc * cos - yc * sin, xc * sin + yc * cos


def _checkers(rng: np.random.Generator, low: np.ndarray, high: np.ndarray, size: int) -> np.ndarray:
    a, b = _colour(rng, low, high), _colour(rng, low, high)
    cells = int(rng.integers(2, 13))
    phase_u, phase_v = rng.uniform(0.0, 1.0, size=2)
    u, v = _rotated(rng, size, np.pi / 2)
    parity = (np.floor(u * cells + phase_u) + np.floor(v * cells + phase_v)) % 2.0
    return _mix(parity, a, b)


def _stripes(rng: np.random.Generator, low: np.ndarray, high: np.ndarray, size: int) -> np.ndarray:
    a, b = _colour(rng, low, high), _colour(rng, low, high)
    cycles = rng.uniform(1.0, 12.0)
    phase = rng.uniform(0.0, 1.0)
    hard = rng.random() < 0.5
    duty = rng.uniform(0.2, 0.8)
    u, _ = _rotated(rng, size, np.pi)
    wave = (u * np.float32(cycles) + np.float32(phase)) % 1.0
    # Half the stripes are crisp (a duty cycle), half are soft (a cosine profile).
    t = (wave < duty).astype(np.float32) if hard else 0.5 - 0.5 * np.cos(2.0 * np.pi * wave)
    return _mix(t, a, b)


def _gradient(rng: np.random.Generator, low: np.ndarray, high: np.ndarray, size: int) -> np.ndarray:
    a, b = _colour(rng, low, high), _colour(rng, low, high)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    y, x = _axes(size)
    cos, sin = np.float32(np.cos(angle)), np.float32(np.sin(angle))
    along = (x - np.float32(0.5)) * cos + (y - np.float32(0.5)) * sin
    # The projection spans +-(|cos|+|sin|)/2, so this maps the texture onto t in [0, 1].
    t = along / (abs(cos) + abs(sin)) + np.float32(0.5)
    return _mix(np.clip(t, 0.0, 1.0), a, b)


def _topmost(inside: np.ndarray) -> np.ndarray:
    """Per pixel, 1 + the index of the last of ``inside``'s (count, H, W) shapes covering it
    (later shapes lie on top), or 0 where none does: an index into a background-first palette."""
    last_from_end = np.argmax(inside[::-1], axis=0)
    return np.where(inside.any(axis=0), len(inside) - last_from_end, 0)


def _blobs(rng: np.random.Generator, low: np.ndarray, high: np.ndarray, size: int) -> np.ndarray:
    count = int(rng.integers(2, 7))
    palette = rng.uniform(low, high, size=(count + 1, 3)).astype(np.float32)
    centres = rng.uniform(0.0, 1.0, size=(count, 2)).astype(np.float32)
    radii = rng.uniform(0.05, 0.3, size=(count, 2)).astype(np.float32)
    angles = rng.uniform(0.0, np.pi, size=count)
    y, x = _axes(size)
    cos = np.cos(angles).astype(np.float32)[:, None, None]
    sin = np.sin(angles).astype(np.float32)[:, None, None]
    dx = x[None] - centres[:, 0, None, None]
    dy = y[None] - centres[:, 1, None, None]
    along = (dx * cos + dy * sin) / radii[:, 0, None, None]
    across = (dy * cos - dx * sin) / radii[:, 1, None, None]
    inside = along * along + across * across <= 1.0
    return palette[_topmost(inside)]


def _dead_leaves(
    rng: np.random.Generator, low: np.ndarray, high: np.ndarray, size: int
) -> np.ndarray:
    """Occluding discs whose radii follow p(r) ~ r^-3 (the dead-leaves model): the scale-free
    edges and flat patches of natural images, with no photograph (Lee, Mumford & Huang 2001;
    Baradad et al. 2021 pretrain vision models on it)."""
    count = int(rng.integers(250, 401))  # enough to cover about 95% of the texture
    r_min, r_max = 0.03, 0.35
    # Inverse CDF of the r^-3 law on [r_min, r_max].
    u = rng.random(count)
    radii = ((r_min**-2 - u * (r_min**-2 - r_max**-2)) ** -0.5).astype(np.float32)
    centres = rng.uniform(-0.1, 1.1, size=(count, 2)).astype(np.float32)
    palette = rng.uniform(low, high, size=(count + 1, 3)).astype(np.float32)
    y, x = _axes(size)
    dx = x[None] - centres[:, 0, None, None]
    dy = y[None] - centres[:, 1, None, None]
    inside = dx * dx + dy * dy <= (radii * radii)[:, None, None]
    return palette[_topmost(inside)]


def _power_law_field(rng: np.random.Generator, size: int, beta: float) -> np.ndarray:
    """A random field in [0, 1] whose power spectrum falls as 1/f^beta (random phases)."""
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    frequency = np.sqrt(fx * fx + fy * fy)
    frequency[0, 0] = 1.0
    amplitude = frequency ** (-beta / 2.0)
    amplitude[0, 0] = 0.0  # no mean: the colour range sets it
    phase = np.exp(2j * np.pi * rng.random(amplitude.shape))
    field = np.fft.irfft2(amplitude * phase, s=(size, size))
    spread = field.max() - field.min()
    if spread <= 1e-12:  # a 1- or 2-pixel texture can come out constant
        return np.full((size, size), 0.5, np.float32)
    return ((field - field.min()) / spread).astype(np.float32)


def _fractal(rng: np.random.Generator, low: np.ndarray, high: np.ndarray, size: int) -> np.ndarray:
    """Two 1/f^beta fields (beta 1.5-3; natural images have about 2) blending three colours:
    the spectrum of photographs (clouds, foliage, stone) without their content."""
    a, b, c = (_colour(rng, low, high) for _ in range(3))
    first = _power_law_field(rng, size, rng.uniform(1.5, 3.0))
    second = _power_law_field(rng, size, rng.uniform(1.5, 3.0))
    return _mix(second, _mix(first, a, b), np.broadcast_to(c, (size, size, 3)))


_KIND_FUNCTIONS: dict[
    str, Callable[[np.random.Generator, np.ndarray, np.ndarray, int], np.ndarray]
] = {
    "flat": _flat,
    "noise": _noise,
    "smooth_noise": _smooth_noise,
    "checkers": _checkers,
    "stripes": _stripes,
    "gradient": _gradient,
    "blobs": _blobs,
    "dead_leaves": _dead_leaves,
    "fractal": _fractal,
}


def procedural(
    kind: str, rng: np.random.Generator, low: Colour, high: Colour, size: int
) -> np.ndarray:
    """Draw one procedural texture of ``kind`` as uint8 (size, size, 3), colours in [low, high]."""
    if kind not in _KIND_FUNCTIONS:
        raise RcanError(f"unknown texture kind '{kind}' (expected one of {_kinds_text()})")
    lo = np.asarray(low, dtype=np.float64)
    hi = np.asarray(high, dtype=np.float64)
    values = _KIND_FUNCTIONS[kind](rng, lo, hi, size)
    # order="C": fancy-indexed kinds come out strided; texture consumers expect plain C order.
    return (values * np.float32(255.0) + np.float32(0.5)).astype(np.uint8, order="C")


def _kinds_text() -> str:
    return ", ".join(PROCEDURAL_KINDS)


# --------------------------------------------------------------------------------------------
# The configurable source
# --------------------------------------------------------------------------------------------


@dataclass
class TextureSource:
    """Where the textures of one surface group (floor, tray, objects, an arm link...) come from."""

    kinds: list[str] = field(default_factory=lambda: ["flat"])
    """Procedural kinds to draw from (names in PROCEDURAL_KINDS)."""
    folders: list[str] = field(default_factory=list)
    """Folders searched recursively for png/jpg/jpeg/bmp files to draw crops from."""
    photos: list[str] = field(default_factory=list)
    """Bundled photographs (names in PHOTO_NAMES) to draw crops from."""
    image_probability: float = 0.5
    """Chance of an image crop rather than a procedural kind, when both families exist."""
    color_low: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """Lower bound of the RGB colours (0..1) drawn by procedural kinds."""
    color_high: tuple[float, float, float] = (1.0, 1.0, 1.0)
    """Upper bound of the RGB colours (0..1) drawn by procedural kinds."""
    size: int = 64
    """Side of the square texture, in pixels."""

    def validate(self, where: str) -> None:
        """Raise RcanError, naming ``where`` and the field, for any value that cannot work."""
        for kind in self.kinds:
            if kind not in PROCEDURAL_KINDS:
                raise RcanError(
                    f"{where}.kinds: unknown kind '{kind}' (expected one of {_kinds_text()})"
                )
        for name in self.photos:
            if name not in PHOTO_NAMES:
                raise RcanError(
                    f"{where}.photos: unknown photo '{name}' "
                    f"(expected one of {', '.join(PHOTO_NAMES)})"
                )
        for folder in self.folders:
            path = Path(folder).expanduser()
            if not path.is_dir():
                raise RcanError(f"{where}.folders: folder '{folder}' does not exist")
            if not folder_images(path):
                raise RcanError(
                    f"{where}.folders: folder '{folder}' holds no "
                    f"{'/'.join(s[1:] for s in IMAGE_SUFFIXES)} images"
                )
        if not self.kinds and not self.folders and not self.photos:
            raise RcanError(f"{where}: no texture configured (give kinds, folders or photos)")
        self._validate_colours(where)
        if self.size < 2:
            raise RcanError(f"{where}.size: must be at least 2 pixels, got {self.size}")
        if not 0.0 <= self.image_probability <= 1.0:
            raise RcanError(
                f"{where}.image_probability: must lie in [0, 1], got {self.image_probability}"
            )

    def _validate_colours(self, where: str) -> None:
        for name in ("color_low", "color_high"):
            value = getattr(self, name)
            if len(value) != 3:
                raise RcanError(f"{where}.{name}: expected 3 values (r, g, b), got {value}")
            if any(not 0.0 <= c <= 1.0 for c in value):
                raise RcanError(f"{where}.{name}: values must lie in [0, 1], got {list(value)}")
        if any(lo > hi for lo, hi in zip(self.color_low, self.color_high, strict=True)):
            raise RcanError(
                f"{where}.color_low: {list(self.color_low)} exceeds "
                f"color_high {list(self.color_high)} in some channel"
            )

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """Draw one texture: uint8 (size, size, 3), fully determined by ``rng``."""
        has_images = bool(self.folders or self.photos)
        if self.kinds and has_images:
            use_image = rng.random() < self.image_probability
        else:
            use_image = has_images
        if use_image:
            return _crop(self._pick_image(rng), self.size, rng)
        kind = self.kinds[int(rng.integers(len(self.kinds)))]
        return procedural(kind, rng, self.color_low, self.color_high, self.size)

    def _pick_image(self, rng: np.random.Generator) -> Image.Image:
        """Pick a folder or photo uniformly, then (for a folder) one of its files uniformly."""
        choice = int(rng.integers(len(self.folders) + len(self.photos)))
        if choice >= len(self.folders):
            return _photo_image(self.photos[choice - len(self.folders)])
        files = folder_images(self.folders[choice])
        if not files:
            raise RcanError(f"texture folder '{self.folders[choice]}' holds no images")
        return _file_image(files[int(rng.integers(len(files)))])

    @staticmethod
    def from_dict(
        d: Mapping[str, Any] | None,
        where: str,
        base_dir: str | Path | None = None,
        path: str = "",
    ) -> TextureSource:
        """Build from a plain (YAML) mapping at ``path`` of ``where``; checks names and types,
        not values (see validate).

        If the mapping names folders or photos but no ``kinds``, the source draws images only:
        the default ``["flat"]`` would otherwise mix flat colours in unasked. Relative folders
        are resolved against ``base_dir`` when given (e.g. the folder of the YAML file).
        """
        d = {} if d is None else d
        source = from_dict(TextureSource, d, where, path, use_custom=False)
        if "kinds" not in d and ("folders" in d or "photos" in d):
            source.kinds = []
        source.folders = [_resolve(f, base_dir) for f in source.folders]
        return source



def _resolve(folder: str, base_dir: str | Path | None) -> str:
    path = Path(folder).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    return str(path)
