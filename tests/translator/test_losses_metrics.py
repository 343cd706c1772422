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


def test_soft_jaccard_is_one_minus_iou_for_confident_logits() -> None:
    from rcan.translator.losses import soft_jaccard

    truth = torch.tensor([[[0, 0, 1, 1]]])
    predicted = torch.tensor([[[0, 1, 1, 1]]])
    logits = torch.nn.functional.one_hot(predicted, 3).permute(0, 3, 1, 2).float() * 50
    # class 0: 1/2, class 1: 2/3; class 2 is absent from the truth and left out
    expected = 1 - (0.5 + 2 / 3) / 2
    assert float(soft_jaccard(logits, truth)) == pytest.approx(expected, abs=1e-5)
    perfect = torch.nn.functional.one_hot(truth, 3).permute(0, 3, 1, 2).float() * 50
    assert float(soft_jaccard(perfect, truth)) == pytest.approx(0.0, abs=1e-5)


def test_soft_jaccard_has_gradients_toward_the_truth() -> None:
    from rcan.translator.losses import soft_jaccard

    truth = torch.tensor([[[0, 1], [1, 0]]])
    logits = torch.zeros(1, 2, 2, 2, requires_grad=True)
    soft_jaccard(logits, truth).backward()
    grad = logits.grad
    assert grad is not None
    # descending the gradient raises the logit of the true class at every pixel
    onehot = torch.nn.functional.one_hot(truth, 2).permute(0, 3, 1, 2).bool()
    assert (grad[onehot] < 0).all() and (grad[~onehot] > 0).all()


def test_precision_recall_and_one_pixel_shift_ceiling_by_hand() -> None:
    m = TranslationMetrics(num_classes=6)
    # a 2 x 2 object in a 4 x 4 image; the prediction covers it plus two more pixels
    true_mask = np.zeros((1, 4, 4), np.uint8)
    true_mask[0, 1:3, 1:3] = 5
    pred_mask = true_mask.copy()
    pred_mask[0, 0, 1:3] = 5
    images = np.zeros((1, 4, 4, 3), np.uint8)
    depth = np.ones((1, 4, 4), np.float32)
    m.update(images, images, pred_mask, true_mask, depth, depth)
    r = m.result()
    assert r["precision_object"] == pytest.approx(4 / 6)
    assert r["recall_object"] == pytest.approx(1.0)
    assert r["object_iou"] == pytest.approx(4 / 6)
    # every one-pixel move keeps the whole 2 x 2 object inside the 3 x 4 overlap on both sides
    # and overlaps it with itself on 2 pixels: IoU 2 / (4 + 4 - 2) per move
    assert r["iou_1px_shift_object"] == pytest.approx(1 / 3)
    assert r["iou_1px_shift_background"] < 1.0
