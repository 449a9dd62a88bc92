"""The main job's training, eager against compiled: ``fit`` on the digits MLP of the README.

    python benchmarks/main_job.py [--rounds 7]

Trains the README command's model (64-128-64-10, Adam lr 1e-3, batch 32, label smoothing
0.1, 30 epochs) with ``fit(..., compile=False)`` and ``compile=True`` in alternating rounds
from the same seed, and prints the median time of each and their ratio. Both train the same
weights bit for bit (checked). Only ``fit`` is timed: the command itself also loads the
dataset, evaluates and writes files, which take about as long as the training.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

import numpy as np

import tinygrad_nn.functional as F
from tinygrad_nn import data, nn, optim
from tinygrad_nn.train import fit


def train(compile: bool) -> tuple[float, list[np.ndarray]]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = (digits.data / 16).astype(np.float32)
    Xtr, _, ytr, _ = train_test_split(X, digits.target.astype(np.int64), test_size=0.2,
                                      random_state=0)
    rng = np.random.default_rng(0)
    model = nn.MLP([64, 128, 64, 10], rng=rng)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loader = data.DataLoader(Xtr, ytr, batch_size=32, shuffle=True, seed=rng)
    loss_fn = functools.partial(F.cross_entropy, label_smoothing=0.1)
    t0 = time.perf_counter()
    fit(model, loss_fn, optimizer, loader, epochs=30, progress=False, compile=compile)
    return time.perf_counter() - t0, [p.data.copy() for p in model.parameters()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    times: dict[bool, list[float]] = {False: [], True: []}
    weights: dict[bool, list[np.ndarray]] = {}
    for r in range(args.rounds):
        for compiled in (True, False) if r % 2 else (False, True):
            seconds, weights[compiled] = train(compiled)
            times[compiled].append(seconds)
    same = all(a.tobytes() == b.tobytes() for a, b in zip(weights[False], weights[True],
                                                          strict=True))
    eager, compiled = (statistics.median(times[k]) for k in (False, True))
    print(f"fit, 30 epochs: eager {eager:.3f} s, compiled {compiled:.3f} s (medians of "
          f"{args.rounds}), {eager / compiled:.2f}x; same weights bit for bit: {same}")


if __name__ == "__main__":
    main()
