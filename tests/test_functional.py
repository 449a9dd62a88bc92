"""Losses and activations: exact values, stability for huge logits, the errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_nn.functional as F
from tinygrad_nn import Tensor


def _logits(*shape: int, scale: float = 1.0, seed: int = 0) -> Tensor:
    data = np.random.default_rng(seed).standard_normal(shape) * scale
    return Tensor(data, requires_grad=True, dtype=np.float64)


def _softmax(z: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0])
def test_cross_entropy_gradient_is_softmax_minus_onehot_over_m(axis: int) -> None:
    z = _logits(5, 4)
    n_classes = z.shape[axis]
    m = z.numel() // n_classes
    labels = np.random.default_rng(1).integers(0, n_classes, m)
    loss = F.cross_entropy(z, labels, axis=axis)
    onehot = np.moveaxis(np.eye(n_classes)[labels], -1, axis)
    p = _softmax(z.data, axis)
    assert loss.item() == pytest.approx(-(onehot * np.log(p)).sum() / m, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(z.grad, (p - onehot) / m, rtol=1e-12, atol=1e-15)
    z.grad = None
    F.cross_entropy(z, onehot, axis=axis).backward()  # one-hot target: same gradient
    np.testing.assert_allclose(z.grad, (p - onehot) / m, rtol=1e-12, atol=1e-15)


def test_cross_entropy_on_3d_logits_with_class_axis_1() -> None:
    z = _logits(2, 3, 4)
    labels = np.array([[0, 2, 1, 1], [2, 2, 0, 1]])
    loss = F.cross_entropy(z, labels, axis=1, reduction="none")
    assert loss.shape == (2, 4)
    logp = np.log(_softmax(z.data, 1))
    expected = -np.take_along_axis(logp, labels[:, None, :], axis=1)[:, 0, :]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_softmax_family_is_finite_for_huge_logits(scale: float) -> None:
    z = Tensor(np.array([[1.0, -1.0, 0.5], [0.0, 0.2, -0.3]]) * scale, requires_grad=True)
    for out in (z.softmax(), z.log_softmax()):
        assert np.isfinite(out.data).all()
    loss = F.cross_entropy(z, np.array([1, 2]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(z.grad).all()
    # the winning logit dominates: loss is the logit gap, exactly
    gaps = z.data.max(axis=1) - z.data[[0, 1], [1, 2]]
    assert loss.item() == pytest.approx(gaps.mean(), rel=1e-6)
    x = Tensor(np.array([scale, -scale, 0.0]), requires_grad=True)
    bce = F.binary_cross_entropy_with_logits(x, np.array([0.0, 1.0, 1.0]))
    bce.backward()
    assert np.isfinite(bce.item()) and np.isfinite(x.grad).all()
    assert bce.item() == pytest.approx((2 * max(scale, 0) + np.log(2)) / 3, rel=1e-6)


def test_binary_cross_entropy_matches_the_formula_and_logits_version() -> None:
    z = _logits(3, 4)
    y = (np.random.default_rng(2).random((3, 4)) > 0.5).astype(np.float64)
    p = 1 / (1 + np.exp(-z.data))
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    assert F.binary_cross_entropy(z.sigmoid(), y).item() == pytest.approx(expected, rel=1e-12)
    loss = F.binary_cross_entropy_with_logits(z, y)
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(z.grad, (p - y) / y.size, rtol=1e-12)


def test_binary_cross_entropy_stays_finite_at_0_and_1() -> None:
    p = Tensor([0.0, 1.0, 0.5], requires_grad=True, dtype=np.float64)
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0, 1.0]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(p.grad).all()


def test_mse_and_reductions() -> None:
    pred = _logits(3, 2)
    target = np.zeros((3, 2))
    sq = pred.data**2
    assert F.mse_loss(pred, target).item() == pytest.approx(sq.mean())
    assert F.mse_loss(pred, target, reduction="sum").item() == pytest.approx(sq.sum())
    np.testing.assert_allclose(F.mse_loss(pred, target, reduction="none").data, sq)


def test_nll_loss_after_log_softmax_equals_cross_entropy() -> None:
    z = _logits(4, 3)
    labels = np.array([2, 0, 1, 1])
    a = F.nll_loss(F.log_softmax(z), labels)
    b = F.cross_entropy(z, labels)
    assert a.item() == pytest.approx(b.item(), rel=1e-12)


def test_float32_losses_stay_float32() -> None:
    z = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    for loss in (
        F.cross_entropy(z, np.array([0, 1])),
        F.mse_loss(z, np.zeros((2, 3))),  # a float64 target is cast, not the prediction
        F.binary_cross_entropy_with_logits(z, np.zeros((2, 3))),
    ):
        assert loss.dtype == np.float32
        loss.backward()
        assert z.grad is not None and z.grad.dtype == np.float32


def test_loss_shape_errors_refuse_silent_broadcasting() -> None:
    pred = Tensor(np.ones((5, 1)))
    with pytest.raises(
        ValueError,
        match=r"mse_loss: pred has shape \(5, 1\) but target has "
        r"shape \(5,\)",
    ):
        F.mse_loss(pred, np.ones(5))
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits: logits has shape"):
        F.binary_cross_entropy_with_logits(pred, np.ones(5))


def test_cross_entropy_target_errors() -> None:
    z = Tensor(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"target contains class 4, expected classes 0..3"):
        F.cross_entropy(z, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"class-index target has shape \(4,\), expected \(3,\)"):
        F.cross_entropy(z, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"probability target has shape \(4, 3\)"):
        F.cross_entropy(z, np.ones((4, 3)))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(z, np.array([0, 1, 2]), reduction="avg")
    with pytest.raises(TypeError, match="nll_loss: target must be integers"):
        F.nll_loss(z, np.ones(3))


def test_activation_functions_match_methods() -> None:
    x = _logits(2, 3)
    for f, m in (
        (F.relu, x.relu),
        (F.sigmoid, x.sigmoid),
        (F.tanh, x.tanh),
        (F.softmax, x.softmax),
        (F.log_softmax, x.log_softmax),
    ):
        np.testing.assert_array_equal(f(x).data, m().data)
    np.testing.assert_allclose(F.sigmoid(Tensor([-1000.0, 1000.0])).data, [0.0, 1.0])


@pytest.mark.parametrize("axis", [-1, 0])
def test_label_smoothing_targets_and_gradient(axis: int) -> None:
    z = _logits(6, 4)
    n_classes, s = z.shape[axis], 0.1
    labels = np.random.default_rng(3).integers(0, n_classes, z.numel() // n_classes)
    soft = np.moveaxis((1 - s) * np.eye(n_classes)[labels] + s / n_classes, -1, axis)
    loss = F.cross_entropy(z, labels, axis=axis, label_smoothing=s)
    p = _softmax(z.data, axis)
    m = labels.size
    assert loss.item() == pytest.approx(-(soft * np.log(p)).sum() / m, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(z.grad, (p - soft) / m, rtol=1e-12, atol=1e-15)
    same = F.cross_entropy(
        z, np.moveaxis(np.eye(n_classes)[labels], -1, axis), axis=axis, label_smoothing=s
    )  # one-hot probabilities smooth the same way
    assert same.item() == pytest.approx(loss.item(), rel=1e-12)
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        F.cross_entropy(z, labels, axis=axis, label_smoothing=1.5)
