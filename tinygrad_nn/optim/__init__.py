"""Optimisers (`optim.SGD`, `optim.Adam`, ...) and learning-rate schedules
(`optim.lr_scheduler`), with PyTorch's update rules, names and state-dict layout."""

from tinygrad_nn.optim import lr_scheduler
from tinygrad_nn.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    MultiStepLR,
    OneCycleLR,
    StepLR,
)
from tinygrad_nn.optim.optimizer import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "OneCycleLR",
    "Optimizer",
    "RMSprop",
    "StepLR",
    "lr_scheduler",
]
