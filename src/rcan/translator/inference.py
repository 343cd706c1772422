"""Using a trained translator: ``Translator.from_checkpoint(path).translate(images)``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rcan.common.checkpoint import load_json, load_tensors
from rcan.common.config import from_dict
from rcan.common.errors import RcanError
from rcan.translator.networks import (
    GeneratorConfig,
    UNetGenerator,
    depth_to_metres,
    rgb_to_uint8,
    to_model_input,
)


@dataclass
class Translation:
    """What the translator makes of a batch of images."""

    canonical: np.ndarray
    """(N, H, W, 3) uint8 canonical RGB."""
    mask: np.ndarray
    """(N, H, W) uint8 class ids (see rcan.sim.render.CLASS_NAMES)."""
    depth: np.ndarray
    """(N, H, W) float32 metres."""


class Translator:
    """A generator in eval mode (deterministic; see rcan.translator.networks)."""

    def __init__(self, generator: UNetGenerator, device: str | torch.device = "cpu") -> None:
        self.generator = generator.to(device).eval()
        self.device = torch.device(device)

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike[str], device: str = "cpu") -> Translator:
        """Load ``generator.safetensors`` + ``config.json`` from a folder.

        The folder is either an exported translator or a training checkpoint (whose
        config.json holds the whole training config; the generator's part is used).
        """
        folder = Path(path)
        if not folder.is_dir():
            raise RcanError(f"translator checkpoint {folder} is not a folder")
        config = load_json(folder, "config")
        for key in ("model", "generator"):
            if isinstance(config.get(key), dict):
                config = config[key]
        config = {k: v for k, v in config.items() if k in GeneratorConfig.__dataclass_fields__}
        generator = UNetGenerator(from_dict(GeneratorConfig, config, f"{folder}/config.json"))
        tensors = load_tensors(folder, "generator")
        try:
            generator.load_state_dict(tensors)
        except RuntimeError as err:
            first = str(err).splitlines()[0]
            raise RcanError(
                f"translator checkpoint {folder}: weights do not fit: {first}"
            ) from None
        return cls(generator, device)

    @torch.no_grad()
    def translate(self, images: np.ndarray) -> Translation:
        """uint8 images (N, H, W, 3) or one (H, W, 3) -> canonical RGB, mask and depth."""
        array = np.asarray(images)
        if array.dtype != np.uint8:
            raise RcanError(f"translate: images must be uint8, got {array.dtype}")
        single = array.ndim == 3
        if single:
            array = array[None]
        minimum = 2 ** self.generator.config.depth
        if array.ndim != 4 or array.shape[-1] != 3:
            raise RcanError(
                f"translate: expected images of shape (N, H, W, 3) or (H, W, 3), got {array.shape}"
            )
        if array.shape[1] < minimum or array.shape[2] < minimum or len(array) == 0:
            raise RcanError(
                f"translate: images must be at least {minimum} x {minimum}, got {array.shape}"
            )
        x = torch.from_numpy(np.ascontiguousarray(array)).to(self.device).permute(0, 3, 1, 2)
        out = self.generator(to_model_input(x))
        result = Translation(
            canonical=rgb_to_uint8(out.rgb).cpu().numpy(),
            mask=out.mask_logits.argmax(1).to(torch.uint8).cpu().numpy(),
            depth=depth_to_metres(out.depth).float().cpu().numpy(),
        )
        if single:
            return Translation(result.canonical[0], result.mask[0], result.depth[0])
        return result
