"""Shared builders for the viz tests: small graphs and a test-local Module with the scope
protocol of nn.Module (enter_scope / exit_scope around forward)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from tinygrad_nn import Tensor
from tinygrad_nn.autograd import enter_scope, exit_scope


class Module:
    def __call__(self, *args: Any) -> Any:
        token = enter_scope(self)
        try:
            return self.forward(*args)
        finally:
            exit_scope(token)

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError


class Linear(Module):
    """Rows are samples: x (batch, in) @ weight.T (in, out) + bias (out,)."""

    def __init__(self, in_features: int, out_features: int, rng: np.random.Generator) -> None:
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / np.sqrt(in_features)
        self.weight = Tensor(
            rng.uniform(-bound, bound, (out_features, in_features)), requires_grad=True
        )
        self.bias = Tensor(rng.uniform(-bound, bound, (out_features,)), requires_grad=True)

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T + self.bias


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Sequential(Module):
    def __init__(self, *layers: Module) -> None:
        self.layers = list(layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class MLP(Module):
    def __init__(self, sizes: list[int], rng: np.random.Generator) -> None:
        mods: list[Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            mods.append(Linear(a, b, rng))
            if i < len(sizes) - 2:
                mods.append(ReLU())
        self.net = Sequential(*mods)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def column_mlp(seed: int = 0, m: int = 100) -> dict[str, Tensor]:
    """The tutorial's 10-8-3 sigmoid net, columns are samples, J = 1/(2m) sum (A2 - Y)^2."""
    rng = np.random.default_rng(seed)
    t: dict[str, Tensor] = {}
    t["X"] = Tensor(rng.normal(size=(10, m)), name="X")
    t["Y"] = Tensor(rng.random(size=(3, m)), name="Y")
    t["W1"] = Tensor(rng.normal(size=(8, 10)), requires_grad=True, name="W1")
    t["b1"] = Tensor(np.zeros((8, 1)), requires_grad=True, name="b1")
    t["W2"] = Tensor(rng.normal(size=(3, 8)), requires_grad=True, name="W2")
    t["b2"] = Tensor(np.zeros((3, 1)), requires_grad=True, name="b2")
    t["Z1"] = t["W1"] @ t["X"] + t["b1"]
    t["A1"] = t["Z1"].sigmoid()
    t["Z2"] = t["W2"] @ t["A1"] + t["b2"]
    t["A2"] = t["Z2"].sigmoid()
    t["J"] = ((t["A2"] - t["Y"]) ** 2).sum() / (2 * m)
    return t


NODE = re.compile(r"^\t+(n\d+|s\d+) \[", re.M)
EDGE = re.compile(r"^\t+(\S+) -> (\S+)", re.M)


def node_ids(source: str) -> list[str]:
    return NODE.findall(source)


def edges(source: str) -> list[tuple[str, str]]:
    return EDGE.findall(source)
