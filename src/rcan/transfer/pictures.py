"""Pictures a report is made of: translation grids, episode GIFs and Q-value heat maps.

Shared by the transfer report (``rcan experiment report``) and ``rcan demo``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rcan.qtopt.actor import QTOptActor
from rcan.sim.domain import domain_name
from rcan.sim.env import EnvConfig, GraspEnv
from rcan.transfer.document import ReportFolder
from rcan.transfer.episodes import RecordedEpisode, write_gif
from rcan.transfer.qmap import plot_q_maps, q_map


def add_translations(doc: ReportFolder, translator: Path, domain: str, samples: int, seed: int,
                     name: str = "translations.png") -> None:
    """A grid of target states: input | G(x) | true canonical | G's mask | G's depth."""
    from rcan.sim.show import ShowConfig, sample_frames, write_grid
    from rcan.translator import Translator
    from rcan.translator.visualize import translation_rows

    t = Translator.from_checkpoint(translator)
    frames = sample_frames(ShowConfig(domain=domain, objects="test", samples=samples,
                                      seed=seed))
    write_grid(translation_rows(t, frames), doc.file(name))
    doc.image(name, f"Translations in `{domain_name(domain)}` (held-out objects): input | "
                    "G(x) | true canonical | G's mask | G's depth")


def add_gifs(doc: ReportFolder, label: str, stem: str, episodes: list[RecordedEpisode]) -> None:
    """One GIF per recorded episode."""
    for k, episode in enumerate(episodes):
        name = f"{stem}_{k}.gif"
        write_gif(episode, doc.file(name))
        outcome = "success" if episode.success else "failure"
        q = "; Q of each chosen action below the frames" if episode.q_values else ""
        doc.image(name, f"{label}, episode {k} ({outcome}{q})")


def add_q_maps(doc: ReportFolder, obs: dict[str, np.ndarray],
               policies: list[tuple[str, QTOptActor, float]], grid: int,
               name: str = "q_map.png") -> None:
    """Q(s, a) over (dx, dy) for one observation, one panel per policy."""
    images = [("camera image", obs["image"])]
    first = policies[0][1]
    if first.encoder.mode == "rcan":
        images.append(("G(x)", first.encoder(obs["image"][None])[0, ..., :3]))
    maps = [(label, q_map(actor, obs, grid, metres)) for label, actor, metres in policies]
    plot_q_maps(images, maps, doc.file(name))
    best = "; ".join(f"{label}: best move ({100 * m.best[0]:+.1f}, {100 * m.best[1]:+.1f}) cm"
                     for label, m in maps)
    doc.image(name, f"Q(s, a) for one target image over horizontal moves (dz down, gripper "
                    f"open, no terminate), star at the highest Q; {best}. Gripper at "
                    f"{float(obs['height'][0]) * 100:.1f} cm above the tray bottom.")


def first_observation(env_config: EnvConfig, seed: int) -> dict[str, np.ndarray]:
    """The first observation of the episode ``seed`` (what the Q heat map is drawn for when
    no episode is recorded)."""
    env = GraspEnv(env_config)
    try:
        obs, _ = env.reset(seed=seed)
    finally:
        env.close()
    return obs
