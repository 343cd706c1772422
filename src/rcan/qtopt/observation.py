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

from collections.abc import Sequence
from typing import Literal

import numpy as np

from rcan.common.errors import RcanError
from rcan.sim.render import CLASS_NAMES
from rcan.translator.inference import Translator

ObservationMode = Literal["canonical", "randomized", "rcan"]
CHANNELS: dict[str, int] = {"canonical": 3, "randomized": 3, "rcan": 6}
DEFAULT_DOMAIN: dict[str, str] = {
    "canonical": "canonical",
    "randomized": "randomized",
    "rcan": "randomized",
}


def run_domain(obs: str, domain: str | None) -> str:
    """The domain a run of observation mode ``obs`` trains in: ``domain`` if it names one,
    else the mode's default (DEFAULT_DOMAIN)."""
    return domain or DEFAULT_DOMAIN[obs]


class ObservationEncoder:
    """Environment images (N, H, W, 3) -> network images (N, H, W, C), uint8."""

    def __init__(self, mode: ObservationMode, translator: Translator | None = None) -> None:
        if mode not in CHANNELS:
            raise RcanError(f"unknown observation mode {mode!r}: expected one of {list(CHANNELS)}")
        self.mode = mode
        self.translator = translator
        self.channels = CHANNELS[mode]
        self._check_translator()

    def _check_translator(self) -> None:
        """Refuse a translator-less encoder that would need one."""
        if self.mode == "rcan" and self.translator is None:
            raise RcanError("observation mode 'rcan' needs a translator (--translator CHECKPOINT)")

    def __call__(self, images: np.ndarray) -> np.ndarray:
        images = np.asarray(images)
        if self.mode != "rcan":
            return images
        assert self.translator is not None
        translated = self.translator.translate(images).canonical
        return np.concatenate([translated, images], axis=-1)

    def from_obs(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """The network image (H, W, C) of one environment observation."""
        return self(obs["image"][None])[0]


class PerfectTranslation(ObservationEncoder):
    """A translator that is never wrong: the state's own canonical render c stands for G(x)
    (``canonical``: c; ``rcan``: [c, x]). It needs observations from an environment with
    ``canonical_view`` and exists only in simulation; comparing a policy acting through it
    with the same policy acting through G(x) measures what the translator costs.

    With ``classes`` (names from rcan.sim.render.CLASS_NAMES) and a ``translator`` only the
    pixels of those classes (by the true mask) come from c and the rest stay G(x): which parts
    of the translation the policy needs right."""

    def __init__(self, mode: ObservationMode, classes: Sequence[str] = (),
                 translator: Translator | None = None) -> None:
        if mode not in ("canonical", "rcan"):
            raise RcanError(f"a perfect translation feeds canonical or rcan policies, not {mode!r}")
        unknown = sorted(set(classes) - set(CLASS_NAMES))
        if unknown:
            raise RcanError(f"perfect translation: unknown classes {unknown}; expected some of "
                            f"{list(CLASS_NAMES)}")
        self.class_ids = [CLASS_NAMES.index(name) for name in classes]
        super().__init__(mode, translator)

    def _check_translator(self) -> None:
        """Only a partly perfect translation needs G(x), for the other classes' pixels."""
        if self.class_ids and (self.mode != "rcan" or self.translator is None):
            raise RcanError("a perfect translation of some classes needs an rcan policy and its "
                            "translator (the other pixels stay G(x))")

    def __call__(self, images: np.ndarray) -> np.ndarray:
        raise RcanError("PerfectTranslation reads whole observations (from_obs), not images")

    def from_obs(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        if "canonical" not in obs or "mask" not in obs:
            raise RcanError("perfect translation needs observations with 'canonical' and "
                            "'mask' (EnvConfig.canonical_view=True)")
        canonical, image = np.asarray(obs["canonical"]), np.asarray(obs["image"])
        if self.class_ids:
            assert self.translator is not None
            translated = self.translator.translate(image[None]).canonical[0]
            true = np.isin(obs["mask"], self.class_ids)[..., None]
            canonical = np.where(true, canonical, translated)
        if self.mode == "canonical":
            return canonical
        return np.concatenate([canonical, image], axis=-1)
