"""Loss formulas and metrics against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rcan.translator.losses import gan_loss, mpse
from rcan.translator.metrics import TranslationMetrics


def test_mpse_ignores_a_constant_offset_and_matches_hand_value() -> None:
    target = torch.zeros(1, 1, 1, 4)
    pred = torch.tensor([[[[1.0, 2.0, 3.0, 4.0]]]])
    # d = [1, 2, 3, 4]: mean(d^2) = 7.5, mean(d)^2 = 6.25 -> 1.25
    assert float(mpse(pred, target)) == pytest.approx(1.25)
    assert float(mpse(pred + 10.0, target)) == pytest.approx(1.25)


def test_gan_loss_is_sigmoid_cross_entropy() -> None:
    logits = [torch.zeros(1, 1, 2, 2)]
    assert float(gan_loss(logits, True)) == pytest.approx(np.log(2.0))
    assert float(gan_loss([torch.full((1, 1, 2, 2), 100.0)], True)) == pytest.approx(0.0)


def test_metrics_hand_computed() -> None:
    m = TranslationMetrics(num_classes=6)
    true_mask = np.array([[[0, 0, 5, 5]]], np.uint8)
    pred_mask = np.array([[[0, 5, 5, 5]]], np.uint8)
    rgb_true = np.zeros((1, 1, 4, 3), np.uint8)
    rgb = np.full((1, 1, 4, 3), 10, np.uint8)
    depth_true = np.ones((1, 1, 4), np.float32)
    depth = depth_true + np.array([[[0.0, 0.0, 0.0, 0.2]]], np.float32)
    m.update(rgb, rgb_true, pred_mask, true_mask, depth, depth_true)
    r = m.result()
    # class 0: tp 1, union 2 -> 0.5; class 5: tp 2, union 3 -> 2/3; others absent
    assert r["iou_background"] == pytest.approx(0.5)
    assert r["object_iou"] == pytest.approx(2 / 3)
    assert r["miou"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert r["psnr"] == pytest.approx(10 * np.log10(255.0**2 / 100.0))
    assert r["depth_rmse"] == pytest.approx(np.sqrt(0.04 / 4))


def test_balanced_class_weights_favour_rare_classes_and_keep_the_mean() -> None:
    from rcan.translator.losses import balanced_class_weights

    f = torch.tensor([0.5, 0.3, 0.15, 0.05])
    w = balanced_class_weights(f)
    assert float((w * f).sum()) == pytest.approx(1.0)
    assert w[3] / w[0] == pytest.approx((0.5 / 0.05) ** 0.5)
