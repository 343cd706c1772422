"""``rcan generate``: paired images and episode transitions from the simulator, as HDF5 shards.

Every shard is made by a fresh environment seeded from ``(seed, shard index)`` alone, so the
same seed gives identical bytes whatever the number of workers or the order shards finish in,
and a killed run resumes by making only the shards that are missing.

Paired shards (kind ``paired``), one row per visited state, all aligned:
``randomized`` (N,H,W,3) uint8 in the chosen domain, ``canonical`` (N,H,W,3) uint8,
``mask`` (N,H,W) uint8 class ids (see ``rcan.sim.render.CLASS_NAMES``), ``depth`` (N,H,W)
float32 metres, plus ``episode``, ``step``, ``gripper_closed``, ``height``.

Transition shards (kind ``transitions``), one row per step: ``image``, ``gripper_closed``,
``height``, ``action`` (N,7), ``reward``, ``next_image``, ``next_gripper_closed``,
``next_height``, ``terminal``, ``episode``, ``step``.

States that matter to grasping are covered because the frames come from grasp episodes: the
gripper above the tray, descending, open and closed, and holding an object after the lift.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from rcan.common.errors import RcanError
from rcan.common.io import read_json, to_jsonable, write_json
from rcan.data.parallel import run_shards
from rcan.data.shards import shard_path, write_shard
from rcan.sim.assets import object_set
from rcan.sim.domain import load_domain
from rcan.sim.env import EnvConfig, GraspEnv
from rcan.sim.policies import OraclePolicy, Policy, ScriptedExplorer
from rcan.sim.render import CLASS_NAMES, FAR


@dataclass
class GenerateConfig:
    """Settings of ``rcan generate``; saved as ``config.json`` beside the shards."""

    out: Path = Path("runs/data/paired")
    """Output folder (created; an existing one is resumed)."""
    kind: Literal["paired", "transitions"] = "paired"
    """What to record: aligned image pairs, or episode transitions."""
    domain: str = "randomized"
    """Domain of the recorded images (name or domain file)."""
    objects: str = "train"
    """Object set: 'train', 'test', 'all', a folder or a glob."""
    shards: int = 4
    """Number of shards to make."""
    episodes_per_shard: int = 16
    """Grasp episodes per shard."""
    policy: Literal["scripted", "oracle", "mixed"] = "mixed"
    """Who acts: scripted exploration, the privileged oracle, or a coin flip per episode."""
    image_size: int = 64
    """Side of the square images, pixels."""
    num_objects: int = 5
    """Objects in the bin."""
    seed: int = 0
    """Base seed; shard i uses (seed, i)."""
    workers: int = 1
    """Parallel worker processes (with --ray and no address: CPUs of the local Ray, 1: all)."""
    ray: bool = False
    """Make shards as Ray tasks (pip install 'rcan[ray]'); same bytes as a local run."""
    ray_address: str | None = None
    """Ray cluster to make shards on ('auto', 'ray://HOST:10001'); implies --ray."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """Environment settings (image size, objects and domain above take precedence)."""


def generate(config: GenerateConfig) -> list[int]:
    """Make the missing shards of ``config``; return the indices made by this call."""
    if config.shards < 1 or config.episodes_per_shard < 1:
        raise RcanError("generate: shards and episodes_per_shard must be >= 1")
    env_config = _env_config(config)
    env_config.validate()
    # Fail fast on a bad domain or object set, before any worker starts.
    load_domain(env_config.domain)
    object_set(env_config.world.objects)
    if config.ray or config.ray_address is not None:
        from rcan.distributed import require_ray

        require_ray()
    out = Path(config.out)
    saved = out / "config.json"
    payload = to_jsonable(config)
    payload["out"] = str(out)
    if saved.exists():
        previous = read_json(saved)
        previous["out"] = str(out)
        if _content_settings(previous) != _content_settings(payload):
            raise RcanError(
                f"{out} holds a dataset made with different settings (see {saved}); "
                "use another --out or the same settings to resume"
            )
    else:
        write_json(saved, payload)
    desc = f"generate {config.kind}"
    if config.ray or config.ray_address is not None:
        from rcan.distributed.generate import run_shards_ray

        cpus = config.workers if config.workers > 1 else None
        return run_shards_ray(functools.partial(record_shard, config),
                              functools.partial(write_recorded, config), range(config.shards),
                              out, desc, config.ray_address, cpus)
    make = functools.partial(make_shard, config)
    return run_shards(make, range(config.shards), out, config.workers, desc)


#: Settings that decide how shards are made, not what they hold: a folder may be resumed
#: with other values (the bytes do not depend on them).
_EXECUTION_SETTINGS = ("workers", "ray", "ray_address")


def _content_settings(saved: dict) -> dict:
    return {k: v for k, v in saved.items() if k not in _EXECUTION_SETTINGS}


def _env_config(config: GenerateConfig) -> EnvConfig:
    env = dataclasses.replace(
        config.env,
        domain=config.domain,
        image_height=config.image_size,
        image_width=config.image_size,
        world=dataclasses.replace(
            config.env.world, objects=config.objects, num_objects=config.num_objects
        ),
    )
    return env


def shard_seed(seed: int, index: int) -> int:
    """The environment seed of shard ``index``: independent streams per shard."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def make_shard(config: GenerateConfig, index: int) -> None:
    """Run the episodes of shard ``index`` and write it (called in a worker process)."""
    write_recorded(config, index, *record_shard(config, index))


