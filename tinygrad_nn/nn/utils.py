"""Gradient clipping (`nn.utils.clip_grad_norm_`, `clip_grad_value_`), in place on `.grad`."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from tinygrad_nn.autograd import Tensor, traced
from tinygrad_nn.nn.module import _grad_array


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[np.ndarray]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = []
    for p in params:
        g = _grad_array(p)
        if g is not None:
            grads.append(g)
    return grads


@traced
def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale all gradients together so that their joint `norm_type`-norm is at most max_norm.

    total = ||(||g_1||, ..., ||g_k||)||; every g is multiplied by min(1, max_norm / (total +
    1e-6)), as PyTorch does. Returns the total norm before clipping (a 0-d Tensor).
    """
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if math.isnan(max_norm) or max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    if math.isnan(norm_type) or norm_type <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 (or inf), got {norm_type}")
    grads = _grads(parameters)
    if not grads:
        return Tensor(np.array(0.0, dtype=np.float32))
    dtype = np.result_type(*grads)
    if math.isinf(norm_type):
        norms = [np.max(np.abs(g)) if g.size else dtype.type(0) for g in grads]
        total = np.max(np.array(norms, dtype=dtype))
    else:
        norms = [np.sum(np.abs(g) ** norm_type) ** (1.0 / norm_type) for g in grads]
        total = np.sum(np.array(norms, dtype=dtype) ** norm_type) ** (1.0 / norm_type)
    total = np.asarray(total, dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{float(total)}, so they cannot be clipped; pass error_if_nonfinite=False to "
            "clip anyway"
        )
    coef = min(max_norm / (float(total) + 1e-6), 1.0)
    for g in grads:
        g *= g.dtype.type(coef)
    return Tensor(total)


@traced
def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clip every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    if math.isnan(clip_value) or clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
