"""Datasets that need no network: scikit-learn's bundled digits, 2-D toy sets, the 1-D sign data."""

from __future__ import annotations

import numpy as np

from tinygrad_nn.data.loader import as_rng

Seed = np.random.Generator | int | None


def load_digits(dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 handwritten digits: X (1797, 64) scaled to [0, 1], y (1797,).

    The images ship inside scikit-learn, so nothing is downloaded.
    """
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as e:
        raise ImportError(
            "load_digits needs scikit-learn: pip install 'tinygrad_nn[data]' (or scikit-learn)"
        ) from e
    bunch = sk_load_digits()
    X: np.ndarray = (np.asarray(bunch.data) / 16.0).astype(dtype)
    y = np.asarray(bunch.target, dtype=np.int64)
    return X, y


def toy_sign(n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """The 1-D toy data of the backprop notebook (seed 001): x on a grid, label = sign(x).

    x: (n, 1) evenly spaced in [-5, 5]; y: (n, 1) integers, -1 for x <= 0 and +1 for x > 0.
    """
    x = np.linspace(-5.0, 5.0, n).reshape(n, 1)
    y = ((x > 0).astype(np.int64) * 2 - 1).reshape(n, 1)
    return x, y


def two_moons(
    n: int = 200, noise: float = 0.1, seed: Seed = None, dtype: type = np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: X (n, 2), y (n,) in {0, 1}."""
    rng = as_rng(seed)
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(0.0, noise, (n, 2))
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    return _shuffled(X.astype(dtype), y, rng)


def circles(
    n: int = 200,
    noise: float = 0.1,
    factor: float = 0.3,
    seed: Seed = None,
    dtype: type = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1, radius `factor`) inside a unit circle (class 0)."""
    if not 0.0 < factor < 1.0:
        raise ValueError(f"circles: factor must be in (0, 1), got {factor}")
    rng = as_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2 * np.pi, n_in, endpoint=False)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1)
    X = np.concatenate([outer, inner]) + rng.normal(0.0, noise, (n, 2))
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    return _shuffled(X.astype(dtype), y, rng)


def spirals(
    n: int = 300,
    classes: int = 3,
    noise: float = 0.2,
    turns: float = 1.0,
    seed: Seed = None,
    dtype: type = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """`classes` interleaved spiral arms in the unit disc: X (n, 2), y (n,) in {0..classes-1}."""
    if classes < 2:
        raise ValueError(f"spirals: need at least 2 classes, got {classes}")
    rng = as_rng(seed)
    X_parts, y_parts = [], []
    for k, count in enumerate(np.diff(np.linspace(0, n, classes + 1).astype(int))):
        r = np.linspace(0.05, 1.0, count)
        theta = 2 * np.pi * turns * r + 2 * np.pi * k / classes + rng.normal(0.0, noise, count)
        X_parts.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        y_parts.append(np.full(count, k, np.int64))
    return _shuffled(np.concatenate(X_parts).astype(dtype), np.concatenate(y_parts), rng)


def _shuffled(
    X: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return X[order], y[order]
