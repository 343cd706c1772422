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

    Per class it also gives IoU, precision and recall (``iou_<class>``, ``precision_<class>``,
    ``recall_<class>``: does a mask over- or under-cover?) and ``iou_1px_shift_<class>``, the
    IoU of the *true* mask against itself moved by one pixel (mean of the four directions):
    what a one-pixel registration error alone costs. Small classes at 64 x 64 (an object covers
    ~130 pixels of an image) lose a third of their IoU to it, which puts any IoU figure in scale.
    """

    def __init__(self, num_classes: int = len(CLASS_NAMES)) -> None:
        self.num_classes = num_classes
        self.confusion = np.zeros((num_classes, num_classes), np.int64)
        self.shift_confusion = np.zeros((num_classes, num_classes), np.int64)
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
        self.shift_confusion += _one_pixel_shift_confusion(mask_true, k)
        self.depth_sq += float(np.sum((depth.astype(np.float64) - depth_true) ** 2))
        self.pixels += depth.size
        self.images += len(rgb)

    def iou(self) -> np.ndarray:
        """Per-class IoU (NaN where the class appears in neither)."""
        return _ratios(self.confusion)[0]

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
        _, precision, recall = _ratios(self.confusion)
        shifted = _ratios(self.shift_confusion)[0]
        for i, name in enumerate(CLASS_NAMES[: self.num_classes]):
            out[f"iou_{name}"] = float(iou[i])
            out[f"precision_{name}"] = float(precision[i])
            out[f"recall_{name}"] = float(recall[i])
            out[f"iou_1px_shift_{name}"] = float(shifted[i])
        return out


def _ratios(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class IoU, precision and recall of a (true, predicted) confusion matrix (NaN where
    undefined)."""
    tp = np.diag(confusion).astype(np.float64)
    predicted, true = confusion.sum(0), confusion.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(predicted + true - tp > 0, tp / (predicted + true - tp), np.nan)
        precision = np.where(predicted > 0, tp / predicted, np.nan)
        recall = np.where(true > 0, tp / true, np.nan)
    return iou, precision, recall


def _one_pixel_shift_confusion(mask: np.ndarray, k: int) -> np.ndarray:
    """Confusion of (N, H, W) class ids against themselves moved one pixel up, down, left and
    right (summed; only the overlapping pixels count)."""
    m = mask.astype(np.int64)
    pairs = [
        (m[:, 1:, :], m[:, :-1, :]),
        (m[:, :-1, :], m[:, 1:, :]),
        (m[:, :, 1:], m[:, :, :-1]),
        (m[:, :, :-1], m[:, :, 1:]),
    ]
    out = np.zeros((k, k), np.int64)
    for a, b in pairs:
        out += np.bincount((a * k + b).ravel(), minlength=k * k).reshape(k, k)
    return out
