"""Engine overhead per op: a chain of small elementwise ops, autodiff vs plain NumPy.

    python benchmarks/overhead.py [--shape 16 16] [--cycles 10] [--repeats 15] [--quick]

The chain is the ``per_op`` workload of run.py: ``h = relu(exp(tanh(h * a + b) - c))``
repeated, then ``h.sum()`` and backward to the input. Printed per op (microseconds), all
timed interleaved in one run:

- NumPy forward only: the same NumPy calls, no autodiff, nothing kept;
- NumPy forward + backward: the chain's gradient written out by hand;
- tinygrad_nn forward under ``no_grad()`` (tensor wrapping, no graph), forward recording
  the graph, and forward + backward;
- PyTorch forward + backward, when installed.

and the engine's overhead per op as a ratio to the NumPy calls and as a constant in
microseconds (what tinygrad_nn costs beyond the hand-written forward + backward).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from benchmarks.harness import CLOCKS, markdown_table, set_threads, time_interleaved
from benchmarks.workloads import (
    ChainProblem,
    NumpyChain,
    TinygradChain,
    TorchChain,
    available_frameworks,
    make_chain_problem,
    numpy_forward_only,
)


def tinygrad_forward(p: ChainProblem, record: bool) -> Callable[[], Any]:
    """The chain's forward in tinygrad_nn, building the graph (record) or under no_grad."""
    import tinygrad_nn
    from tinygrad_nn import Tensor

    x = Tensor(p.x, requires_grad=True)
    a, b, c, cycles = Tensor(p.a), Tensor(p.b), Tensor(p.c), p.cycles

    def chain() -> Any:
        h = x
        for _ in range(cycles):
            h = ((h * a + b).tanh() - c).exp().relu()
        return h.sum()

    if record:
        return chain

    def forward_no_grad() -> Any:
        with tinygrad_nn.no_grad():
            return chain()

    return forward_no_grad


def measure(
    p: ChainProblem, repeats: int, min_block_s: float, clock: str = "wall"
) -> dict[str, float]:
    """Microseconds per op of each variant (one interleaved timing run)."""
    available = available_frameworks()
    steps: dict[str, Callable[[], Any]] = {
        "numpy forward only": numpy_forward_only(p),
        "numpy forward + backward": NumpyChain(p).step,
    }
    if available["tinygrad_nn"] is None:
        steps["tinygrad_nn forward, no_grad"] = tinygrad_forward(p, record=False)
        steps["tinygrad_nn forward, recording"] = tinygrad_forward(p, record=True)
        steps["tinygrad_nn forward + backward"] = TinygradChain(p).step
    if available["torch"] is None:
        steps["torch forward + backward"] = TorchChain(p).step
    timings = time_interleaved(steps, repeats, min_block_s, CLOCKS[clock])
    return {name: t.median_s / p.n_ops * 1e6 for name, t in timings.items()}


def report(us: dict[str, float]) -> str:
    fwd, fwd_bwd = us["numpy forward only"], us["numpy forward + backward"]
    rows = [[name, f"{v:.2f}", f"{v / fwd:.2f}", f"{v / fwd_bwd:.2f}"] for name, v in us.items()]
    lines = [markdown_table(["variant", "us / op", "x NumPy fwd", "x NumPy fwd+bwd"], rows)]
    tg = us.get("tinygrad_nn forward + backward")
    if tg is not None:
        lines.append(
            f"\ntinygrad_nn forward + backward: {tg:.2f} us/op = {tg / fwd:.2f}x the NumPy calls "
            f"without autodiff, {tg / fwd_bwd:.2f}x hand-written NumPy backprop (target <= 2x); "
            f"engine overhead {tg - fwd_bwd:.2f} us/op beyond the hand-written math"
            f" (forward {us['tinygrad_nn forward, recording'] - fwd:.2f} us/op, of which "
            f"{us['tinygrad_nn forward, no_grad'] - fwd:.2f} without recording; backward "
            f"{tg - us['tinygrad_nn forward, recording'] - (fwd_bwd - fwd):.2f} us/op)."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shape", type=int, nargs="+", default=[16, 16])
    parser.add_argument("--cycles", type=int, default=10, help="6 ops per cycle")
    parser.add_argument(
        "--repeats", type=int, default=None, help="timing rounds (default 15; quick 3)"
    )
    parser.add_argument(
        "--clock",
        choices=list(CLOCKS),
        default="wall",
        help="wall time, or this process's CPU time on one thread (steadier on a busy machine)",
    )
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.clock == "cpu":
        set_threads(1)
    repeats = args.repeats or (3 if args.quick else 15)
    p = make_chain_problem(tuple(args.shape), 2 if args.quick else args.cycles)
    print(f"chain of {p.n_ops} elementwise ops on {p.x.shape} {p.x.dtype}, then sum and backward")
    print(report(measure(p, repeats, 0.002 if args.quick else 0.05, args.clock)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
