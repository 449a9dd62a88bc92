"""Measure candidate engine changes before making them: paired A/B timings of patched steps.

    python benchmarks/ablations.py [--workloads tiny_tanh per_op mlp_small] [--rounds 30]
                                   [--patches ...] [--breakdown]

Each patch below monkeypatches one engine function or method for the duration of a timing
block; baseline and patched blocks alternate (order flipped every round) and the figure
reported is the median over rounds of the paired ratio patched / baseline, which cancels
the drift of a shared machine far better than comparing two separate medians. Every patch
is also checked to give the same loss and first-layer gradient as the unpatched engine.
Times are CPU time of this process with every library on one thread, which a busy shared
machine disturbs much less than wall time.

``--breakdown`` splits a tinygrad_nn step into forward (building the graph), the backward
sweep (and within it the final ``.grad`` accumulation) and the SGD update, by timing the
phases directly (no profiler overhead).

These patches are experiments for the engine's owner, written against the engine as it
was when this file was last updated; they are not part of the package. A patch that no
longer applies (the engine changed) reports an error and the others still run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.harness import calibrate, markdown_table, rel_err, set_threads
from benchmarks.workloads import WORKLOADS, to_numpy

Patch = Callable[[], Callable[[], None]]  # applies itself, returns its undo


def _swap(owner: Any, name: str, value: Any) -> Callable[[], None]:
    old = getattr(owner, name)
    setattr(owner, name, value)
    return lambda: setattr(owner, name, old)


def _undo_all(undo: list[Callable[[], None]]) -> Callable[[], None]:
    def run() -> None:
        for u in reversed(undo):
            u()

    return run


def patch_matmul_grad_layout() -> Callable[[], None]:
    """MatMul.backward gives dB in B's memory layout: for ``x @ W.T`` (B = W.T, a transposed
    view) it computes (dZ.T @ A).T instead of A.T @ dZ -- the same product -- so that
    W.grad comes out C-contiguous like W, and the SGD update ``W -= lr * W.grad`` runs on
    matching layouts instead of striding through a transposed one."""
    from tinygrad_nn import ops

    original = ops.MatMul.backward

    def backward(self: Any, dZ: np.ndarray) -> tuple[Any, ...]:
        a, b = self.saved
        if a.ndim != 2 or b.ndim != 2:
            return original(self, dZ)
        need_a, need_b = self.needs_grad
        dB = None
        if need_b:
            transposed = b.flags.f_contiguous and not b.flags.c_contiguous
            dB = (dZ.T @ a).T if transposed else a.T @ dZ
        return (dZ @ b.T if need_a else None), dB

    return _swap(ops.MatMul, "backward", backward)


def patch_cross_entropy_fancy_index() -> Callable[[], None]:
    """CrossEntropy with class-index targets on 2-D logits (classes on the last axis) picks
    and scatters with ``logp[rows, target]`` / ``dZ[rows, target] -= 1`` instead of
    np.take_along_axis / np.put_along_axis, whose Python wrappers build index grids."""
    from tinygrad_nn import ops

    forward, backward = ops.CrossEntropy.forward, ops.CrossEntropy.backward

    def new_forward(self: Any, z: Any, target: Any, *, axis: int, reduction: str) -> Any:
        if not (z.ndim == 2 and axis == 1 and target.dtype.kind in "iu"):
            return forward(self, z, target, axis=axis, reduction=reduction)
        logp = ops._log_softmax(z, axis)
        rows = np.arange(z.shape[0])
        self.saved = (logp, target, rows)
        return ops._reduce_loss(-logp[rows, target], reduction)

    def new_backward(self: Any, dJ: np.ndarray) -> tuple[Any, ...]:
        if len(self.saved) != 3:
            return backward(self, dJ)
        logp, target, rows = self.saved
        reduction = self.kwargs["reduction"]
        dZ = np.exp(logp)  # softmax
        dZ[rows, target] -= 1
        scale = ops._loss_scale(dJ, reduction, logp.shape[0])
        return dZ * (scale[:, None] if reduction == "none" else scale), None

    undo = [
        _swap(ops.CrossEntropy, "forward", new_forward),
        _swap(ops.CrossEntropy, "backward", new_backward),
    ]
    return _undo_all(undo)


def patch_fused_linear() -> Callable[[], None]:
    """A ``linear`` op, Z = A @ W.T + b in one node (what nn.Linear could record, like
    PyTorch's F.linear), instead of transpose, matmul and add: a third of the nodes, no
    separate matmul output kept alive by the graph, the bias added in place, and
    dW = dZ.T @ A computed directly in W's layout. Applied by switching the raw-Tensor
    MLP runner's forward to it (the user-visible graph shows one ``linear`` per layer)."""
    from benchmarks.workloads import TinygradMLP, _activate
    from tinygrad_nn import ops
    from tinygrad_nn.autograd import apply

    class Linear(ops.Op):
        """Z = A @ W.T + b.   dA = dZ @ W,   dW = dZ.T @ A,   db = sum of dZ over rows."""

        __slots__ = ()
        name = "linear"

        def forward(self, a: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
            self.saved = (a, w)
            z = a @ w.T
            z += b
            return z

        def backward(self, dZ: np.ndarray) -> tuple[Any, ...]:
            a, w = self.saved
            need_a, need_w, need_b = self.needs_grad
            return (
                dZ @ w if need_a else None,
                dZ.T @ a if need_w else None,
                dZ.sum(axis=0) if need_b else None,
            )

    def forward(self: Any) -> Any:
        h = self.X
        last = len(self.Ws) - 1
        for k, (W, b) in enumerate(zip(self.Ws, self.bs, strict=True)):
            h = apply(Linear, h, W, b)
            if k < last:
                h = _activate(h, self.activation)
        if self.loss == "cross_entropy":
            return self.F.cross_entropy(h, self.y)
        return self.F.mse_loss(h, self.y)

    return _swap(TinygradMLP, "forward", forward)


def patch_gc_off() -> Callable[[], None]:
    """Not a code change: the cyclic garbage collector switched off, to show what its
    collections (triggered by the many GC-tracked Tensor and Op objects) cost."""
    import gc

    gc.disable()
    return gc.enable


PATCHES: dict[str, Patch] = {
    "cross_entropy_fancy_index": patch_cross_entropy_fancy_index,
    "gc_off": patch_gc_off,
    "fused_linear": patch_fused_linear,
    "matmul_grad_layout": patch_matmul_grad_layout,
}


@contextmanager
def applied(names: list[str]) -> Iterator[None]:
    undo = [PATCHES[name]() for name in names]
    try:
        yield
    finally:
        for u in reversed(undo):
            u()


def ab_test(workload: str, names: list[str], rounds: int, min_block_s: float) -> dict[str, Any]:
    """Interleaved timing of NumPy, the tinygrad_nn step, and the step with the patches."""
    wl = WORKLOADS[workload]
    problem = wl.make(False, np.float32)
    ref = wl.runners["tinygrad_nn"](problem).step()
    with applied(names):
        got = wl.runners["tinygrad_nn"](problem).step()
    same = max(rel_err(to_numpy(g), to_numpy(r)) for g, r in zip(got, ref, strict=True))
    arms = {
        "numpy": (wl.runners["numpy"](problem).step, []),
        "before": (wl.runners["tinygrad_nn"](problem).step, []),
        "after": (wl.runners["tinygrad_nn"](problem).step, names),
    }
    blocks = {}
    for arm, (step, patches) in arms.items():
        with applied(patches):
            blocks[arm] = calibrate(step, min_block_s, clock=time.process_time)
    times: dict[str, list[float]] = {arm: [] for arm in arms}
    order = list(arms)
    for r in range(rounds):
        for arm in order[r % 3 :] + order[: r % 3]:
            step, patches = arms[arm]
            n = blocks[arm]
            with applied(patches):
                t0 = time.process_time()
                for _ in range(n):
                    step()
                times[arm].append((time.process_time() - t0) / n)

    def paired(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(times[a], times[b], strict=True))

    return {
        "before_s": statistics.median(times["before"]),
        "after_s": statistics.median(times["after"]),
        "after/before": paired("after", "before"),
        "before/numpy": paired("before", "numpy"),
        "after/numpy": paired("after", "numpy"),
        "same_result_rel": same,
    }


def breakdown(workload: str, steps: int) -> dict[str, float]:
    """Median microseconds per phase of the raw-Tensor tinygrad_nn step."""
    from tinygrad_nn import autograd as T

    wl = WORKLOADS[workload]
    runner: Any = wl.runners["tinygrad_nn"](wl.make(False, np.float32))
    spent = {"accumulate .grad": 0.0}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - t0

        return wrapper

    undo = [_swap(T, "_accumulate_grads", timed("accumulate .grad", T._accumulate_grads))]
    phases: dict[str, list[float]] = {
        k: [] for k in ("forward", "backward", "update", "accumulate .grad")
    }
    try:
        for _ in range(steps + 10):
            spent["accumulate .grad"] = 0.0
            t0 = time.process_time()
            loss = runner.forward()
            t1 = time.process_time()
            loss.backward()
            t2 = time.process_time()
            runner.update()
            t3 = time.process_time()
            del loss
            for k, v in (("forward", t1 - t0), ("backward", t2 - t1), ("update", t3 - t2)):
                phases[k].append(v)
            phases["accumulate .grad"].append(spent["accumulate .grad"])
    finally:
        for u in undo:
            u()
    return {k: statistics.median(v[10:]) * 1e6 for k, v in phases.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workloads", nargs="+", default=["tiny_tanh", "per_op", "mlp_small"])
    parser.add_argument(
        "--patches",
        nargs="+",
        default=list(PATCHES),
        choices=list(PATCHES),
    )
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--min-block", type=float, default=0.02)
    parser.add_argument("--breakdown", action="store_true", help="also split a step in phases")
    args = parser.parse_args(argv)
    set_threads(1)  # one thread everywhere, so that CPU time (steady on a busy machine) is fair
    rows = []
    for wl in args.workloads:
        combined = [p for p in args.patches if p != "gc_off"]
        for names in [[p] for p in args.patches] + ([combined] if len(combined) > 1 else []):
            label = " + ".join(names)
            try:
                r = ab_test(wl, names, args.rounds, args.min_block)
            except Exception as e:  # the engine changed under the patch: say so, go on
                rows.append([wl, label, "", "", "", "", f"{type(e).__name__}: {e}"])
                continue
            n_ops = getattr(WORKLOADS[wl].make(False, np.float32), "n_ops", 1)
            rows.append(
                [
                    wl,
                    label,
                    f"{r['before_s'] / n_ops * 1e6:.2f}",
                    f"{r['after_s'] / n_ops * 1e6:.2f}",
                    f"{r['after/before']:.3f}",
                    f"{r['before/numpy']:.2f} -> {r['after/numpy']:.2f}",
                    f"{r['same_result_rel']:.1e}",
                ]
            )
            print(f"  {wl} {label}: {r['after/before']:.3f}", file=sys.stderr, flush=True)
    header = [
        "workload",
        "patch",
        "us before",
        "us after",
        "after / before",
        "x NumPy",
        "result diff",
    ]
    print(markdown_table(header, rows))
    print("(us per step; per op for per_op. result diff: max rel. difference of loss and dW1)")
    if args.breakdown:
        for wl in args.workloads:
            b = breakdown(wl, 300)
            total = b["forward"] + b["backward"] + b["update"]
            print(
                f"{wl}: step {total:.1f} us = forward {b['forward']:.1f} us "
                f"({100 * b['forward'] / total:.0f}%), backward {b['backward']:.1f} us "
                f"({100 * b['backward'] / total:.0f}%; of which .grad accumulation "
                f"{b['accumulate .grad']:.1f} us), SGD update {b['update']:.1f} us "
                f"({100 * b['update'] / total:.0f}%)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