def write_recorded(config: GenerateConfig, index: int, arrays: dict[str, np.ndarray],
                   meta: dict[str, Any]) -> None:
    """Write what :func:`record_shard` returned as shard ``index`` (atomically)."""
    write_shard(shard_path(config.out, index), config.kind, arrays, meta)


def record_shard(config: GenerateConfig, index: int
                 ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Run the episodes of shard ``index``; return its arrays and metadata, unwritten (a Ray
    task returns them, so the driver writes every shard whatever machine played it)."""
    env = GraspEnv(_env_config(config))
    rng = np.random.default_rng(shard_seed(config.seed, index) + 1)
    rows: dict[str, list[np.ndarray]] = {}
    try:
        obs, _ = env.reset(seed=shard_seed(config.seed, index))
        for episode in range(config.episodes_per_shard):
            if episode > 0:
                obs, _ = env.reset()
            policy = _policy(config.policy, rng)
            policy.reset(env, rng)
            step = 0
            if config.kind == "paired":
                _record_pair(rows, env, obs, episode, step)
            while True:
                action = policy.act(obs)
                next_obs, reward, terminated, truncated, _ = env.step(action)
                if config.kind == "paired":
                    _record_pair(rows, env, next_obs, episode, step + 1)
                else:
                    _record_transition(
                        rows, obs, action, reward, next_obs, terminated, episode, step
                    )
                obs, step = next_obs, step + 1
                if terminated or truncated:
                    break
    finally:
        env.close()
    arrays = {k: np.stack(v) for k, v in rows.items()}
    meta = {
        "domain": env.domain.name,
        "objects": config.objects,
        "seed": config.seed,
        "shard_seed": shard_seed(config.seed, index),
        "policy": config.policy,
        "image_size": config.image_size,
        "class_names": list(CLASS_NAMES),
        "depth_units": f"metres (z-depth); {FAR} where nothing is hit",
    }
    return arrays, meta


def _policy(name: str, rng: np.random.Generator) -> Policy:
    if name == "oracle" or (name == "mixed" and rng.random() < 0.5):
        return OraclePolicy()
    return ScriptedExplorer()


def _record_pair(
    rows: dict[str, list[np.ndarray]],
    env: GraspEnv,
    obs: dict[str, np.ndarray],
    episode: int,
    step: int,
) -> None:
    frame = env.paired_frame()
    values = {
        "randomized": obs["image"],
        "canonical": frame.canonical,
        "mask": frame.mask,
        "depth": frame.depth,
        "episode": np.int32(episode),
        "step": np.int16(step),
        "gripper_closed": np.uint8(obs["gripper_closed"][0]),
        "height": np.float32(obs["height"][0]),
    }
    for key, value in values.items():
        rows.setdefault(key, []).append(np.asarray(value))


def _record_transition(
    rows: dict[str, list[np.ndarray]],
    obs: dict[str, np.ndarray],
    action: np.ndarray,
    reward: float,
    next_obs: dict[str, np.ndarray],
    terminal: bool,
    episode: int,
    step: int,
) -> None:
    values = {
        "image": obs["image"],
        "gripper_closed": np.uint8(obs["gripper_closed"][0]),
        "height": np.float32(obs["height"][0]),
        "action": np.asarray(action, np.float32),
        "reward": np.float32(reward),
        "next_image": next_obs["image"],
        "next_gripper_closed": np.uint8(next_obs["gripper_closed"][0]),
        "next_height": np.float32(next_obs["height"][0]),
        "terminal": np.uint8(terminal),
        "episode": np.int32(episode),
        "step": np.int16(step),
    }
    for key, value in values.items():
        rows.setdefault(key, []).append(np.asarray(value))
