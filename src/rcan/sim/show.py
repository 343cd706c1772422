"""Pictures of the simulator: a PNG grid of randomized | canonical | mask | depth samples."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from PIL import Image

from rcan.common.io import atomic_path
from rcan.sim.env import EnvConfig, GraspEnv
from rcan.sim.policies import OraclePolicy, ScriptedExplorer
from rcan.sim.render import FAR, NEAR, Frame

#: Display colours of the segmentation classes (background, table, tray, arm, gripper, object).
MASK_PALETTE = np.array(
    [[0, 0, 0], [110, 110, 110], [40, 90, 200], [160, 60, 200], [240, 200, 30], [230, 40, 40]],
    np.uint8,
)


@dataclass
class ShowConfig:
    """Settings of ``rcan show``."""

    domain: str = "randomized"
    """Domain to draw (name or domain file)."""
    out: Path = Path("runs/show.png")
    """PNG file to write."""
    samples: int = 6
    """Rows in the grid, one state each, from different episodes and steps."""
    objects: str = "train"
    """Object set."""
    image_size: int = 64
    """Rendered side in pixels."""
    scale: int = 3
    """Nearest-neighbour upscaling of the grid for viewing."""
    seed: int = 0
    """Seed of the environment."""
    translator: Path | None = None
    """Also translate: rows become input | G(x) | true canonical | G's mask | G's depth."""
    images: Path | None = None
    """Translate your own photos from this folder instead of simulator states (needs
    --translator): rows become photo | G(x) | G's mask | G's depth."""


def colorize_mask(mask: np.ndarray) -> np.ndarray:
    """Class ids -> RGB with :data:`MASK_PALETTE`."""
    return MASK_PALETTE[np.clip(mask, 0, len(MASK_PALETTE) - 1)]


def colorize_depth(depth: np.ndarray, near: float = 0.3, far: float = 1.3) -> np.ndarray:
    """Metres -> RGB (viridis; near is bright). Values outside [near, far] are clipped."""
    t = 1.0 - np.clip((depth - near) / (far - near), 0.0, 1.0)
    return (colormaps["viridis"](t)[..., :3] * 255).astype(np.uint8)


def frame_row(frame: Frame) -> np.ndarray:
    """One grid row: randomized | canonical | mask | depth."""
    assert frame.rgb is not None and frame.canonical is not None
    assert frame.mask is not None and frame.depth is not None
    return np.concatenate(
        [frame.rgb, frame.canonical, colorize_mask(frame.mask), colorize_depth(frame.depth)], 1
    )


def sample_frames(config: ShowConfig) -> list[Frame]:
    """States from grasp episodes (alternating oracle and scripted), taken at varied steps."""
    env_config = EnvConfig(domain=config.domain, image_height=config.image_size,
                           image_width=config.image_size)
    env_config.world.objects = config.objects
    env = GraspEnv(env_config)
    rng = np.random.default_rng(config.seed)
    frames: list[Frame] = []
    try:
        obs, _ = env.reset(seed=config.seed)
        while len(frames) < config.samples:
            policy = OraclePolicy() if len(frames) % 2 == 0 else ScriptedExplorer()
            policy.reset(env, rng)
            keep_at = int(rng.integers(0, 8))
            step, kept = 0, False
            while True:
                if step == keep_at or (not kept and step > keep_at):
                    frames.append(env.paired_frame())
                    kept = True
                obs, _, terminated, truncated, _ = env.step(policy.act(obs))
                step += 1
                if terminated or truncated:
                    if not kept:
                        frames.append(env.paired_frame())
                    break
            obs, _ = env.reset()
    finally:
        env.close()
    return frames[: config.samples]


def write_grid(rows: list[np.ndarray], out: Path, scale: int = 3) -> Path:
    """Stack rows into one PNG (atomically)."""
    grid = np.concatenate(rows, 0)
    if scale > 1:
        grid = np.kron(grid, np.ones((scale, scale, 1), np.uint8))
    with atomic_path(out) as tmp:
        Image.fromarray(grid).save(tmp, format="PNG")
    return Path(out)


def show(config: ShowConfig) -> Path:
    """Write the grid for ``config`` and return its path."""
    rows = [frame_row(f) for f in sample_frames(config)]
    return write_grid(rows, config.out, config.scale)


__all__ = ["FAR", "NEAR", "ShowConfig", "colorize_depth", "colorize_mask", "show"]
