"""Pictures of translations: for simulator samples (with the truth beside) or your own photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from rcan.common.errors import RcanError
from rcan.sim.render import Frame
from rcan.sim.show import colorize_depth, colorize_mask
from rcan.translator.inference import Translator

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


def translation_rows(translator: Translator, frames: list[Frame]) -> list[np.ndarray]:
    """Rows of input | predicted canonical | true canonical | predicted mask | predicted depth."""
    images = np.stack([f.rgb for f in frames if f.rgb is not None])
    t = translator.translate(images)
    rows = []
    for k, frame in enumerate(frames):
        assert frame.canonical is not None
        rows.append(np.concatenate([images[k], t.canonical[k], frame.canonical,
                                    colorize_mask(t.mask[k]), colorize_depth(t.depth[k])], 1))
    return rows


def load_photos(folder: Path, size: int, limit: int = 12) -> np.ndarray:
    """Centre-cropped, resized photos from ``folder`` as uint8 (N, size, size, 3)."""
    if not folder.is_dir():
        raise RcanError(f"image folder {folder} does not exist")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
    if not paths:
        raise RcanError(f"image folder {folder} holds no {'/'.join(IMAGE_SUFFIXES)} files")
    photos = []
    for path in paths:
        try:
            image = Image.open(path).convert("RGB")
        except OSError:
            raise RcanError(f"cannot read image {path}") from None
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side))
        image = image.resize((size, size), Image.BILINEAR)
        photos.append(np.asarray(image))
    return np.stack(photos)


def photo_rows(translator: Translator, photos: np.ndarray) -> list[np.ndarray]:
    """Rows of photo | predicted canonical | predicted mask | predicted depth."""
    t = translator.translate(photos)
    return [
        np.concatenate([photos[k], t.canonical[k], colorize_mask(t.mask[k]),
                        colorize_depth(t.depth[k])], 1)
        for k in range(len(photos))
    ]
