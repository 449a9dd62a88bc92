"""Datasets and batching: everything returns plain NumPy arrays; `DataLoader` yields Tensors."""

from tinygrad_nn.data.datasets import circles, load_digits, spirals, toy_sign, two_moons
from tinygrad_nn.data.idx import load_mnist, read_idx
from tinygrad_nn.data.loader import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    accuracy,
    as_rng,
    default_collate,
    one_hot,
    random_split,
    standardize,
    train_test_split,
)

__all__ = [
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
    "accuracy",
    "as_rng",
    "circles",
    "load_digits",
    "load_mnist",
    "one_hot",
    "read_idx",
    "spirals",
    "standardize",
    "toy_sign",
    "train_test_split",
    "two_moons",
]
