"""Scale checks: a 100,000-op graph's backward, and memory over 1,000 training steps.

    python benchmarks/scale.py [--ops 100000] [--steps 1000]

Prints the backward time of a chain of ``--ops`` elementwise ops (the sweep is a loop, never
recursion, so depth costs only time) and the Python heap (tracemalloc) after step 100 and
after the last of ``--steps`` Adam steps on a small MLP: it must stay flat, because every
step's graph is released once its backward has run.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np


def chain_backward(n_ops: int) -> tuple[float, float, float]:
    """(forward seconds, backward seconds, |grad - exact|) for x -> x * c, ``n_ops`` times."""
    from tinygrad_nn import Tensor

    x = Tensor(np.ones(4), requires_grad=True)
    c = 1.0 + 1e-6
    start = time.perf_counter()
    h = x
    for _ in range(n_ops):
        h = h * c
    forward = time.perf_counter() - start
    loss = h.sum()
    start = time.perf_counter()
    loss.backward()
    backward = time.perf_counter() - start
    assert x.grad is not None
    error = float(np.abs(np.asarray(x.grad.data) - c**n_ops).max())
    return forward, backward, error


def training_memory(steps: int, probe_at: int = 100) -> tuple[int, int, int]:
    """(heap bytes after step ``probe_at``, after the last step, peak) of Adam on an MLP."""
    import tinygrad_nn.functional as F
    from tinygrad_nn import Tensor, nn, optim

    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 16)).astype(np.float32)
    y = rng.integers(0, 4, 64)
    model = nn.MLP([16, 32, 32, 4], rng=0)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    gc.collect()
    tracemalloc.start()
    at_probe = 0
    try:
        for step in range(1, steps + 1):
            loss = F.cross_entropy(model(Tensor(X)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step == probe_at:
                gc.collect()
                at_probe = tracemalloc.get_traced_memory()[0]
        del loss
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return at_probe, current, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args(argv)
    forward, backward, error = chain_backward(args.ops)
    print(
        f"{args.ops:,}-op chain: forward {forward:.3f} s, backward {backward:.3f} s "
        f"({backward / args.ops * 1e6:.2f} us/op), max |grad - exact| {error:.1e}"
    )
    at_probe, end, peak = training_memory(args.steps)
    print(
        f"{args.steps:,} Adam steps on MLP[16, 32, 32, 4]: heap {at_probe / 1024:.1f} KiB after "
        f"step 100, {end / 1024:.1f} KiB after step {args.steps} "
        f"(growth {(end - at_probe) / 1024:+.1f} KiB), peak {peak / 1024:.1f} KiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
