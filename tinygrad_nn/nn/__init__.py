"""Neural-network building blocks: Module, layers, initialisers and model files."""

from tinygrad_nn.nn import init
from tinygrad_nn.nn.layers import (
    MLP,
    Identity,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from tinygrad_nn.nn.module import Module
from tinygrad_nn.nn.serialization import load, load_state, save

__all__ = [
    "MLP",
    "Identity",
    "Linear",
    "Module",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "init",
    "load",
    "load_state",
    "save",
]
