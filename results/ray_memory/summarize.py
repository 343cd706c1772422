"""Memory of the 1-hour Ray run (runs/ray_memory) from its TensorBoard log -> summary.json.

The replay buffers are preallocated, but the operating system backs their pages only once they
are written, so resident memory grows while the buffers fill and must stay flat afterwards.
The driver's resident memory is logged every chunk; the workers' peaks at checkpoints.
"""

import json
from pathlib import Path

import h5py
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

run = Path("runs/ray_memory")
config = json.loads((run / "config.json").read_text())
state = json.loads((run / "checkpoint" / "state.json").read_text())
with h5py.File(run / "checkpoint" / "replay.h5", "r") as f:
    buffers = {name: {k: int(f[name].attrs[k]) for k in ("capacity", "size", "position")}
               for name in ("offline", "online")}
events = EventAccumulator(str(run / "tb"), size_guidance={"scalars": 0})
events.Reload()
driver = [(int(e.step), round(e.value, 1)) for e in events.Scalars("memory/rss_mb/driver")]
late = [v for g, v in driver if g >= driver[-1][0] // 4]  # the last three quarters
summary = {
    "command": config["command"],
    "minutes": round(state["train_seconds"] / 60, 1),
    "grasps": state["grasps"],
    "replay_at_end": buffers,
    "driver_rss_mb_last_three_quarters": {"from_grasp": driver[-1][0] // 4, "first": late[0],
                                          "last": late[-1], "min": min(late), "max": max(late)},
    "peak_rss_mb": state.get("peak_rss_mb", {}),
    "driver_rss_mb_by_grasps": driver[:: max(1, len(driver) // 40)],
}
out = Path("results/ray_memory/summary.json")
out.write_text(json.dumps(summary, indent=2) + "\n")
print(json.dumps({k: v for k, v in summary.items() if k != "driver_rss_mb_by_grasps"}, indent=2))
