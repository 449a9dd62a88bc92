"""Activation modules: each is the function of the same name in `tinygrad_nn.functional`."""

from __future__ import annotations

import math
from typing import Any

from tinygrad_nn import functional as F
from tinygrad_nn.autograd import Tensor
from tinygrad_nn.nn.module import Module


class Identity(Module):
    """y = x (extra arguments are accepted and ignored, as in PyTorch)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x


class ReLU(Module):
    """y = max(x, 0). (`inplace` is accepted for PyTorch code; the result is the same.)"""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x))."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    """y = tanh(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class LeakyReLU(Module):
    """y = x for x > 0, negative_slope * x otherwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        if (
            isinstance(negative_slope, bool)
            or not isinstance(negative_slope, (int, float))
            or (not math.isfinite(negative_slope))
        ):
            raise ValueError(
                f"LeakyReLU: negative_slope must be a finite number, got {negative_slope!r}"
            )
        self.negative_slope = float(negative_slope)
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return x.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    """y = x * Phi(x) (`approximate="tanh"`: PyTorch's tanh approximation)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """y = x * sigmoid(x)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)


def _implicit_dim(ndim: int) -> int:
    """PyTorch's choice when Softmax is built without dim: 0 for 0-, 1- and 3-D, else 1."""
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """softmax along `dim` (`axis=` also accepted); dim=None picks it as PyTorch does."""

    def __init__(self, dim: int | None = None, *, axis: int | None = None) -> None:
        super().__init__()
        self.dim = axis if dim is None else dim

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(_implicit_dim(x.ndim) if self.dim is None else self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along `dim`, computed stably."""

    def __init__(self, dim: int | None = None, *, axis: int | None = None) -> None:
        super().__init__()
        self.dim = axis if dim is None else dim

    def forward(self, x: Tensor) -> Tensor:
        return x.log_softmax(_implicit_dim(x.ndim) if self.dim is None else self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
