"""Write the texture photographs of `domain.yaml` into photos/, from packages rcan depends on.

Every image comes from data shipped inside pybullet, scikit-image or matplotlib wheels, and
none of them is used by the held-out domains: `target` draws other scikit-image photographs,
`examples/otherbin` other pybullet and matplotlib ones. Each is shrunk to at most 256 px and
saved as a JPEG; rerunning the script rewrites the same files.

    python examples/photo_randomization/make_photos.py
"""

from __future__ import annotations

import gzip
from pathlib import Path

import matplotlib
import numpy as np
import pybullet_data
import skimage
from PIL import Image

HERE = Path(__file__).resolve().parent
SIDE = 256

PYBULLET = Path(pybullet_data.getDataPath())
SKIMAGE = Path(skimage.__file__).parent / "data"
MPL = Path(matplotlib.get_data_path()) / "sample_data"

FILES = {
    "stadium_grass": PYBULLET / "roboschool/models_outdoor/stadium/stadium_grass.jpg",
    "wheel": PYBULLET / "racecar/meshes/wheel.jpg",
    "tex256": PYBULLET / "tex256.png",
    "uvmap": PYBULLET / "uvmap.png",
    "trunk_a1": PYBULLET / "a1/meshes/trunk_A1.png",
    "aliengo": PYBULLET / "aliengo/meshes/aliengo.png",
    "terrain_overlay": PYBULLET / "heightmaps/gimp_overlay_out.png",
    "microaneurysms": SKIMAGE / "microaneurysms.png",
    "horse": SKIMAGE / "horse.png",
    "phantom": SKIMAGE / "phantom.png",
    "mpl_logo": MPL / "logo2.png",
    "no_time_for_that": SKIMAGE / "no_time_for_that_tiny.gif",  # its first frame
}


def _faces() -> Image.Image:
    """A mosaic of 64 of scikit-image's 25 x 25 face photographs (8 x 8)."""
    faces = np.load(SKIMAGE / "lfw_subset.npy")[:64]
    grid = faces.reshape(8, 8, 25, 25).transpose(0, 2, 1, 3).reshape(200, 200)
    return Image.fromarray((grid * 255).clip(0, 255).astype(np.uint8)).convert("RGB")


def _colormapped(values: np.ndarray, cmap: str) -> Image.Image:
    lo, hi = np.nanpercentile(values, [1, 99])
    scaled = np.clip((values - lo) / max(hi - lo, 1e-9), 0, 1)
    return Image.fromarray((matplotlib.colormaps[cmap](scaled)[..., :3] * 255).astype(np.uint8))


def _hillshade(elevation: np.ndarray) -> Image.Image:
    """Shaded relief of a digital elevation model: looks like an aerial photograph of rock."""
    dy, dx = np.gradient(elevation.astype(np.float64))
    slope = np.pi / 2 - np.arctan(np.hypot(dx, dy) / 10.0)
    aspect = np.arctan2(-dx, dy)
    azimuth, altitude = np.deg2rad(315), np.deg2rad(45)
    shade = np.sin(altitude) * np.sin(slope) + np.cos(altitude) * np.cos(slope) * np.cos(
        azimuth - aspect
    )
    return Image.fromarray((np.clip(shade, 0, 1) * 255).astype(np.uint8)).convert("RGB")


def images() -> dict[str, Image.Image]:
    out: dict[str, Image.Image] = {}
    for name, path in FILES.items():
        with Image.open(path) as image:
            out[name] = image.convert("RGB")
    out["faces"] = _faces()
    topo = np.load(MPL / "topobathy.npz")["topo"]
    out["topobathy"] = _colormapped(topo, "terrain")
    dem = np.load(MPL / "jacksboro_fault_dem.npz")["elevation"]
    out["jacksboro_relief"] = _hillshade(dem)
    out["jacksboro_terrain"] = _colormapped(dem, "gist_earth")
    with gzip.open(MPL / "s1045.ima.gz") as f:
        mri = np.frombuffer(f.read(), np.uint16).reshape(256, 256).astype(np.float64)
    out["mri"] = _colormapped(mri, "gray")
    return out


def main() -> None:
    folder = HERE / "photos"
    folder.mkdir(exist_ok=True)
    for name, image in images().items():
        image.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
        tmp = folder / f"{name}.jpg.tmp"
        image.save(tmp, format="JPEG", quality=90)
        tmp.replace(folder / f"{name}.jpg")
        print(f"{name}: {image.size[0]} x {image.size[1]}")


if __name__ == "__main__":
    main()
