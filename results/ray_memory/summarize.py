"""Memory of the 1-hour Ray run (runs/ray_memory) from its TensorBoard log -> summary.json.

The replay buffers are preallocated, but the operating system backs their pages only once they
are written, so resident memory grows while the buffers fill and must stay flat afterwards.
Every process's resident memory is logged once per chunk of grasps -> summary.json, memory.png.
"""

import json
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

run = Path("runs/ray_memory")
config = json.loads((run / "config.json").read_text())
state = json.loads((run / "checkpoint" / "state.json").read_text())
with h5py.File(run / "checkpoint" / "replay.h5", "r") as f:
    buffers = {name: {k: int(f[name].attrs[k]) for k in ("capacity", "size", "position")}
               for name in ("offline", "online")}
events = EventAccumulator(str(run / "tb"), size_guidance={"scalars": 0})
events.Reload()
series = {tag.removeprefix("memory/rss_mb/"): [(int(e.step), round(e.value, 1))
                                               for e in events.Scalars(tag)]
          for tag in events.Tags()["scalars"] if tag.startswith("memory/rss_mb/")}
if not series:
    raise SystemExit(f"{run / 'tb'}: no memory/rss_mb/* scalars; was the run distributed?")
end = max(points[-1][0] for points in series.values())


def late_window(points: list[tuple[int, float]]) -> dict[str, float]:
    """Resident memory over the last three quarters of the run (the buffers are full by then)."""
    late = [v for g, v in points if g >= end // 4]
    return {"first": late[0], "last": late[-1], "min": min(late), "max": max(late),
            "growth_mb": round(late[-1] - late[0], 1)}


summary = {
    "command": config["command"],
    "minutes": round(state["train_seconds"] / 60, 1),
    "grasps": state["grasps"],
    "replay_at_end": buffers,
    "rss_mb_last_three_quarters": {"from_grasp": end // 4,
                                   **{name: late_window(points)
                                      for name, points in sorted(series.items())}},
    "peak_rss_mb": state.get("peak_rss_mb", {}),
    "rss_mb_by_grasps": {name: points[:: max(1, len(points) // 40)]
                         for name, points in sorted(series.items())},
}
out = Path("results/ray_memory/summary.json")
out.write_text(json.dumps(summary, indent=2) + "\n")
print(json.dumps({k: v for k, v in summary.items() if k != "rss_mb_by_grasps"}, indent=2))

figure, axes = plt.subplots(figsize=(7, 4))
for name, points in sorted(series.items()):
    axes.plot([g for g, _ in points], [v for _, v in points], label=name)
axes.axvline(end // 4, color="grey", linestyle=":", label="start of the last three quarters")
axes.set(xlabel="grasps collected", ylabel="resident memory (MiB)",
         title=f"Ray run, {summary['minutes']:.0f} minutes")
axes.legend(loc="center right", fontsize=8)
figure.tight_layout()
figure.savefig("results/ray_memory/memory.png", dpi=100)
