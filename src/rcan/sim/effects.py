"""Camera and sensor effects applied to rendered images.

:class:`ImageEffects` holds the ranges a domain allows; once per episode it samples a
:class:`SampledEffects` of concrete values, which is then applied to every frame of that episode.
The order mimics a camera pipeline: white balance, brightness, contrast (the ISP's colour work),
then optical blur, then sensor noise, and last the JPEG compression of the stored frame.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

from rcan.common.config import from_dict, join_path
from rcan.common.errors import RcanError

FloatRange = tuple[float, float]


@dataclass
class ImageEffects:
    """Ranges of the sensor effects on a rendered image; each episode samples concrete values."""

    noise_std: FloatRange = (0.0, 0.0)
    """Range of the std of additive Gaussian pixel noise, in 0..255 units."""
    blur_sigma: FloatRange = (0.0, 0.0)
    """Range of the Gaussian blur sigma, in pixels."""
    brightness: FloatRange = (1.0, 1.0)
    """Range of a multiplicative brightness gain."""
    contrast: FloatRange = (1.0, 1.0)
    """Range of the contrast factor, applied around the image mean."""
    white_balance: FloatRange = (1.0, 1.0)
    """Range of the per-channel gains, drawn independently for R, G and B."""
    jpeg_quality: tuple[int, int] = (0, 0)
    """Range of the JPEG quality (inclusive); a drawn 0 means no JPEG compression."""

    def validate(self, where: str) -> None:
        """Raise RcanError, naming ``where`` and the field, for any range that cannot work."""
        for item in fields(self):
            low, high = getattr(self, item.name)
            if low > high:
                raise RcanError(f"{where}.{item.name}: low {low} exceeds high {high}")
        for name in ("noise_std", "blur_sigma"):
            low = getattr(self, name)[0]
            if low < 0:
                raise RcanError(f"{where}.{name}: must not be negative, got {low}")
        for name in ("brightness", "contrast", "white_balance"):
            low = getattr(self, name)[0]
            if low <= 0:
                raise RcanError(f"{where}.{name}: gains must be positive, got {low}")
        low, high = self.jpeg_quality
        if low < 0 or high > 100:
            raise RcanError(
                f"{where}.jpeg_quality: must lie in 0..100 (0 = no JPEG), got {[low, high]}"
            )

    def sample(self, rng: np.random.Generator) -> SampledEffects:
        """Draw concrete values for one episode.

        Every draw happens whatever the ranges, so narrowing one range never shifts the
        values drawn for the others from the same seed.
        """
        noise = rng.uniform(*self.noise_std)
        blur = rng.uniform(*self.blur_sigma)
        brightness = rng.uniform(*self.brightness)
        contrast = rng.uniform(*self.contrast)
        r, g, b = rng.uniform(*self.white_balance, size=3)
        quality = rng.integers(self.jpeg_quality[0], self.jpeg_quality[1] + 1)
        return SampledEffects(
            noise_std=float(noise),
            blur_sigma=float(blur),
            brightness=float(brightness),
            contrast=float(contrast),
            white_balance=(float(r), float(g), float(b)),
            jpeg_quality=int(quality),
        )

    @staticmethod
    def from_dict(d: Mapping[str, Any] | None, where: str, path: str = "") -> ImageEffects:
        """Build from a plain (YAML) mapping at ``path`` of ``where``; checks names and types,
        not values (see validate). Each range is ``[low, high]``; a single number means a fixed
        value (``[v, v]``)."""
        if isinstance(d, Mapping):
            d = {key: _as_range(value, where, join_path(path, str(key)))
                 for key, value in d.items()}
        return from_dict(ImageEffects, {} if d is None else d, where, path, use_custom=False)



@dataclass(frozen=True)
class SampledEffects:
    """Concrete effect values for one episode."""

    noise_std: float = 0.0
    """Std of the additive Gaussian pixel noise, in 0..255 units."""
    blur_sigma: float = 0.0
    """Gaussian blur sigma, in pixels."""
    brightness: float = 1.0
    """Multiplicative brightness gain."""
    contrast: float = 1.0
    """Contrast factor around the image mean."""
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0)
    """Gains of the R, G and B channels."""
    jpeg_quality: int = 0
    """JPEG quality 1..100, or 0 for no JPEG compression."""

    @property
    def is_identity(self) -> bool:
        """True when applying these effects would leave every image unchanged."""
        return (
            not self._changes_colour and not self._blurs and self.noise_std <= 0 and not self._jpeg
        )

    @property
    def _changes_colour(self) -> bool:
        return (
            self.brightness != 1.0
            or self.contrast != 1.0
            or any(g != 1.0 for g in self.white_balance)
        )

    @property
    def _blurs(self) -> bool:
        # A kernel radius of int(4 * sigma + 0.5) is 0 below 0.125: such a blur does nothing.
        return self.blur_sigma >= 0.125

    @property
    def _jpeg(self) -> bool:
        return self.jpeg_quality > 0

    def apply(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Apply the effects to a uint8 HxWx3 image and return a new uint8 HxWx3 image.

        Identity effects return ``image`` itself. Only the noise draws from ``rng``, so the
        result is a pure function of the image, these values and the generator's state.
        """
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise RcanError(
                f"image effects: expected a uint8 HxWx3 image, got {image.dtype} {image.shape}"
            )
        if self.is_identity:
            return image
        out = image
        if self._changes_colour or self._blurs or self.noise_std > 0:
            out = self._apply_float(image, rng)
        if self._jpeg:
            out = _jpeg_round_trip(out, self.jpeg_quality)
        return out

    def _apply_float(self, image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Colour, blur and noise in float32, rounded back to uint8 once at the end."""
        x = image.astype(np.float32)
        if self._changes_colour:
            gains = np.asarray(self.white_balance, dtype=np.float32) * np.float32(self.brightness)
            x *= gains
            if self.contrast != 1.0:
                # Contrast pivots on the mean of the balanced image, so it keeps its brightness.
                mean = x.mean()
                x -= mean
                x *= np.float32(self.contrast)
                x += mean
        if self._blurs:
            # Blur rows and columns only: channels must not bleed into each other.
            x = gaussian_filter(x, sigma=(self.blur_sigma, self.blur_sigma, 0.0), mode="nearest")
        if self.noise_std > 0:
            noise = rng.standard_normal(x.shape, dtype=np.float32)
            noise *= np.float32(self.noise_std)
            x += noise
        np.clip(x, 0.0, 255.0, out=x)
        x += np.float32(0.5)
        return x.astype(np.uint8)


def _jpeg_round_trip(image: np.ndarray, quality: int) -> np.ndarray:
    """Encode and decode as JPEG in memory, keeping the compression artefacts."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.array(decoded.convert("RGB"))


def _as_range(value: Any, where: str, path: str) -> Any:
    """A lone number as the range ``[v, v]``; a list must hold two values (their types are
    checked by from_dict)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [value, value]
    if isinstance(value, list | tuple) and len(value) != 2:
        raise RcanError(f"{where}: {path}: expected [low, high] or one number, got {list(value)}")
    return value
