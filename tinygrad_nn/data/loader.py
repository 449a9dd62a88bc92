"""Batching, splitting and simple preprocessing on NumPy arrays."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn.random import as_rng

if TYPE_CHECKING:
    from tinygrad_nn.autograd import Tensor


def _as_array(x: Any) -> np.ndarray:
    data = getattr(x, "data", None)
    return data if isinstance(data, np.ndarray) else np.asarray(x)


def _check_same_length(where: str, arrays: Sequence[np.ndarray]) -> int:
    if not arrays:
        raise ValueError(f"{where}: expected at least one array")
    lengths = [len(a) if a.ndim > 0 else -1 for a in arrays]
    if -1 in lengths:
        raise ValueError(f"{where}: 0-d arrays cannot be split into samples")
    if len(set(lengths)) != 1:
        raise ValueError(
            f"{where}: arrays must have the same number of samples (first axis), got {lengths}"
        )
    return lengths[0]


class DataLoader:
    """Iterate over mini-batches of one or more arrays that share their first (sample) axis.

    Each batch is a tuple of `Tensor`s (or of arrays with `as_tensor=False`), one per array.
    With `shuffle=True` every epoch (every new iteration) draws a fresh permutation from a
    Generator seeded once with `seed`, so a run is reproducible and epochs still differ.
    """

    def __init__(
        self,
        *arrays: Any,
        batch_size: int = 32,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: np.random.Generator | int | None = None,
        as_tensor: bool = True,
    ) -> None:
        if (
            isinstance(batch_size, (bool, np.bool_))
            or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1
        ):
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.arrays = [_as_array(a) for a in arrays]
        self.n_samples = _check_same_length("DataLoader", self.arrays)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.as_tensor = as_tensor
        self._rng = as_rng(seed)

    def __len__(self) -> int:
        if self.drop_last:
            return self.n_samples // self.batch_size
        return -(-self.n_samples // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        n = self.n_samples
        order = self._rng.permutation(n) if self.shuffle else None
        for i in range(len(self)):
            sl = slice(i * self.batch_size, min((i + 1) * self.batch_size, n))
            idx = order[sl] if order is not None else sl
            batch = tuple(a[idx] for a in self.arrays)
            if self.as_tensor:
                from tinygrad_nn.autograd import Tensor

                yield tuple(Tensor(b) for b in batch)
            else:
                yield batch


def train_test_split(
    *arrays: Any,
    test_size: float | int = 0.2,
    shuffle: bool = True,
    seed: np.random.Generator | int | None = None,
    stratify: Any = None,
) -> list[np.ndarray]:
    """Split arrays into train and test parts: returns [a_train, a_test, b_train, b_test, ...].

    `test_size` is a fraction in (0, 1) or a number of samples. With `stratify=labels` each
    class keeps (up to rounding) its share in both parts.
    """
    data = [_as_array(a) for a in arrays]
    n = _check_same_length("train_test_split", data)
    if isinstance(test_size, float):
        if not 0.0 < test_size < 1.0:
            raise ValueError(
                f"train_test_split: test_size fraction must be in (0, 1), got {test_size}"
            )
        n_test = int(np.ceil(test_size * n))
    else:
        n_test = int(test_size)
    if not 0 < n_test < n:
        raise ValueError(
            f"train_test_split: test_size={test_size!r} gives {n_test} test samples out of {n}; "
            "both parts must be non-empty"
        )
    rng = as_rng(seed)
    order = rng.permutation(n) if shuffle else np.arange(n)
    if stratify is not None:
        labels = _as_array(stratify)
        if len(labels) != n:
            raise ValueError(f"train_test_split: stratify has {len(labels)} labels for {n} samples")
        # deal each class's samples round-robin into a ranking, so every prefix is balanced
        labels = labels[order]
        rank = np.empty(n)
        for c in np.unique(labels):
            members = np.flatnonzero(labels == c)
            rank[members] = (np.arange(len(members)) + rng.random()) / len(members)
        order = order[np.argsort(rank, kind="stable")]
    test_idx, train_idx = order[:n_test], order[n_test:]
    out: list[np.ndarray] = []
    for a in data:
        out += [a[train_idx], a[test_idx]]
    return out


def one_hot(labels: Any, num_classes: int | None = None, dtype: Any = np.float32) -> np.ndarray:
    """(m,) integer class labels -> (m, num_classes) one-hot rows."""
    y = _as_array(labels)
    if y.dtype.kind not in "iub":
        if y.dtype.kind == "f" and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise TypeError(f"one_hot: labels must be integers, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise ValueError(f"one_hot: labels must be >= 0, got minimum {y.min()}")
    k = int(y.max()) + 1 if num_classes is None else int(num_classes)
    if y.size and y.max() >= k:
        raise ValueError(f"one_hot: label {y.max()} does not fit num_classes={k}")
    out = np.zeros(y.shape + (k,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out


def standardize(
    X: Any, mean: np.ndarray | None = None, std: np.ndarray | None = None, axis: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X - mean) / std per feature; returns (X_standardized, mean, std).

    Statistics are computed over `axis` (the sample axis) unless given, so the test set is
    standardised with the training set's numbers: `Xte, *_ = standardize(Xte, mean, std)`.
    Features with zero spread (always-blank pixels) are left centred, not divided by zero.
    """
    x = _as_array(X)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"standardize: X must hold numbers, got dtype {x.dtype}")
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    if not np.isfinite(x).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise ValueError(
            f"standardize: X of shape {x.shape} holds {x[bad]} at index {bad}; the mean and "
            "spread of a feature with NaN/Inf are NaN (drop or impute those values first)"
        )
    for name, stat in (("mean", mean), ("std", std)):
        if stat is not None and not np.isfinite(np.asarray(stat)).all():
            raise ValueError(f"standardize: {name} holds NaN/Inf")
    if std is not None and (np.asarray(std) <= 0).any():
        raise ValueError("standardize: std must be > 0 everywhere (a zero spread divides by 0)")
    if mean is None:
        mean = x.mean(axis=axis, keepdims=True)
    if std is None:
        std = x.std(axis=axis, keepdims=True)
        std = np.where(std > 0, std, 1.0).astype(x.dtype)
    return ((x - mean) / std).astype(x.dtype), mean, std


def accuracy(output: Tensor | np.ndarray, target: Tensor | np.ndarray) -> float:
    """Fraction of rows whose predicted class matches the target (class index or one-hot row).

    The prediction is the argmax of each row of scores; for a single column of
    probabilities it is `p > 0.5`.
    """
    out = _as_array(output)
    y = _as_array(target)
    if out.ndim != 2:
        raise ValueError(f"accuracy: expected (batch, classes) scores, got shape {out.shape}")
    if y.ndim == 2:
        y = y.argmax(axis=1)
    if y.size != len(out):
        raise ValueError(
            f"accuracy: {len(out)} rows of scores {out.shape} but {y.size} targets "
            f"{tuple(_as_array(target).shape)}; expected one target per row"
        )
    pred = out.argmax(axis=1) if out.shape[1] > 1 else (out[:, 0] > 0.5).astype(np.int64)
    return float(np.mean(pred == y.reshape(-1)))
