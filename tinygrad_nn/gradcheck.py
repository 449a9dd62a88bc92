"""Check ``backward`` against central finite differences in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_nn.autograd import Tensor, no_grad


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Tensor] | Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """True if d/dx of ``fn(*inputs)`` from ``backward`` matches finite differences.

    Each input that requires grad is copied to float64. For a non-scalar output the check is
    on ``sum(v * fn(*inputs))`` with a fixed random ``v``, which tests the vector-Jacobian
    product ``backward`` computes. Raises ``AssertionError`` naming the input and the worst
    element when an entry differs by more than ``atol + rtol * |numerical|``.
    """
    if not callable(fn):
        raise TypeError(
            f"gradcheck: fn must be a function of the inputs returning a Tensor, got "
            f"{type(fn).__name__} ({fn!r:.60}); write gradcheck(lambda x: ..., (x,))"
        )
    for name, value, positive in (("eps", eps, True), ("atol", atol, False), ("rtol", rtol, False)):
        if not np.isfinite(value) or value < 0 or (positive and value == 0):
            bound = "> 0" if positive else ">= 0"
            raise ValueError(f"gradcheck: {name} must be a finite number {bound}, got {value}")
    if isinstance(inputs, Tensor):
        inputs = [inputs]
    xs = [
        Tensor(t.data.astype(np.float64), requires_grad=t.requires_grad, name=t.name)
        if isinstance(t, Tensor) and t.dtype.kind == "f"
        else t
        for t in inputs
    ]
    wrt = [i for i, t in enumerate(xs) if isinstance(t, Tensor) and t.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input has requires_grad=True")

    out = fn(*xs)
    v = np.random.default_rng(seed).standard_normal(out.shape)

    def objective() -> float:
        with no_grad():
            return float((fn(*xs).data * v).sum())

    out.backward(v)
    for i in wrt:
        x = xs[i]
        analytic = np.zeros_like(x.data) if x.grad is None else x.grad.data
        numerical = numerical_grad(objective, x.data, eps)
        error = np.abs(analytic - numerical) - (atol + rtol * np.abs(numerical))
        if (error > 0).any() or not np.isfinite(analytic).all():
            worst = np.unravel_index(int(np.argmax(np.nan_to_num(error, nan=np.inf))), x.shape)
            label = f"input {i}" + (f" ({x.name!r})" if x.name else "") + f" of shape {x.shape}"
            raise AssertionError(
                f"gradcheck: gradient of {label} differs from finite differences at index "
                f"{tuple(int(j) for j in worst)}: backward gave {analytic[worst]!r}, "
                f"numerical {numerical[worst]!r} (atol={atol}, rtol={rtol})"
            )
    return True


def numerical_grad(fn: Callable[[], Any], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``fn()`` w.r.t. the array ``x`` (perturbed in place).

    Works for any memory layout (Fortran order, strided views): each element is perturbed
    through its index, never through a flattened copy.
    """
    if not x.flags.writeable:
        raise ValueError("numerical_grad: x is read-only; pass a writable array (x.copy())")
    if x.dtype.kind != "f":
        raise TypeError(f"numerical_grad: x must be a floating array, got dtype {x.dtype}")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"numerical_grad: eps must be a finite number > 0, got {eps}")
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(*x.shape):
        orig = x[index]
        x[index] = orig + eps
        plus = float(fn())
        x[index] = orig - eps
        minus = float(fn())
        x[index] = orig
        grad[index] = (plus - minus) / (2 * eps)
    return grad
