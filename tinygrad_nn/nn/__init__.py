"""Neural-network building blocks: Module, layers, losses, initialisers and model files."""

from tinygrad_nn.nn import functional as functional  # torch.nn.functional: the same module as F
from tinygrad_nn.nn import init, utils
from tinygrad_nn.nn.activation import (
    GELU,
    Identity,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from tinygrad_nn.nn.layers import (
    MLP,
    Dropout,
    Flatten,
    Linear,
    ModuleDict,
    ModuleList,
    Sequential,
    Unflatten,
)
from tinygrad_nn.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from tinygrad_nn.nn.module import Module, Parameter
from tinygrad_nn.nn.serialization import load, load_state, save

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "GELU",
    "Identity",
    "L1Loss",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MLP",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "Unflatten",
    "init",
    "load",
    "load_state",
    "save",
    "utils",
]
