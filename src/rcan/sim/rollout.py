"""``rcan rollout``: success rate of a built-in policy (rcan.sim.policies) in any domain."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from rcan.common.io import write_json
from rcan.common.stats import wilson
from rcan.sim.env import EnvConfig, GraspEnv
from rcan.sim.policies import Policy, builtin_policy, run_episode


@dataclass
class RolloutConfig:
    """Settings of ``rcan rollout``."""

    policy: Literal["oracle", "scripted", "aimed", "down"] = "oracle"
    """Which built-in policy acts: the privileged oracle, the scripted explorer (random
    grasps), the aimed explorer (noisy grasps at objects, privileged), or straight down from
    the start (a blind baseline)."""
    domain: str = "canonical"
    """Domain name or file."""
    objects: str = "test"
    """Object set ('test' = held-out objects)."""
    episodes: int = 100
    """Episodes to run."""
    seed: int = 0
    """Environment seed."""
    out: Path | None = None
    """JSON file for the result (optional)."""


def rollout(config: RolloutConfig, progress: bool = True) -> dict[str, Any]:
    """Run the episodes and return success (with 95% Wilson interval) and throughput."""
    env_config = EnvConfig(domain=config.domain)
    env_config.world.objects = config.objects
    env = GraspEnv(env_config)
    policy: Policy = builtin_policy(config.policy)
    successes = steps = 0
    start = time.perf_counter()
    try:
        env.reset(seed=config.seed)
        bar = tqdm(range(config.episodes), desc=f"{config.policy} in {config.domain}",
                   disable=not progress)
        for i in bar:
            ok, n, _ = run_episode(env, policy)
            successes += ok
            steps += n
            bar.set_postfix(success=f"{successes / (i + 1):.2f}")
    finally:
        env.close()
    seconds = time.perf_counter() - start
    rate = wilson(successes, config.episodes)
    result = {
        "policy": config.policy,
        "domain": config.domain,
        "objects": config.objects,
        "success": rate.success,
        "ci_low": rate.ci_low,
        "ci_high": rate.ci_high,
        "episodes": rate.episodes,
        "mean_episode_length": steps / max(config.episodes, 1),
        "episodes_per_s": config.episodes / seconds,
        "seed": config.seed,
        "command": " ".join(["rcan", "rollout", *sys.argv[2:]]) if "rollout" in sys.argv else "",
    }
    if config.out is not None:
        write_json(config.out, result)
    return result
