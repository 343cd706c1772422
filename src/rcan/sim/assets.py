"""Where the world's models come from: pybullet_data, and the procedural object sets.

Objects are pybullet's 1000 procedural meshes in ``random_urdfs``. The split is the one of the
PyBullet grasping benchmark (Quillen et al. 2018): folders whose number ends in 0 hold the
held-out *test* objects, all others are for *training*.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pybullet_data

from rcan.common.errors import RcanError

DATA_DIR = Path(pybullet_data.getDataPath())
RANDOM_URDFS = DATA_DIR / "random_urdfs"

#: Named object sets accepted wherever an object set is configured.
NAMED_OBJECT_SETS = ("train", "test", "all")


@dataclass(frozen=True)
class ObjectSet:
    """A named list of object URDF files to fill the bin from."""

    name: str
    """What the user asked for: a named set, a glob pattern or a folder."""
    paths: tuple[Path, ...]
    """The URDF files, sorted, never empty."""

    def __len__(self) -> int:
        return len(self.paths)


@cache
def object_set(spec: str) -> ObjectSet:
    """Resolve ``spec`` into an :class:`ObjectSet`.

    ``spec`` is ``train`` / ``test`` / ``all`` (the random_urdfs split), a folder (every
    ``*.urdf`` below it), or a glob pattern of URDF files.
    """
    if not spec.strip():
        raise RcanError(
            f"object set {spec!r} is empty: expected one of {NAMED_OBJECT_SETS}, a folder "
            "with URDF files, or a glob pattern matching URDF files"
        )
    if spec == "train":
        pattern = str(RANDOM_URDFS / "*[1-9]" / "*.urdf")
    elif spec == "test":
        pattern = str(RANDOM_URDFS / "*0" / "*.urdf")
    elif spec == "all":
        pattern = str(RANDOM_URDFS / "*" / "*.urdf")
    elif Path(spec).is_dir():
        pattern = str(Path(spec) / "**" / "*.urdf")
    else:
        pattern = spec
    paths = tuple(sorted(Path(p) for p in glob.glob(pattern, recursive=True)))
    if not paths:
        raise RcanError(
            f"object set {spec!r} is empty: expected one of {NAMED_OBJECT_SETS}, a folder with "
            "URDF files, or a glob pattern matching URDF files"
        )
    return ObjectSet(spec, paths)
