"""The default random generator: what ``manual_seed`` seeds and every ``rng=None`` draws from.

As in PyTorch, one process-wide generator drives the random constructors and the default
initialisers, so ``tinygrad_nn.manual_seed(0)`` makes a program reproducible; passing
``rng=`` (a seed or a ``np.random.Generator``) to a function uses that instead.
"""

from __future__ import annotations

import numpy as np

Seed = np.random.Generator | int | None

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the default generator (and return it, as ``torch.manual_seed`` does)."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: expected a non-negative integer seed, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    """The generator that ``rng=None`` means."""
    return _generator


def as_rng(seed: Seed) -> np.random.Generator:
    """A Generator from a seed, an existing Generator (returned as is), or None (the default)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return _generator
    return np.random.default_rng(seed)
