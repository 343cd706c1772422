"""pybullet's own banner lines stay out of the output of anything that builds a world."""

from __future__ import annotations

import subprocess
import sys


def test_world_creation_prints_nothing() -> None:
    code = (
        "import numpy as np\n"
        "from rcan.sim.world import BinWorld, WorldConfig\n"
        "world = BinWorld(WorldConfig(num_objects=1), np.random.default_rng(0))\n"
        "print('ready')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout == "ready\n"
    assert "argv[0]" not in done.stderr and "build time" not in done.stderr
