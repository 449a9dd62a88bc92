"""In-place initialisers (PyTorch's names and formulas); every one takes an `rng` or seed.

fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field, for a weight of
shape (out, in, ...). Each returns the tensor it filled.
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_nn.autograd import Tensor
from tinygrad_nn.random import as_rng

Seed = np.random.Generator | int | None


def _fans(t: Tensor, where: str) -> tuple[int, int]:
    shape = t.data.shape
    if len(shape) < 2:
        raise ValueError(
            f"{where}: fan in and fan out need a tensor with at least 2 dimensions, "
            f"got shape {shape}"
        )
    receptive = int(np.prod(shape[2:], dtype=np.int64)) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Recommended gain for an activation: 1 (linear, sigmoid), 5/3 (tanh), sqrt(2) (relu)..."""
    if nonlinearity in ("linear", "identity", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    t.data[...] = values
    return t


def uniform_(t: Tensor, low: float = 0.0, high: float = 1.0, rng: Seed = None) -> Tensor:
    """U(low, high)."""
    return _fill(t, as_rng(rng).uniform(low, high, t.data.shape))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, rng: Seed = None) -> Tensor:
    """N(mean, std^2)."""
    return _fill(t, as_rng(rng).normal(mean, std, t.data.shape))


def zeros_(t: Tensor) -> Tensor:
    return _fill(t, np.zeros(t.data.shape))


def ones_(t: Tensor) -> Tensor:
    return _fill(t, np.ones(t.data.shape))


def xavier_uniform_(t: Tensor, gain: float = 1.0, rng: Seed = None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))  (Glorot & Bengio)."""
    fan_in, fan_out = _fans(t, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound, rng)


def xavier_normal_(t: Tensor, gain: float = 1.0, rng: Seed = None) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(t, "xavier_normal_")
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str, where: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{where}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(t, where)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: Seed = None,
) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan)  (He et al.)."""
    std = _kaiming_std(t, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound, rng)


def kaiming_normal_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: Seed = None,
) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan)  (He et al.)."""
    return normal_(t, 0.0, _kaiming_std(t, a, mode, nonlinearity, "kaiming_normal_"), rng)
