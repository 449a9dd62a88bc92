"""Timing, correctness, memory and reporting shared by run.py and overhead.py.

Timing: every runner is warmed up and calibrated to a block of steps lasting at least
``min_block_s``; then ``repeats`` rounds each time one block per framework, in an order
that rotates every round, so drift of the machine hits all frameworks alike. The figure
reported is the median over rounds of the mean step time inside a block. The garbage
collector stays on: collecting graphs is part of what an autodiff framework costs.
Compilation is not timed: ``calibrate`` first runs ``warmup_steps`` (3) steps, which covers
``tinygrad_nn.compile`` (its first two calls record and the second builds and checks the
plan; the third is the first replay) and ``torch.compile`` (it compiles on the first call);
tests/test_benchmarks.py checks that no step after the warm-up compiles anything.

Memory (``measure_memory``): tracemalloc counts every byte of Python objects and NumPy
array buffers allocated after it starts and still alive, and it starts after the runner
is made (so the model, data and initial weights are not counted, for anyone) but before
the runner's first step. So whatever a runner makes on its first calls and keeps is
counted in every later step's peak: gradients kept from step to step, optimizer state,
and a compiled step's plan (its generated code, its Python objects and any arrays it
holds), which is built during the second call. Memory shared with objects made before
(e.g. interned strings) is not counted, for anyone. PyTorch's allocator is not seen.
One process-wide table is grown before any measurement (``make_room_for_interned_names``):
CPython's table of interned strings, which a compiled plan's names can fill; its growth
(several MB in one block once PyTorch is imported) belongs to no runner.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from benchmarks.workloads import Runner, to_numpy


@dataclass
class Timing:
    median_s: float
    q1_s: float
    q3_s: float
    steps_per_block: int
    samples_s: list[float] = field(default_factory=list)


Clock = Callable[[], float]
CLOCKS: dict[str, Clock] = {"wall": time.perf_counter, "cpu": time.process_time}


def calibrate(
    step: Callable[[], Any],
    min_block_s: float,
    warmup_steps: int = 3,
    clock: Clock = time.perf_counter,
) -> int:
    """Warm up, then return how many steps make a block of at least min_block_s."""
    for _ in range(warmup_steps):
        step()
    n = 1
    while True:
        t0 = clock()
        for _ in range(n):
            step()
        elapsed = clock() - t0
        if elapsed >= min_block_s:
            return n
        n = max(n + 1, int(n * 1.2 * min_block_s / max(elapsed, 1e-9)))


def time_interleaved(
    steps: dict[str, Callable[[], Any]],
    repeats: int,
    min_block_s: float,
    clock: Clock = time.perf_counter,
) -> dict[str, Timing]:
    """Median time per call of each function; frameworks interleaved round by round.

    ``clock`` is wall time by default; ``time.process_time`` (CPU time of this process)
    is steadier on a busy machine but is only a fair measure when every framework runs
    on one thread (it adds up the time of all threads).
    """
    names = list(steps)
    block = {name: calibrate(steps[name], min_block_s, clock=clock) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            step, n = steps[name], block[name]
            t0 = clock()
            for _ in range(n):
                step()
            samples[name].append((clock() - t0) / n)
    out = {}
    for name, s in samples.items():
        q = statistics.quantiles(s, n=4) if len(s) >= 2 else [s[0]] * 3
        out[name] = Timing(statistics.median(s), q[0], q[2], block[name], s)
    return out


# ------------------------------------------------------------------ correctness


@dataclass
class Check:
    loss_rel: float
    grad_rel: float
    dtype_ok: bool
    dtypes: str
    tol: float

    @property
    def ok(self) -> bool:
        return self.loss_rel <= self.tol and self.grad_rel <= self.tol and self.dtype_ok


def rel_err(value: np.ndarray, ref: np.ndarray) -> float:
    """max |value - ref| / max |ref| (a norm-wise relative error, robust to zeros in ref)."""
    value, ref = np.asarray(value, np.float64), np.asarray(ref, np.float64)
    if value.shape != ref.shape:
        return float("inf")
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    return float(np.max(np.abs(value - ref))) / (scale or 1.0) if ref.size else 0.0


def check_against(
    ref_result: tuple[Any, Any], result: tuple[Any, Any], dtype: np.dtype, tol: float
) -> Check:
    """Compare one step's (loss, first-layer grad) with the NumPy reference's."""
    loss_ref, grad_ref = (to_numpy(v) for v in ref_result)
    loss, grad = (to_numpy(v) for v in result)
    dtype_ok = loss.dtype == dtype and grad.dtype == dtype
    return Check(
        rel_err(loss, loss_ref),
        rel_err(grad, grad_ref),
        dtype_ok,
        f"{loss.dtype}/{grad.dtype}",
        tol,
    )


# ------------------------------------------------------------------ memory


@dataclass
class Memory:
    peak_bytes: int  # peak of memory allocated by steps (incl. what one step keeps for the next)
    live_after_bytes: list[tuple[int, int]]  # (step, bytes live above the start) over the long run
    growth_bytes: int  # live at the last sample minus live after the second sample
    steps_run: int
    cyclic_objects_per_step: (
        int  # objects only the cycle collector frees (0: refcounting frees all)
    )


_padding: list[str] = []  # interned names kept alive: see make_room_for_interned_names


def make_room_for_interned_names(max_names: int = 1 << 21) -> int:
    """Grow CPython's table of interned strings now, untraced; return the bytes it took.

    The table (a dict of every interned string in the process) is reallocated at a larger
    size when it fills: a single block of ~4 MB once PyTorch is imported. Inside a
    measurement that block would be charged, whole, to the runner whose step happened to
    intern the name that filled it (compiling a plan interns its names). After a growth
    the table has room for at least as many names as it holds, so this is done once per
    process. Returns 0 if no growth was seen (then nothing is kept).
    """
    if _padding:
        return 0
    tracemalloc.start()
    try:
        for i in range(max_names):
            before = tracemalloc.get_traced_memory()[0]
            _padding.append(sys.intern(f"_benchmarks_padding_{i}"))
            grown = tracemalloc.get_traced_memory()[0] - before
            if grown > 64 * 1024:
                return grown
    finally:
        tracemalloc.stop()
    _padding.clear()
    return 0


def measure_memory(runner: Runner, long_steps: int, long_seconds: float) -> Memory:
    """Peak traced memory of one step, and live memory sampled over a long run.

    Uses tracemalloc, which sees NumPy's array buffers and Python objects (not PyTorch's
    CPU allocator), from before the runner's first step (see the module docstring for what
    that counts). Two warm steps run first (a compiled step records on both and builds its
    plan on the second), then one with the cycle collector off counts what refcounting
    alone cannot free, then the measured step: its peak is the most memory traced at once
    during it, including all that is live from before (gradients, optimizer state, plans).
    Live memory is read after ``gc.collect()``, which also empties CPython's free lists
    (otherwise the tuple free list, filling up over the first few hundred steps, looks like
    a slow leak). The long run stops early after ``long_seconds`` and says so in
    ``steps_run``. A step's results are dropped before the next one starts, as in a
    training loop that reassigns ``loss``.
    """
    make_room_for_interned_names()
    gc.collect()
    tracemalloc.start()
    try:
        runner.step()
        runner.step()
        gc.collect()
        gc.disable()
        try:
            runner.step()
            cyclic = gc.collect()  # what refcounting alone could not free
        finally:
            gc.enable()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = runner.step()
        peak = tracemalloc.get_traced_memory()[1]
        del result
        # preallocated so that recording a sample allocates nothing that stays live
        marks = sorted({m for m in (1, 10, 100, 1000, 10000) if m < long_steps} | {long_steps})
        live = np.zeros((len(marks), 2), dtype=np.int64)
        t_end = time.perf_counter() + long_seconds
        n = 0
        for i in range(1, long_steps + 1):
            runner.step()
            out_of_time = time.perf_counter() > t_end
            if i == marks[n] or out_of_time:
                gc.collect()
                live[n] = i, tracemalloc.get_traced_memory()[0] - base
                n += 1
                if out_of_time:
                    break
    finally:
        tracemalloc.stop()
    samples = [(int(i), int(b)) for i, b in live[:n]]
    growth = samples[-1][1] - samples[min(1, n - 1)][1]
    return Memory(peak, samples, growth, samples[-1][0], cyclic)


# ------------------------------------------------------------------ machine and output


_thread_limits: list[Any] = []  # keeps threadpoolctl's limit alive for the whole run


def set_threads(n: int) -> None:
    """Same thread count for all: NumPy's BLAS (threadpoolctl) and PyTorch's intra-op pool."""
    from threadpoolctl import threadpool_limits

    _thread_limits.append(threadpool_limits(limits=n))
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "numpy": np.__version__,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "loadavg_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {
                k: d.get(k)
                for k in ("internal_api", "version", "architecture", "num_threads", "prefix")
            }
            for d in threadpool_info()
            if d.get("user_api") == "blas"
        ]
    except ImportError:
        info["blas"] = (
            "threadpoolctl not installed (pip install threadpoolctl to see the BLAS kernel)"
        )
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def format_seconds(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.2f} us"
    if s < 1:
        return f"{s * 1e3:.3f} ms"
    return f"{s:.3f} s"


def format_bytes(n: int) -> str:
    if abs(n) < 1024:
        return f"{n} B"
    if abs(n) < 1024**2:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024**2:.2f} MiB"


def to_jsonable(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return to_jsonable(asdict(obj))
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        lines.append(
            "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        )
    return "\n".join(lines)
