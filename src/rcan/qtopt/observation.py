"""What the Q-network sees, per observation mode (RCAN's Table 1 rows).

* ``canonical``: the simulator's own canonical render (3 channels): an upper bound that only
  exists in simulation.
* ``randomized``: raw images of the randomized domain (3 channels): the domain-randomization
  baseline.
* ``rcan``: the translator's canonical image G(x) stacked with the raw image x (6 channels),
  as in RCAN (James et al. 2019, Fig. 1); keeping x lets joint finetuning recover what the
  translation misses.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from rcan.common.errors import RcanError
from rcan.translator.inference import Translator

ObservationMode = Literal["canonical", "randomized", "rcan"]
CHANNELS: dict[str, int] = {"canonical": 3, "randomized": 3, "rcan": 6}
DEFAULT_DOMAIN: dict[str, str] = {
    "canonical": "canonical",
    "randomized": "randomized",
    "rcan": "randomized",
}


class ObservationEncoder:
    """Environment images (N, H, W, 3) -> network images (N, H, W, C), uint8."""

    def __init__(self, mode: ObservationMode, translator: Translator | None = None) -> None:
        if mode not in CHANNELS:
            raise RcanError(f"unknown observation mode {mode!r}: expected one of {list(CHANNELS)}")
        if mode == "rcan" and translator is None:
            raise RcanError("observation mode 'rcan' needs a translator (--translator CHECKPOINT)")
        self.mode = mode
        self.translator = translator
        self.channels = CHANNELS[mode]

    def __call__(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        if self.mode != "rcan":
            return images
        assert self.translator is not None
        translated = self.translator.translate(images).canonical
        return np.concatenate([translated, images], axis=-1)
