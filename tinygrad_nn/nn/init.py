"""In-place initialisers (PyTorch's names, arguments and formulas).

Random ones draw from the default generator (so `tinygrad_nn.manual_seed` makes model
initialisation reproducible) unless given `generator=` (PyTorch's name) or `rng=`: a seed or
an `np.random.Generator`. fan_in = shape[1] * receptive field, fan_out = shape[0] *
receptive field, for a weight of shape (out, in, ...). Each returns the tensor it filled,
keeping its dtype; none records a graph.
"""

from __future__ import annotations

import math
from typing import Any

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


_LINEAR = (
    "linear",
    "identity",
    "sigmoid",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Recommended gain for an activation: 1 (linear, sigmoid), 5/3 (tanh), sqrt(2) (relu),
    sqrt(2 / (1 + slope^2)) (leaky_relu), 3/4 (selu)."""
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _gen(generator: Seed, rng: Seed) -> np.random.Generator:
    return as_rng(generator if generator is not None else rng)


def _fill(t: Tensor, values: Any) -> Tensor:
    t.data[...] = values
    return t


def _finite(where: str, **values: float) -> None:
    for name, v in values.items():
        if not math.isfinite(v):
            raise ValueError(f"{where}: {name} must be finite, got {v}")


def constant_(t: Tensor, val: float) -> Tensor:
    """Fill with `val` (a finite number)."""
    _finite("constant_", val=val)
    return _fill(t, val)


def zeros_(t: Tensor) -> Tensor:
    """Fill t with 0 in place; return t."""
    return _fill(t, 0)


def ones_(t: Tensor) -> Tensor:
    """Fill t with 1 in place; return t."""
    return _fill(t, 1)


def eye_(t: Tensor) -> Tensor:
    """The identity matrix (a 2-D tensor)."""
    if t.data.ndim != 2:
        raise ValueError(f"eye_: expected a 2-D tensor, got shape {t.data.shape}")
    return _fill(t, np.eye(*t.data.shape))


def uniform_(
    t: Tensor, a: float = 0.0, b: float = 1.0, generator: Seed = None, *, rng: Seed = None
) -> Tensor:
    """U(a, b)."""
    _finite("uniform_", a=a, b=b)
    if a > b:
        raise ValueError(f"uniform_: expected a <= b, got a={a}, b={b}")
    return _fill(t, _gen(generator, rng).uniform(a, b, t.data.shape))


def normal_(
    t: Tensor, mean: float = 0.0, std: float = 1.0, generator: Seed = None, *, rng: Seed = None
) -> Tensor:
    """N(mean, std^2)."""
    _finite("normal_", mean=mean, std=std)
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    return _fill(t, _gen(generator, rng).normal(mean, std, t.data.shape))


def xavier_uniform_(
    t: Tensor, gain: float = 1.0, generator: Seed = None, *, rng: Seed = None
) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))  (Glorot & Bengio)."""
    _finite("xavier_uniform_", gain=gain)
    fan_in, fan_out = _fans(t, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound, generator, rng=rng)


def xavier_normal_(
    t: Tensor, gain: float = 1.0, generator: Seed = None, *, rng: Seed = None
) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _finite("xavier_normal_", gain=gain)
    fan_in, fan_out = _fans(t, "xavier_normal_")
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator, rng=rng)


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str, where: str) -> float:
    _finite(where, a=a)
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
    generator: Seed = None,
    *,
    rng: Seed = None,
) -> Tensor:
    """U(-bound, bound) with bound = gain * sqrt(3 / fan)  (He et al.)."""
    std = _kaiming_std(t, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound, generator, rng=rng)


def kaiming_normal_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Seed = None,
    *,
    rng: Seed = None,
) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan)  (He et al.)."""
    std = _kaiming_std(t, a, mode, nonlinearity, "kaiming_normal_")
    return normal_(t, 0.0, std, generator, rng=rng)
