"""Loss modules (PyTorch's names and arguments); each calls the function in
`tinygrad_nn.functional`. Class weights are buffers, so they are in `state_dict()` as in
PyTorch."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nn import functional as F
from tinygrad_nn.autograd import Tensor
from tinygrad_nn.nn.layers import check_int
from tinygrad_nn.nn.module import Module

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(where: str, reduction: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _as_weight(where: str, name: str, value: Any) -> Tensor | None:
    if value is None:
        return None
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if data.dtype.kind not in "fiu" or not np.all(np.isfinite(data)):
        raise ValueError(f"{where}: {name} must be finite numbers, got {data!r}")
    return Tensor(data.astype(data.dtype if data.dtype.kind == "f" else np.float32))


def _values(target: Any, dtype: np.dtype) -> np.ndarray:
    data = target.data if isinstance(target, Tensor) else np.asarray(target)
    return data.astype(dtype, copy=False)


class _Loss(Module):
    weight: Tensor | None
    pos_weight: Tensor | None

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _check_reduction(type(self).__name__, reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """mean((input - target)^2)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """mean(|input - target|)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy from raw logits, class dim 1 (as `F.cross_entropy`); optional
    per-class `weight`, `ignore_index` and `label_smoothing` as in PyTorch."""

    def __init__(
        self,
        weight: Any = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(reduction)
        if not (isinstance(label_smoothing, (int, float)) and 0.0 <= label_smoothing <= 1.0):
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing!r}"
            )
        self.register_buffer("weight", _as_weight("CrossEntropyLoss", "weight", weight))
        self.ignore_index = check_int(type(self).__name__, "ignore_index", ignore_index)
        self.label_smoothing = float(label_smoothing)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_Loss):
    """-log_probs at the target class (pair with LogSoftmax); optional `weight`,
    `ignore_index` as in PyTorch."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", _as_weight("NLLLoss", "weight", weight))
        self.ignore_index = check_int(type(self).__name__, "ignore_index", ignore_index)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class BCELoss(_Loss):
    """-w * (y log p + (1 - y) log(1 - p)) for probabilities p; `weight` w broadcasts."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _as_weight("BCELoss", "weight", weight))

    def forward(self, input: Tensor, target: Any) -> Tensor:
        if self.weight is None:
            return F.binary_cross_entropy(input, target, reduction=self.reduction)
        loss = F.binary_cross_entropy(input, target, reduction="none")
        return _reduce(loss * self.weight.astype(input.dtype), self.reduction)


class BCEWithLogitsLoss(_Loss):
    """BCELoss(sigmoid(x)) computed stably from logits x; `pos_weight` (per class, last dim)
    multiplies the positive term: -w * (pos_weight y log s(x) + (1 - y) log(1 - s(x)))."""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None):
        super().__init__(reduction)
        self.register_buffer("weight", _as_weight("BCEWithLogitsLoss", "weight", weight))
        self.register_buffer(
            "pos_weight", _as_weight("BCEWithLogitsLoss", "pos_weight", pos_weight)
        )

    def forward(self, input: Tensor, target: Any) -> Tensor:
        if self.weight is None and self.pos_weight is None:
            return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)
        loss = F.binary_cross_entropy_with_logits(input, target, reduction="none")
        if self.pos_weight is not None:
            # -(pw - 1) y log s(x) = (pw - 1) y * BCE(x, 1): the extra weight on positives
            y = _values(target, input.dtype)
            ones = np.ones(input.shape, dtype=input.dtype)
            neg_log_s = F.binary_cross_entropy_with_logits(input, ones, reduction="none")
            loss = loss + neg_log_s * ((self.pos_weight.data.astype(input.dtype) - 1) * y)
        if self.weight is not None:
            loss = loss * self.weight.astype(input.dtype)
        return _reduce(loss, self.reduction)
