"""Activations and losses (``import tinygrad_nn.functional as F``), built on ``ops``.

Names, arguments and defaults are PyTorch's (``torch.nn.functional``): the class dimension of
``cross_entropy`` / ``nll_loss`` is 1 (0 for 1-D logits); the tutorials' columns-are-samples
layout, logits of shape (classes, m), passes ``dim=0`` (NumPy's ``axis=0`` is the same).
Every loss takes ``reduction="mean" | "sum" | "none"``. Targets are constants (no gradient),
except in ``mse_loss`` and ``l1_loss``, where a Tensor target gets one too.
Shapes are checked so that nothing broadcasts silently into a wrong loss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.autograd import Tensor, apply
from tinygrad_nn.ops import normalize_axes
from tinygrad_nn.random import default_generator

_REDUCTIONS = ("mean", "sum", "none")


# ----------------------------------------------------------------------------- activations


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0), elementwise (Tensor.relu)."""
    _no_inplace("relu", inplace)
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-input)), elementwise (Tensor.sigmoid)."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """tanh(input), elementwise (Tensor.tanh)."""
    return input.tanh()


def leaky_relu(
    input: Tensor,
    negative_slope: float = 0.01,
    inplace: bool = False,
    *,
    slope: float | None = None,
) -> Tensor:
    """Z if Z > 0 else negative_slope * Z (``slope=`` is the older spelling)."""
    _no_inplace("leaky_relu", inplace)
    return input.leaky_relu(negative_slope if slope is None else slope)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Z Phi(Z) with Phi the standard normal CDF (exact, via erf), or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    _need_float("gelu", input)
    return apply(ops.GELU, input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Z sigma(Z) (also called swish)."""
    _no_inplace("silu", inplace)
    _need_float("silu", input)
    return apply(ops.SiLU, input)


def softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
    axis: int | None = None,
) -> Tensor:  # fmt: skip
    """exp(Z) / sum exp(Z) along ``dim`` (``axis=`` is NumPy's spelling of the same)."""
    x = input if dtype is None else input.astype(dtype)
    return x.softmax(_softmax_dim("softmax", x, dim, axis))


