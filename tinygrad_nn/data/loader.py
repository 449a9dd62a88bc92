"""Batching, splitting and simple preprocessing on NumPy arrays."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn.random import as_rng

Seed = np.random.Generator | int | None

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


class Dataset:
    """A map-style dataset, as in PyTorch: subclasses define `__getitem__(i)` (one sample) and
    `__len__()` (the number of samples)."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class TensorDataset(Dataset):
    """Samples are rows of tensors (or arrays) that share their first dimension:
    `dataset[i] == (t[i] for t in tensors)`."""

    def __init__(self, *tensors: Any) -> None:
        from tinygrad_nn.autograd import Tensor

        arrays = [_as_array(t) for t in tensors]
        _check_same_length("TensorDataset", arrays)
        self.tensors = tuple(
            t if isinstance(t, Tensor) else Tensor(a) for t, a in zip(tensors, arrays, strict=True)
        )

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        from tinygrad_nn.autograd import Tensor

        return tuple(Tensor(t.data[index]) for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0].data)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(
    dataset: Any, lengths: Sequence[int | float], generator: Seed = None
) -> list[Subset]:
    """Split into non-overlapping random Subsets of the given lengths (or fractions summing to
    1, the remainder dealt one by one from the first), as torch.utils.data.random_split."""
    n = len(dataset)
    sizes = list(lengths)
    if sizes and all(isinstance(x, float) for x in sizes) and math.isclose(sum(sizes), 1.0):
        counts = [int(math.floor(n * f)) for f in sizes]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        counts = [int(x) for x in sizes]
    if any(c < 0 for c in counts) or sum(counts) != n:
        raise ValueError(
            f"random_split: lengths {sizes} must be counts summing to the dataset's {n} "
            "samples, or fractions summing to 1"
        )
    order = as_rng(generator).permutation(n)
    out, start = [], 0
    for c in counts:
        out.append(Subset(dataset, order[start : start + c].tolist()))
        start += c
    return out


def _is_arraylike(x: Any) -> bool:
    return (
        isinstance(x, (np.ndarray, list))
        or hasattr(x, "__array__")
        or (type(x).__module__.startswith("torch") and hasattr(x, "shape"))
    )


def default_collate(batch: list[Any]) -> Any:
    """Stack a list of samples into a batch, as PyTorch's default_collate: arrays and Tensors
    are stacked along a new first dim, Python floats become float64 and ints int64, tuples and
    lists are collated position by position (a list), dicts key by key."""
    from tinygrad_nn.autograd import Tensor

    elem = batch[0]
    if isinstance(elem, Tensor):
        return np.stack([b.data for b in batch])
    if isinstance(elem, (np.ndarray, np.generic)):
        return np.stack([np.asarray(b) for b in batch])
    if isinstance(elem, bool):
        return np.array(batch, dtype=np.bool_)
    if isinstance(elem, int):
        return np.array(batch, dtype=np.int64)
    if isinstance(elem, float):
        return np.array(batch, dtype=np.float64)
    if isinstance(elem, str):
        return list(batch)
    if isinstance(elem, dict):
        return {key: default_collate([b[key] for b in batch]) for key in elem}
    if isinstance(elem, (tuple, list)):
        sizes = {len(b) for b in batch}
        if len(sizes) != 1:
            raise RuntimeError(
                f"DataLoader: the samples of a batch have different lengths {sorted(sizes)}; "
                "each sample must have the same number of fields"
            )
        return [default_collate(list(field)) for field in zip(*batch, strict=True)]
    if _is_arraylike(elem):
        return np.stack([_as_array(b) for b in batch])
    raise TypeError(
        f"DataLoader: cannot collate samples of type {type(elem).__name__}; return arrays, "
        "Tensors, numbers, tuples or dicts of them from __getitem__, or pass collate_fn="
    )


def _to_tensors(batch: Any) -> Any:
    from tinygrad_nn.autograd import Tensor

    if isinstance(batch, np.ndarray):
        return Tensor(batch)
    if isinstance(batch, dict):
        return {k: _to_tensors(v) for k, v in batch.items()}
    if isinstance(batch, list) and batch and not isinstance(batch[0], str):
        return [_to_tensors(b) for b in batch]
    if isinstance(batch, tuple):
        return tuple(_to_tensors(b) for b in batch)
    return batch


