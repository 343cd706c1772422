"""End to end, channels-last against NCHW Q-network activations: the wall time of one short
train-policy run each (300 bootstrap episodes, then 500 on-policy grasps and 1,000 gradient
steps; canonical, --image-shift 4, 2 threads, seed 0), one after the other on one machine.

    python results/qtopt_layout/run.py      # writes results/qtopt_layout/e2e.json (~7 min)
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import torch

from rcan.common.io import write_json
from rcan.qtopt.networks import activation_layout
from rcan.qtopt.train import TrainPolicyConfig, train_policy

LAYOUTS = {"nchw": torch.contiguous_format, "channels_last": torch.channels_last}


def main() -> dict[str, float]:
    seconds: dict[str, float] = {}
    for name, layout in LAYOUTS.items():
        out = Path(tempfile.mkdtemp(prefix=f"rcan_layout_{name}_"))
        config = TrainPolicyConfig(obs="canonical", out=out, grasps=800, bootstrap_episodes=300,
                                   eval_every_grasps=100_000, eval_episodes=10, threads=2,
                                   image_shift=4, seed=0)
        start = time.perf_counter()
        with activation_layout(layout):
            train_policy(config)
        seconds[name] = time.perf_counter() - start
        shutil.rmtree(out)
    result = {"seconds": seconds, "nchw_over_channels_last": seconds["nchw"] /
              seconds["channels_last"], "command": "python results/qtopt_layout/run.py"}
    write_json(Path(__file__).with_name("e2e.json"), result)
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
