"""Layers built from the engine's primitives, so a drawing shows what a user would write."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinygrad_nn.autograd import Tensor
from tinygrad_nn.nn import init
from tinygrad_nn.nn.module import Module
from tinygrad_nn.random import as_rng

Seed = np.random.Generator | int | None


class Linear(Module):
    """y = x @ W.T + b, rows are samples: x (batch, in) -> y (batch, out).

    `weight` W has shape (out, in), the tutorials' W[l] of shape n[l] x n[l-1]; `bias` b has
    shape (out,) and is broadcast over the batch. Initialised as PyTorch does: W and b
    uniform in +-1/sqrt(in_features).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: Seed = None,
        dtype: Any = None,
    ) -> None:
        if in_features < 1 or out_features < 1:
            raise ValueError(
                "Linear: in_features and out_features must be >= 1, "
                f"got {in_features}, {out_features}"
            )
        self.in_features = in_features
        self.out_features = out_features
        gen = as_rng(rng)
        self.weight = Tensor.zeros(out_features, in_features, requires_grad=True, dtype=dtype)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5.0), rng=gen)
        self.bias: Tensor | None = None
        if bias:
            self.bias = Tensor.zeros(out_features, requires_grad=True, dtype=dtype)
            bound = 1.0 / math.sqrt(in_features)
            init.uniform_(self.bias, -bound, bound, rng=gen)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}): expected input with "
                f"{self.in_features} features in its last axis (rows are samples), "
                f"got shape {x.shape}"
            )
        y = x @ self.weight.T  # (batch, out)
        if self.bias is not None:
            y = y + self.bias
        return y

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Identity(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Softmax(Module):
    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Sequential(Module):
    """Apply modules in order; they are kept in `self.layers` (names "layers.0.weight", ...)."""

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(
                    f"Sequential: argument {i} is a {type(m).__name__}, not an nn.Module"
                )
        self.layers = list(modules)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def append(self, module: Module) -> Sequential:
        self.layers.append(module)
        return self


ACTIVATIONS: dict[str, Callable[[], Module]] = {
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "softmax": Softmax,
    "identity": Identity,
    "linear": Identity,
}


def _activation(spec: str | Callable[[], Module] | None, where: str) -> Module | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec.lower() not in ACTIVATIONS:
            raise ValueError(
                f"{where}: unknown activation {spec!r}; choose from {sorted(ACTIVATIONS)}"
            )
        return ACTIVATIONS[spec.lower()]()
    if isinstance(spec, Module):
        raise TypeError(f"{where}: pass an activation name or class, not an instance ({spec!r})")
    made = spec()
    if not isinstance(made, Module):
        raise TypeError(f"{where}: activation factory returned {type(made).__name__}, not a Module")
    return made


class MLP(Sequential):
    """Linear layers of the given sizes with `activation` between them.

    `MLP([784, 128, 10])` is Linear(784, 128), ReLU, Linear(128, 10); `output_activation`
    (None: raw scores, ready for `F.cross_entropy`) is applied after the last layer.
    """

    def __init__(
        self,
        sizes: list[int] | tuple[int, ...],
        activation: str | Callable[[], Module] | None = "relu",
        output_activation: str | Callable[[], Module] | None = None,
        rng: Seed = None,
        dtype: Any = None,
    ) -> None:
        sizes = list(sizes)
        if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
            raise ValueError(
                f"MLP: sizes must list at least an input and an output size, all >= 1, got {sizes}"
            )
        _activation(activation, "MLP")  # reject a bad name even when no hidden layer uses it
        gen = as_rng(rng)
        modules: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
            modules.append(Linear(int(n_in), int(n_out), rng=gen, dtype=dtype))
            last = i == len(sizes) - 2
            act = _activation(output_activation if last else activation, "MLP")
            if act is not None:
                modules.append(act)
        super().__init__(*modules)
        self.sizes = sizes

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"