class DataLoader:
    """Mini-batches of a dataset, as PyTorch's DataLoader.

    `DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False)`: `dataset` is a
    map-style `Dataset` (`__len__`/`__getitem__`), a `TensorDataset`, or an array / Tensor
    (its rows are the samples); batches are collated as PyTorch does (`default_collate`: a
    sample (x, label) gives a batch [X, labels] of Tensors, integer labels int64). With
    `shuffle=True` every epoch draws a fresh permutation from `generator` (or `seed`: a seed
    or np.random.Generator), else from the default generator that `manual_seed` seeds.
    Loading runs in this process (`num_workers` is accepted and has no effect).

    The shortcut `DataLoader(X, y, ..., batch_size=32)` (two or more arrays sharing their
    first axis) yields tuples of Tensors (of arrays with `as_tensor=False`).
    """

    def __init__(
        self,
        dataset: Any,
        *more: Any,
        batch_size: int | None = None,
        shuffle: bool | None = None,
        drop_last: bool = False,
        seed: Seed = None,
        as_tensor: bool = True,
        generator: Seed = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        sampler: Any = None,
        batch_sampler: Any = None,
        **unsupported: Any,
    ) -> None:
        if unsupported:
            raise TypeError(
                f"DataLoader: unsupported arguments {sorted(unsupported)} (tinygrad_nn loads "
                "batches in this process; leave them out)"
            )
        if sampler is not None or batch_sampler is not None:
            raise TypeError(
                "DataLoader: sampler= and batch_sampler= are not supported; use shuffle=True, "
                "or a Subset of the dataset in the order you want"
            )
        if more and all(_is_arraylike(a) for a in more):  # the DataLoader(X, y) shortcut
            arrays = [_as_array(a) for a in (dataset, *more)]
            self._arrays: list[np.ndarray] | None = arrays
            _check_same_length("DataLoader", arrays)
            self.dataset: Any = TensorDataset(*arrays)
            default_batch = 32
        else:
            if more:  # PyTorch's positional order: (dataset, batch_size, shuffle)
                if len(more) > 2:
                    raise TypeError(
                        "DataLoader: pass options other than batch_size and shuffle by name"
                    )
                batch_size = more[0] if batch_size is None else batch_size
                if len(more) == 2:
                    shuffle = more[1] if shuffle is None else shuffle
            self._arrays = None
            self.dataset = dataset
            default_batch = 1
            if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
                raise TypeError(
                    f"DataLoader: a {type(dataset).__name__} is not a dataset: it needs "
                    "__len__ and __getitem__ (subclass tinygrad_nn.data.Dataset, or wrap "
                    "arrays in TensorDataset(X, y))"
                )
        batch_size = default_batch if batch_size is None else batch_size
        if (
            isinstance(batch_size, (bool, np.bool_))
            or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1
        ):
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.as_tensor = as_tensor
        self.collate_fn = collate_fn
        self.num_workers = num_workers
        if generator is not None and seed is not None:
            raise ValueError("DataLoader: pass generator= or seed=, not both")
        given = generator if generator is not None else seed
        if isinstance(given, (int, np.integer)) and not isinstance(given, bool) and given < 0:
            which = "generator" if generator is not None else "seed"
            raise ValueError(f"DataLoader: {which} must be a non-negative integer, got {given}")
        self._rng = None if given is None else as_rng(given)

    @property
    def n_samples(self) -> int:
        return len(self.dataset)

    def __len__(self) -> int:
        if self.drop_last:
            return self.n_samples // self.batch_size
        return -(-self.n_samples // self.batch_size)

    def _order(self) -> np.ndarray | None:
        if not self.shuffle:
            return None
        rng = self._rng if self._rng is not None else as_rng(None)  # manual_seed's, now
        return rng.permutation(self.n_samples)

    def __iter__(self) -> Iterator[Any]:
        n = self.n_samples
        order = self._order()
        ds = self.dataset
        fast = self.collate_fn is None and (
            isinstance(ds, TensorDataset) or isinstance(ds, np.ndarray) or _is_tensor(ds)
        )
        for i in range(len(self)):
            sl = slice(i * self.batch_size, min((i + 1) * self.batch_size, n))
            idx = order[sl] if order is not None else np.arange(n)[sl]
            if self._arrays is not None:
                batch: Any = tuple(a[idx] for a in self._arrays)
            elif fast and isinstance(ds, TensorDataset):
                batch = [t.data[idx] for t in ds.tensors]
            elif fast:
                batch = _as_array(ds)[idx]
            else:
                samples = [ds[int(j)] for j in idx]
                if self.collate_fn is not None:
                    yield self.collate_fn(samples)
                    continue
                batch = default_collate(samples)
            yield _to_tensors(batch) if self.as_tensor else batch


def _is_tensor(x: Any) -> bool:
    from tinygrad_nn.autograd import Tensor

    return isinstance(x, Tensor)


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