def log_softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
    axis: int | None = None,
) -> Tensor:  # fmt: skip
    """Z - log sum exp(Z) along ``dim``, stable for any magnitude."""
    x = input if dtype is None else input.astype(dtype)
    return x.log_softmax(_softmax_dim("log_softmax", x, dim, axis))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: each element is zeroed with probability p, the rest scaled by 1/(1-p).

    The mask comes from the default generator (``tinygrad_nn.manual_seed``). With
    ``training=False`` or ``p=0`` the input is returned as is.
    """
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p!r}")
    _no_inplace("dropout", inplace)
    if not training or p == 0:
        return input
    _need_float("dropout", input)
    if p == 1:
        mask = np.zeros(input.shape, dtype=input.dtype)
    else:
        keep = default_generator().random(input.shape) >= p  # kept with probability 1 - p
        mask = keep.astype(input.dtype) * np.asarray(1.0 / (1.0 - p), dtype=input.dtype)
    return input * Tensor(mask)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ W.T + b: x (..., in), W (out, in), b (out,), as nn.Linear (rows are samples)."""
    if weight.ndim not in (1, 2) or input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: input of shape {input.shape} and weight of shape {weight.shape} do not "
            "fit: expected weight (out_features, in_features) and input (..., in_features)"
        )
    out = input @ (weight.T if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape ``tensor.shape + (num_classes,)`` with a 1 at each class index.

    ``num_classes=-1`` takes one more than the largest label.
    """
    labels = np.asarray(tensor.data if isinstance(tensor, Tensor) else tensor)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"one_hot: expected integer class indices, got dtype {labels.dtype}; convert with "
            ".long() or .astype(np.int64)"
        )
    if num_classes == -1:
        if labels.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass it")
        num_classes = int(labels.max()) + 1
    if num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be positive or -1, got {num_classes}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)].ravel()[0]
        raise ValueError(
            f"one_hot: label {bad} is out of range for num_classes={num_classes} "
            f"(expected 0..{num_classes - 1})"
        )
    out = (labels[..., None] == np.arange(num_classes)).astype(np.int64)
    return Tensor(out)


# ---------------------------------------------------------------------------------- losses


def mse_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """mean((input - target)^2) over all elements; with ``weight``: sum(w e^2) / sum(w)."""
    reduction = _reduction("mse_loss", size_average, reduce, reduction)
    y = _paired_target(target, input)
    _same_shape("mse_loss", input, y, "input")
    if weight is None:
        return apply(ops.MSELoss, input, y, reduction=reduction)
    return _weighted("mse_loss", apply(ops.MSELoss, input, y, reduction="none"), weight, reduction)


def l1_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """mean |input - target| over all elements; with ``weight``: sum(w |e|) / sum(w)."""
    reduction = _reduction("l1_loss", size_average, reduce, reduction)
    y = _paired_target(target, input)
    _same_shape("l1_loss", input, y, "input")
    if weight is None:
        return apply(ops.L1Loss, input, y, reduction=reduction)
    return _weighted("l1_loss", apply(ops.L1Loss, input, y, reduction="none"), weight, reduction)


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
    *,
    dim: int | None = None,
    axis: int | None = None,
) -> Tensor:
    """Softmax cross-entropy from raw logits, stable for logits of any size.

    The class dimension is ``dim`` (default 1, or 0 for 1-D logits, as in PyTorch; the
    tutorials' (classes, m) layout passes ``dim=0``). ``target`` holds integer class indices
    (the logits' shape without the class dim) or probabilities / one-hot rows (the logits'
    shape). Per sample n, with Y the one-hot target, w the class weights (default 1),
    K classes and s = ``label_smoothing``:

        l_n = -sum_k q_nk log softmax(Z)_nk,   q_nk = (1 - s) w_y(n) Y_nk + (s / K) w_k

    (for probability targets q_nk = w_k ((1 - s) Y_nk + s / K)). Samples whose index is
    ``ignore_index`` have l_n = 0. ``mean`` divides the sum by sum_n w_y(n) over the samples
    not ignored (by the number of samples for probability targets), as PyTorch does; with
    every sample ignored that is 0/0 = nan, as in PyTorch. Gradient: (softmax(Z) sum_k q_k - q).
    """
    reduction = _reduction("cross_entropy", size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    class_dim = _class_dim("cross_entropy", input, dim, axis)
    y = _target(target, input)
    n_classes = input.shape[class_dim]
    w = _class_weight("cross_entropy", weight, n_classes, input.dtype)
    if y.dtype.kind == "f":  # probabilities
        if y.shape != input.shape:
            raise ValueError(
                f"cross_entropy: probability target has shape {y.shape}, expected the logits' "
                f"shape {input.shape} (or integer class indices of shape "
                f"{_without(input.shape, class_dim)})"
            )
        if not np.isfinite(y.data).all():
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(y.data))[0])
            raise ValueError(
                f"cross_entropy: probability target must be finite, but element {index} of "
                f"shape {y.shape} is {y.data[index].item()}"
            )
        if not label_smoothing and w is None:
            return apply(ops.CrossEntropy, input, y, axis=class_dim, reduction=reduction)
        soft = apply(
            ops.Computed, y, fn=_soft_target, n_classes=n_classes, class_dim=class_dim,
            smoothing=float(label_smoothing), weight=w,
        )  # fmt: skip
        return apply(ops.CrossEntropy, input, soft, axis=class_dim, reduction=reduction)
    valid = _check_class_target("cross_entropy", input, y, class_dim, dim, axis, ignore_index)
    if valid is None and w is None and not label_smoothing:  # the common case: one op
        return apply(ops.CrossEntropy, input, y, axis=class_dim, reduction=reduction)
    # The smoothed, weighted target q and its total weight are computed from the labels by
    # ops.Computed, so that a compiled step recomputes them for every batch.
    params = dict(
        n_classes=n_classes, class_dim=class_dim, smoothing=float(label_smoothing), weight=w,
        ignore_index=ignore_index, dtype=input.dtype,
    )  # fmt: skip
    labels = y.detach()
    soft = apply(ops.Computed, labels, fn=_class_target, **params)
    if reduction == "mean":
        total = apply(ops.CrossEntropy, input, soft, axis=class_dim, reduction="sum")
        return total / apply(ops.Computed, labels, fn=_class_target_weight, **params)
    return apply(ops.CrossEntropy, input, soft, axis=class_dim, reduction=reduction)


def _soft_target(
    probs: np.ndarray, *, n_classes: int, class_dim: int, smoothing: float, weight: Any
) -> np.ndarray:
    """q = w_k ((1 - s) Y + s / K) for probability targets (see cross_entropy)."""
    q = probs
    if smoothing:
        q = (1 - smoothing) * q + smoothing / n_classes
    if weight is not None:
        q = q * _along(weight, class_dim, probs.ndim)
    return q


def _class_target(labels: np.ndarray, **params: Any) -> np.ndarray:
    """q_nk = (1 - s) w_y(n) Y_nk + (s / K) w_k for the samples not ignored (see cross_entropy)."""
    n_classes, class_dim, s = params["n_classes"], params["class_dim"], params["smoothing"]
    w, dtype = params["weight"], params["dtype"]
    valid = _valid_labels(labels, n_classes, params["ignore_index"])
    labels, w_y = _target_weights(labels, valid, w, dtype)
    onehot = np.moveaxis(np.eye(n_classes, dtype=dtype)[labels], -1, class_dim)
    q = (1 - s) * onehot * np.expand_dims(w_y, class_dim)
    if s:
        w_k = np.ones(n_classes, dtype) if w is None else w
        present = np.ones_like(w_y) if valid is None else valid.astype(dtype)
        spread = _along(w_k, class_dim, onehot.ndim) * np.expand_dims(present, class_dim)
        q = q + (s / n_classes) * spread
    return q


def _class_target_weight(labels: np.ndarray, **params: Any) -> np.ndarray:
    """sum_n w_y(n) over the samples not ignored: what reduction='mean' divides by."""
    valid = _valid_labels(labels, params["n_classes"], params["ignore_index"])
    _, w_y = _target_weights(labels, valid, params["weight"], params["dtype"])
    return np.asarray(w_y.sum(), dtype=params["dtype"])


def _valid_labels(
    labels: np.ndarray, n_classes: int, ignore_index: int, fn: str = "cross_entropy",
    where: str = "",
) -> np.ndarray | None:
    """The samples whose label is not ignore_index (None: all); a clear error for a label
    that is neither a class nor ignore_index (``where`` says where the classes come from)."""
    if not labels.size:
        return None
    lo, hi = labels.min(), labels.max()
    if 0 <= lo and hi < n_classes and not 0 <= ignore_index < n_classes:
        return None  # every label is a class and none can be ignore_index
    valid = labels != ignore_index
    bad = valid & ((labels < 0) | (labels >= n_classes))
    if bad.any():
        raise ValueError(
            f"{fn}: target contains class {labels[bad].ravel()[0]}, expected classes "
            f"0..{n_classes - 1}{where} or ignore_index={ignore_index}"
        )
    return None if valid.all() else valid


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    *,
    dim: int | None = None,
    axis: int | None = None,
) -> Tensor:
    """l_n = -w_y(n) input[n, y(n)] (pair it with log_softmax); class dim 1 as in PyTorch.

    ``mean`` divides by sum_n w_y(n) over the samples whose index is not ``ignore_index``.
    """
    reduction = _reduction("nll_loss", size_average, reduce, reduction)
    class_dim = _class_dim("nll_loss", input, dim, axis)
    y = _target(target, input)
    if y.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must be integer class indices, got dtype {y.dtype}")
    w = _class_weight("nll_loss", weight, input.shape[class_dim], input.dtype)
    valid = _check_class_target("nll_loss", input, y, class_dim, dim, axis, ignore_index)
    if valid is None and w is None:
        return apply(ops.NLLLoss, input, y, axis=class_dim, reduction=reduction)
    labels, w_y = _target_weights(y.data, valid, w, input.dtype)
    per_sample = apply(ops.NLLLoss, input, Tensor(labels), axis=class_dim, reduction="none")
    weighted = per_sample * Tensor(w_y)
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / Tensor(np.asarray(w_y.sum(), dtype=input.dtype))


def binary_cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    *,
    eps: float = 1e-12,
) -> Tensor:
    """-mean(w (y log p + (1 - y) log(1 - p))), each log floored at -100 as in PyTorch.

    ``input`` (p) and ``target`` (y) must lie in [0, 1] (a ValueError otherwise, NaN
    included; for raw scores use ``binary_cross_entropy_with_logits``). ``weight`` w
    broadcasts to p's shape and rescales each element (the mean stays over elements, as in
    PyTorch). ``eps`` floors p (1 - p) in the gradient's denominator, so p exactly 0 or 1
    gives a large but finite gradient.
    """
    fn = "binary_cross_entropy"
    reduction = _reduction(fn, size_average, reduce, reduction)
    if isinstance(eps, (Tensor, np.ndarray)) or not isinstance(eps, (int, float, np.floating)):
        raise TypeError(f"{fn}: eps must be a number, got {type(eps).__name__}")
    if not 0 < eps < 1:  # also refuses NaN
        raise ValueError(f"{fn}: eps must be in (0, 1), got {eps}")
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{fn}: input must be a Tensor of probabilities, got {type(input).__name__}"
        )
    if input.dtype.kind != "f":
        raise TypeError(f"{fn}: input must be a floating tensor, got dtype {input.dtype}")
    y = _target(target, input)
    _same_shape(fn, input, y, "input")
    _check_unit_interval(
        fn,
        "input",
        input.data,
        "; for raw scores (logits) use binary_cross_entropy_with_logits, or apply .sigmoid() first",
    )
    _check_unit_interval(fn, "target", y.data, "")
    if weight is None:
        return apply(ops.BinaryCrossEntropy, input, y, eps=float(eps), reduction=reduction)
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: weight must hold numbers, got dtype {w.dtype}")
    try:
        np.broadcast_shapes(w.shape, input.shape)
    except ValueError:
        raise ValueError(
            f"{fn}: weight of shape {w.shape} does not broadcast to the input's shape {input.shape}"
        ) from None
    if np.broadcast_shapes(w.shape, input.shape) != input.shape:
        raise ValueError(
            f"{fn}: weight of shape {w.shape} would broadcast the loss beyond the input's "
            f"shape {input.shape}"
        )
    per_element = apply(ops.BinaryCrossEntropy, input, y, eps=float(eps), reduction="none")
    weighted = per_element * Tensor(w.astype(input.dtype, copy=False))
    if reduction == "none":
        return weighted
    return weighted.sum() if reduction == "sum" else weighted.mean()


def _check_unit_interval(fn: str, what: str, values: np.ndarray, hint: str) -> None:
    """Raise unless every value is in [0, 1] (NaN is not)."""
    inside = (values >= 0) & (values <= 1)
    if not inside.all():
        index = tuple(int(i) for i in np.argwhere(~inside)[0])
        raise ValueError(
            f"{fn}: {what} must hold probabilities in [0, 1], but element {index} of shape "
            f"{values.shape} is {values[index].item():.6g}{hint}"
        )


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target) computed stably from the logits.

    Per element, with s = softplus(-z) = -log sigma(z):  l = w ((1 - y) z + (1 + (q - 1) y) s),
    i.e. -w (q y log sigma(z) + (1 - y) log(1 - sigma(z))), where ``pos_weight`` q (default 1)
    broadcasts along the last dim and ``weight`` w (default 1) to the input's shape; the
    mean is over elements, as in PyTorch.
    """
    fn = "binary_cross_entropy_with_logits"
    reduction = _reduction(fn, size_average, reduce, reduction)
    y = _target(target, input)
    _same_shape(fn, input, y, "logits")
    if weight is None and pos_weight is None:
        return apply(ops.BCEWithLogits, input, y, reduction=reduction)
    loss = apply(ops.BCEWithLogits, input, y, reduction="none")
    if pos_weight is not None:  # + (q - 1) y s, with s the loss against a target of ones
        q = _broadcast_weight(fn, "pos_weight", pos_weight, input)
        ones = Tensor(np.ones(input.shape, input.dtype))
        softplus = apply(ops.BCEWithLogits, input, ones, reduction="none")
        loss = loss + softplus * Tensor((q - 1) * y.data)
    if weight is not None:
        loss = loss * Tensor(_broadcast_weight(fn, "weight", weight, input))
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _broadcast_weight(fn: str, what: str, weight: Any, like: Tensor) -> np.ndarray:
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {what} must hold numbers, got dtype {w.dtype}")
    try:
        shape = np.broadcast_shapes(w.shape, like.shape)
    except ValueError:
        shape = None
    if shape != like.shape:
        raise ValueError(
            f"{fn}: {what} of shape {w.shape} does not broadcast to the input's shape {like.shape}"
        )
    return w.astype(like.dtype, copy=False)


# --------------------------------------------------------------------------------- helpers


def _no_inplace(fn: str, inplace: bool) -> None:
    if inplace:
        raise ValueError(
            f"{fn}: inplace=True is not supported (it would overwrite a value the graph may "
            f"still need); write x = F.{fn}(x) instead"
        )


def _need_float(fn: str, x: Tensor) -> None:
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: expected a floating tensor, got dtype {x.dtype}; use .float()")


def _softmax_dim(fn: str, x: Tensor, dim: int | None, axis: int | None) -> int:
    if dim is not None and axis is not None and dim != axis:
        raise TypeError(f"{fn}: got dim={dim} and axis={axis}; pass one of them")
    d = dim if dim is not None else axis
    if d is None:
        if x.ndim > 2:  # PyTorch's implicit choice here (dim 0 for 3-D) is deprecated
            raise TypeError(
                f"{fn}: pass dim= for a {x.ndim}-D input (e.g. dim=-1 for the last dimension, "
                "dim=1 for the channels)"
            )
        d = -1  # PyTorch's implicit choice for 0-, 1- and 2-D inputs
    return int(d)


def _class_dim(fn: str, x: Tensor, dim: int | None, axis: int | None) -> int:
    if x.ndim == 0:
        raise ValueError(f"{fn}: input must have a class dimension, got a 0-d tensor")
    if dim is not None and axis is not None and dim != axis:
        raise TypeError(
            f"{fn}: got dim={dim} and axis={axis}; pass one of them (both name the class dim)"
        )
    d = dim if dim is not None else axis
    if d is None:
        d = 0 if x.ndim == 1 else 1
    return normalize_axes(fn, d, x.ndim)[0]


def _check_reduction(fn: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduction(fn: str, size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """``reduction``, or what PyTorch's deprecated ``size_average`` / ``reduce`` pair means."""
    if size_average is not None or reduce is not None:
        if reduce is False:
            reduction = "none"
        else:
            reduction = "sum" if size_average is False else "mean"
    _check_reduction(fn, reduction)
    return reduction


def _without(shape: tuple[int, ...], dim: int) -> tuple[int, ...]:
    return shape[:dim] + shape[dim + 1 :]


def _along(v: np.ndarray, dim: int, ndim: int) -> np.ndarray:
    """A (K,) vector shaped to broadcast along ``dim`` of an ``ndim``-D array."""
    shape = [1] * ndim
    shape[dim] = v.shape[0]
    return v.reshape(shape)


def _target(target: Any, like: Tensor) -> Tensor:
    """The target as a constant leaf; float targets take the prediction's dtype (no upcasts)."""
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target))
    y = target.detach()  # the same array, no graph: a compiled step follows it to its source
    y.name = target.name
    if y.dtype.kind == "f" and like.dtype.kind == "f" and y.dtype != like.dtype:
        y = y.astype(like.dtype)  # recorded as a cast, so a compiled step casts each batch
    return y


def _paired_target(target: Any, input: Tensor) -> Tensor:
    """A Tensor target keeps its graph ((input - target) is differentiable in both)."""
    if isinstance(target, Tensor):
        return target.astype(input.dtype) if target.dtype != input.dtype else target
    return _target(target, input)


def _same_shape(fn: str, pred: Tensor, target: Tensor, what: str = "pred") -> None:
    if pred.shape != target.shape:
        raise ValueError(
            f"{fn}: {what} has shape {pred.shape} but target has shape {target.shape}; they "
            "must be equal (broadcasting them would silently compare every prediction with "
            "every target)"
        )


def _weighted(fn: str, per_element: Tensor, weight: Any, reduction: str) -> Tensor:
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if w.shape != per_element.shape:
        raise ValueError(
            f"{fn}: weight has shape {w.shape}, expected the input's shape {per_element.shape}"
        )
    _check_weight_values(fn, w, need_positive_sum=reduction == "mean")
    w_t = Tensor(w.astype(per_element.dtype, copy=False))
    weighted = per_element * w_t
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / Tensor(np.asarray(w_t.data.sum(), dtype=per_element.dtype))


def _check_weight_values(fn: str, w: np.ndarray, need_positive_sum: bool) -> None:
    """Raise unless every weight is a finite number >= 0 (and, for a mean, they sum above 0)."""
    if w.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: weight must hold numbers, got dtype {w.dtype}")
    good = np.isfinite(w) & (w >= 0)
    if not good.all():
        index = tuple(int(i) for i in np.argwhere(~good)[0])
        raise ValueError(
            f"{fn}: weight must hold finite values >= 0, but element {index} of shape "
            f"{w.shape} is {w[index].item():.6g}"
        )
    if need_positive_sum and w.size and not w.sum() > 0:
        raise ValueError(
            f"{fn}: weights sum to 0, so reduction='mean' (sum(w e) / sum(w)) would be 0/0; "
            "give some weight > 0, or use reduction='sum'"
        )


def _class_weight(fn: str, weight: Any, n_classes: int, dtype: np.dtype) -> np.ndarray | None:
    if weight is None:
        return None
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if w.shape != (n_classes,):
        raise ValueError(
            f"{fn}: weight has shape {w.shape}, expected one weight per class: ({n_classes},)"
        )
    _check_weight_values(fn, w, need_positive_sum=False)
    return w.astype(dtype, copy=False)


def _target_weights(
    labels: np.ndarray, valid: np.ndarray | None, w: np.ndarray | None, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """Labels with ignored ones set to class 0, and each sample's weight w_y (0 if ignored)."""
    if valid is not None:
        labels = np.where(valid, labels, 0)
    w_y = np.ones(labels.shape, dtype) if w is None else w[labels]
    if valid is not None:
        w_y = w_y * valid
    return labels, w_y


def _check_class_target(
    fn: str,
    logits: Tensor,
    y: Tensor,
    class_dim: int,
    dim: int | None,
    axis: int | None,
    ignore_index: int,
) -> np.ndarray | None:
    """Check an index target; returns the mask of samples not ignored (None: none ignored)."""
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"{fn}: target must be integer class indices or float probabilities, got dtype "
            f"{y.dtype}"
        )
    expected = _without(logits.shape, class_dim)
    if y.shape != expected:
        hint = ""
        if dim is None and axis is None and logits.ndim >= 2 and y.shape == logits.shape[1:]:
            hint = (
                f"; the class dim is probably 0 (logits of shape (classes, samples), columns "
                f"are samples, as in the tutorials): pass dim=0, as in {fn}(Z, y, dim=0)"
            )
        raise ValueError(
            f"{fn}: class-index target has shape {y.shape}, expected {expected} (the "
            f"logits' shape {logits.shape} without class dim {class_dim}){hint}"
        )
    n_classes = logits.shape[class_dim]
    where = f" (dim {class_dim} of logits {logits.shape} has {n_classes} entries)"
    return _valid_labels(y.data, n_classes, ignore_index, fn, where)


# What torch.nn.functional has and this module does not: what to write instead.
_DENSE_ONLY = "is not supported: tinygrad_nn has dense layers only (Linear, activations, losses)"
_INSTEAD = {
    "softplus": "write F.binary_cross_entropy_with_logits(x, torch.zeros_like(x), "
    "reduction='none') (stable log(1 + exp(x)))",
    "logsigmoid": "write -F.binary_cross_entropy_with_logits(x, torch.ones_like(x), "
    "reduction='none')",
    "relu6": "write x.clamp(0, 6)",
    "hardtanh": "write x.clamp(-1, 1)",
    "elu": "write torch.where(x > 0, x, alpha * (x.exp() - 1))",
    "normalize": "write x / x.pow(2).sum(dim, keepdim=True).sqrt().clamp_min(1e-12)",
    "layer_norm": "write (x - x.mean(-1, keepdim=True)) / (x.var(-1, keepdim=True, "
    "unbiased=False) + eps).sqrt()",
    "smooth_l1_loss": "is not supported; F.l1_loss and F.mse_loss are",
    "huber_loss": "is not supported; F.l1_loss and F.mse_loss are",
    **{
        name: _DENSE_ONLY
        for name in (
            "conv1d",
            "conv2d",
            "conv3d",
            "conv_transpose2d",
            "max_pool1d",
            "max_pool2d",
            "avg_pool2d",
            "adaptive_avg_pool2d",
            "batch_norm",
            "embedding",
            "interpolate",
            "pad",
        )
    },  # fmt: skip
}


if not TYPE_CHECKING:  # hidden from mypy, which then still flags a mistyped name

    def __getattr__(name: str) -> Any:
        if name in _INSTEAD:
            hint = _INSTEAD[name]
            raise AttributeError(
                f"tinygrad_nn.functional.{name} {hint}"
                if hint.startswith("is ")
                else f"tinygrad_nn.functional has no {name}: {hint}"
            )
        raise AttributeError(f"module 'tinygrad_nn.functional' has no attribute {name!r}")
