"""Activations and losses (``import tinygrad_nn.functional as F``), built on ``ops``.

Every loss takes ``reduction="mean" | "sum" | "none"``. Targets are constants (no gradient),
except in ``mse_loss``, where a Tensor target gets one too.
Shapes are checked so that nothing broadcasts silently into a wrong loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.autograd import Tensor, apply
from tinygrad_nn.ops import normalize_axes

_REDUCTIONS = ("mean", "sum", "none")


def relu(x: Tensor) -> Tensor:
    return x.relu()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def leaky_relu(x: Tensor, slope: float = 0.01) -> Tensor:
    return x.leaky_relu(slope)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    return x.softmax(axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    return x.log_softmax(axis)


def _check_reduction(fn: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _target(target: Any, like: Tensor) -> Tensor:
    """The target as a constant leaf; float targets take the prediction's dtype (no upcasts)."""
    data = target.data if isinstance(target, Tensor) else np.asarray(target)
    if data.dtype.kind == "f" and like.dtype.kind == "f" and data.dtype != like.dtype:
        data = data.astype(like.dtype)
    return Tensor(data, name=target.name if isinstance(target, Tensor) else None)


def _same_shape(fn: str, pred: Tensor, target: Tensor, what: str = "pred") -> None:
    if pred.shape != target.shape:
        raise ValueError(
            f"{fn}: {what} has shape {pred.shape} but target has shape {target.shape}; they "
            "must be equal (broadcasting them would silently compare every prediction with "
            "every target)"
        )


def mse_loss(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """mean((pred - target)^2) over all elements (``sum`` / per element with ``none``)."""
    _check_reduction("mse_loss", reduction)
    # a Tensor target keeps its graph: (pred - target)^2 is differentiable in both
    y = target.astype(pred.dtype) if isinstance(target, Tensor) else _target(target, pred)
    _same_shape("mse_loss", pred, y)
    return apply(ops.MSELoss, pred, y, reduction=reduction)


def cross_entropy(
    logits: Tensor,
    target: Any,
    axis: int = -1,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy from raw logits, stable for logits of any size.

    ``target`` holds integer class indices (the logits' shape without ``axis``) or
    probabilities / one-hot rows (the logits' shape). The mean is over samples (every position
    but the class axis). Gradient w.r.t. the logits: (softmax(logits) - Y) / m.
    ``label_smoothing`` s trains against (1 - s) Y + s / K for K classes, as PyTorch does.
    """
    _check_reduction("cross_entropy", reduction)
    if logits.ndim == 0:
        raise ValueError("cross_entropy: logits must have a class axis, got a 0-d tensor")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    axis = normalize_axes("cross_entropy", axis, logits.ndim)[0]
    y = _target(target, logits)
    _check_class_target("cross_entropy", logits, y, axis, allow_probs=True)
    if label_smoothing:
        n_classes = logits.shape[axis]
        probs = y.data
        if probs.dtype.kind in "iu":  # class indices -> one-hot along axis
            probs = np.moveaxis(np.eye(n_classes, dtype=logits.dtype)[probs], -1, axis)
        y = Tensor((1 - label_smoothing) * probs + label_smoothing / n_classes, name=y.name)
    return apply(ops.CrossEntropy, logits, y, axis=axis, reduction=reduction)


def nll_loss(log_probs: Tensor, target: Any, axis: int = -1, reduction: str = "mean") -> Tensor:
    """-mean over samples of log_probs at the target class (pair it with log_softmax)."""
    _check_reduction("nll_loss", reduction)
    if log_probs.ndim == 0:
        raise ValueError("nll_loss: log_probs must have a class axis, got a 0-d tensor")
    axis = normalize_axes("nll_loss", axis, log_probs.ndim)[0]
    y = _target(target, log_probs)
    _check_class_target("nll_loss", log_probs, y, axis, allow_probs=False)
    return apply(ops.NLLLoss, log_probs, y, axis=axis, reduction=reduction)


def _check_class_target(fn: str, logits: Tensor, y: Tensor, axis: int, allow_probs: bool) -> None:
    expected = logits.shape[:axis] + logits.shape[axis + 1 :]
    if y.dtype.kind in "iu":
        if y.shape != expected:
            raise ValueError(
                f"{fn}: class-index target has shape {y.shape}, expected {expected} (the "
                f"logits' shape {logits.shape} without class axis {axis})"
            )
        n_classes = logits.shape[axis]
        if y.data.size and (y.data.min() < 0 or y.data.max() >= n_classes):
            bad = y.data[(y.data < 0) | (y.data >= n_classes)].ravel()[0]
            raise ValueError(
                f"{fn}: target contains class {bad}, expected classes 0..{n_classes - 1} "
                f"(axis {axis} of logits {logits.shape} has {n_classes} entries)"
            )
    elif allow_probs and y.dtype.kind == "f":
        if y.shape != logits.shape:
            raise ValueError(
                f"{fn}: probability target has shape {y.shape}, expected the logits' shape "
                f"{logits.shape} (or integer class indices of shape {expected})"
            )
    else:
        kinds = "integer class indices or float probabilities" if allow_probs else "integers"
        raise TypeError(f"{fn}: target must be {kinds}, got dtype {y.dtype}")


def binary_cross_entropy(
    prob: Tensor, target: Any, eps: float = 1e-12, reduction: str = "mean"
) -> Tensor:
    """-mean(y log p + (1 - y) log(1 - p)), with p clipped to [eps, 1 - eps]."""
    _check_reduction("binary_cross_entropy", reduction)
    y = _target(target, prob)
    _same_shape("binary_cross_entropy", prob, y, "prob")
    return apply(ops.BinaryCrossEntropy, prob, y, eps=float(eps), reduction=reduction)


def binary_cross_entropy_with_logits(
    logits: Tensor, target: Any, reduction: str = "mean"
) -> Tensor:
    """binary_cross_entropy(sigmoid(logits), target) computed stably from the logits."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    y = _target(target, logits)
    _same_shape("binary_cross_entropy_with_logits", logits, y, "logits")
    return apply(ops.BCEWithLogits, logits, y, reduction=reduction)
