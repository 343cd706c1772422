"""How good a translation is: canonical-RGB PSNR, mask IoU (mean and object), depth RMSE."""

from __future__ import annotations

import numpy as np

from rcan.sim.render import CLASS_NAMES, OBJECT


class TranslationMetrics:
    """Accumulates over batches; :meth:`result` gives the dataset-level figures.

    * ``psnr``: mean over images of the PSNR (dB) of canonical RGB against the truth (0-255).
    * ``miou``: mean over classes of intersection-over-union, from the confusion matrix of all
      pixels; classes absent from both prediction and truth are left out.
    * ``object_iou``: the IoU of the object class.
    * ``depth_rmse``: root mean squared depth error over all pixels, metres.
    """

    def __init__(self, num_classes: int = len(CLASS_NAMES)) -> None:
        self.num_classes = num_classes
        self.confusion = np.zeros((num_classes, num_classes), np.int64)
        self.psnr_sum = 0.0
        self.depth_sq = 0.0
        self.pixels = 0
        self.images = 0

    def update(
        self,
        rgb: np.ndarray,
        rgb_true: np.ndarray,
        mask: np.ndarray,
        mask_true: np.ndarray,
        depth: np.ndarray,
        depth_true: np.ndarray,
    ) -> None:
        """Add a batch: uint8 (N,H,W,3) images, (N,H,W) masks, (N,H,W) depths in metres."""
        err = (rgb.astype(np.float64) - rgb_true.astype(np.float64)) ** 2
        mse = err.reshape(len(err), -1).mean(axis=1)
        self.psnr_sum += float(np.sum(10 * np.log10(255.0**2 / np.maximum(mse, 1e-10))))
        k = self.num_classes
        index = mask_true.astype(np.int64).ravel() * k + mask.astype(np.int64).ravel()
        self.confusion += np.bincount(index, minlength=k * k).reshape(k, k)
        self.depth_sq += float(np.sum((depth.astype(np.float64) - depth_true) ** 2))
        self.pixels += depth.size
        self.images += len(rgb)

    def iou(self) -> np.ndarray:
        """Per-class IoU (NaN where the class appears in neither)."""
        tp = np.diag(self.confusion).astype(np.float64)
        union = self.confusion.sum(0) + self.confusion.sum(1) - tp
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(union > 0, tp / union, np.nan)

    def result(self) -> dict[str, float]:
        """The four headline figures (plus per-class IoU)."""
        iou = self.iou()
        out = {
            "psnr": self.psnr_sum / max(self.images, 1),
            "miou": float(np.nanmean(iou)),
            "object_iou": float(iou[OBJECT]),
            "depth_rmse": float(np.sqrt(self.depth_sq / max(self.pixels, 1))),
            "images": self.images,
        }
        out.update({f"iou_{name}": float(v) for name, v in zip(CLASS_NAMES, iou, strict=True)})
        return out
