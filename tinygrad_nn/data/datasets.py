"""Datasets that need no network: scikit-learn's bundled digits, 2-D toy sets, the 1-D sign data."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nn.random import as_rng

Seed = np.random.Generator | int | None


def _sklearn_datasets(what: str) -> Any:
    """``sklearn.datasets``, or an error saying how to install it."""
    try:
        import sklearn.datasets
    except ImportError as e:
        raise ImportError(
            f"{what} needs scikit-learn: pip install 'tinygrad_nn[data]' (or scikit-learn)"
        ) from e
    return sklearn.datasets


def _check_count(fn: str, n: Any, minimum: int = 1) -> int:
    """``n`` as an int >= minimum (a bool or a float is refused, not rounded)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{fn}: n must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _check_noise(fn: str, noise: Any) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: noise must be a number, got {type(noise).__name__}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"{fn}: noise must be a finite number >= 0, got {noise}")
    return float(noise)


def _random_state(seed: Seed) -> int | None:
    """scikit-learn takes an int seed: a Generator gives one, an int or None passes through."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**31))
    return seed


def load_digits(dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 handwritten digits: X (1797, 64) scaled to [0, 1], y (1797,).

    The images ship inside scikit-learn, so nothing is downloaded.
    """
    bunch = _sklearn_datasets("load_digits").load_digits()
    X: np.ndarray = (np.asarray(bunch.data) / 16.0).astype(dtype)
    y = np.asarray(bunch.target, dtype=np.int64)
    return X, y


def toy_sign(n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """The 1-D toy data of the backprop notebook (seed 001): x on a grid, label = sign(x).

    x: (n, 1) evenly spaced in [-5, 5]; y: (n, 1) integers, -1 for x <= 0 and +1 for x > 0.
    """
    n = _check_count("toy_sign", n)
    x = np.linspace(-5.0, 5.0, n).reshape(n, 1)
    y = ((x > 0).astype(np.int64) * 2 - 1).reshape(n, 1)
    return x, y


def two_moons(
    n: int = 200, noise: float = 0.1, seed: Seed = None, dtype: type = np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's make_moons): X (n, 2), y (n,) in {0, 1}."""
    n, noise = _check_count("two_moons", n, 2), _check_noise("two_moons", noise)
    X, y = _sklearn_datasets("two_moons").make_moons(
        n, noise=noise, random_state=_random_state(seed)
    )
    return X.astype(dtype), y.astype(np.int64)


def circles(
    n: int = 200,
    noise: float = 0.1,
    factor: float = 0.3,
    seed: Seed = None,
    dtype: type = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1, radius `factor`) inside a unit circle (class 0), from
    scikit-learn's make_circles: X (n, 2), y (n,)."""
    n, noise = _check_count("circles", n, 2), _check_noise("circles", noise)
    if not 0.0 < factor < 1.0:  # also refuses NaN
        raise ValueError(f"circles: factor must be in (0, 1), got {factor}")
    X, y = _sklearn_datasets("circles").make_circles(
        n, noise=noise, factor=factor, random_state=_random_state(seed)
    )
    return X.astype(dtype), y.astype(np.int64)


def spirals(
    n: int = 300,
    classes: int = 3,
    noise: float = 0.2,
    turns: float = 1.0,
    seed: Seed = None,
    dtype: type = np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """`classes` interleaved spiral arms in the unit disc: X (n, 2), y (n,) in {0..classes-1}."""
    if isinstance(classes, bool) or not isinstance(classes, (int, np.integer)) or classes < 2:
        raise ValueError(f"spirals: classes must be an integer >= 2, got {classes!r}")
    n, noise = _check_count("spirals", n, int(classes)), _check_noise("spirals", noise)
    if not (np.isfinite(turns) and turns > 0):
        raise ValueError(f"spirals: turns must be a finite number > 0, got {turns}")
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
