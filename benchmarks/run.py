"""Training-step benchmarks: tinygrad_nn vs hand-written NumPy backprop vs PyTorch.

    python benchmarks/run.py [--workloads mlp_small mlp_large tiny_tanh per_op]
                             [--frameworks numpy tinygrad_nn ...] [--repeats N]
                             [--json out.json] [--quick] [--long-steps N]

For each workload: a correctness line per framework (one step from the same initial
weights: loss and first-layer gradient against NumPy), then interleaved timings (median
of ``--repeats`` rounds), peak traced memory of one step, and live memory over a run of
``--long-steps`` steps (it must stay flat: the graph is freed every step). Ratios are to
the NumPy baseline measured in the same run.

Rows: ``numpy`` (hand-written backprop, the baseline); ``gemm`` (a reference, not a
framework: the 8 matrix products of the NumPy step alone, the floor under any compiled
step; no check); ``tinygrad_nn`` and ``tinygrad_nn.nn`` (eager) with their targets;
``tinygrad_nn+compile`` and ``tinygrad_nn.nn+compile`` (the same steps under
``tinygrad_nn.compile``) with the compiled target and a memory target of a peak at most
their eager row's (``x eager``); ``torch`` and ``torch.compile`` for comparison (their
memory is not traced). A framework that cannot run here gets a row saying why
("not runnable: ..."), in the output and the JSON, and does not fail the run.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.harness import (
    CLOCKS,
    Check,
    Memory,
    Timing,
    check_against,
    format_bytes,
    format_seconds,
    machine_info,
    markdown_table,
    measure_memory,
    set_threads,
    time_interleaved,
    to_jsonable,
)
from benchmarks.workloads import (
    EAGER_OF,
    REFERENCES,
    WORKLOADS,
    NotRunnable,
    Workload,
    available_frameworks,
)

TOL = 1e-5
TRACED = (
    "numpy", "gemm", "tinygrad_nn", "tinygrad_nn.nn", "tinygrad_nn+compile",
    "tinygrad_nn.nn+compile",
)  # frameworks whose memory tracemalloc sees
COLUMNS = (  # the summary table's, in this order where present
    "gemm", "tinygrad_nn", "tinygrad_nn.nn", "tinygrad_nn+compile", "tinygrad_nn.nn+compile",
    "torch", "torch.compile",
)


def is_compiled(fw: str) -> bool:
    """A tinygrad_nn.compile row: timed against the compiled target."""
    return fw.startswith("tinygrad_nn") and fw.endswith("+compile")


def run_checks(wl: Workload, frameworks: list[str], quick: bool) -> dict[str, dict[str, Any]]:
    """One step of each framework from the same weights, compared with NumPy's, in float32
    (the benchmarked dtype) and float64 (which separates real errors from rounding)."""
    out: dict[str, dict[str, Any]] = {fw: {} for fw in frameworks}
    for dtype in (np.float32, np.float64):
        problem = wl.make(quick, dtype)
        ref = wl.runners["numpy"](problem).step()
        for fw in frameworks:
            if fw in REFERENCES or "error" in out[fw] or "not_runnable" in out[fw]:
                continue
            try:
                result = wl.runners[fw](problem).step()
                out[fw][np.dtype(dtype).name] = check_against(ref, result, np.dtype(dtype), TOL)
            except NotRunnable as e:
                out[fw]["not_runnable"] = str(e)
            except Exception as e:  # report and go on: one broken framework must not hide the rest
                out[fw]["error"] = f"{type(e).__name__}: {e}"
    return out


def check_line(fw: str, checks: dict[str, Any]) -> tuple[bool | None, str]:
    """(passed, the line to print); passed is None where nothing is checked."""
    if fw in REFERENCES:
        return None, f"  check {fw:<22} n/a    (a reference, not a framework: not checked)"
    if "not_runnable" in checks:
        return None, f"  check {fw:<22} not runnable: {checks['not_runnable']}"
    if "error" in checks:
        return False, f"  check {fw:<22} ERROR  {checks['error']}"
    c32: Check = checks["float32"]
    c64: Check = checks["float64"]
    ok = c32.ok and c64.ok
    return ok, (
        f"  check {fw:<22} {'PASS' if ok else 'FAIL'}  float32: loss rel {c32.loss_rel:.1e}, "
        f"dW1 rel {c32.grad_rel:.1e}, dtypes {c32.dtypes}; float64: loss rel {c64.loss_rel:.1e}, "
        f"dW1 rel {c64.grad_rel:.1e} (tol {TOL:g})"
    )


def run_workload(
    wl: Workload,
    frameworks: list[str],
    args: argparse.Namespace,
    unavailable: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Check, time and measure ``frameworks`` on ``wl``; ``unavailable`` (framework -> why)
    get a "not runnable" row."""
    print(f"\n== {wl.name}: {wl.title}{'  [quick sizes]' if args.quick else ''}")
    checks = run_checks(wl, frameworks, args.quick)
    for fw, why in (unavailable or {}).items():
        checks[fw] = {"not_runnable": why}
    ok_frameworks = []
    for fw in checks:
        ok, line = check_line(fw, checks[fw])
        print(line, flush=True)
        if "error" not in checks[fw] and "not_runnable" not in checks[fw]:
            ok_frameworks.append(fw)

    problem = wl.make(args.quick, np.float32)
    runners = {fw: wl.runners[fw](problem) for fw in ok_frameworks}
    timings = time_interleaved(
        {fw: r.step for fw, r in runners.items()}, args.repeats, args.min_block, CLOCKS[args.clock]
    )
    del runners

    memory: dict[str, Memory] = {}
    if args.long_steps > 0:
        for fw in ok_frameworks:
            if fw in TRACED:
                memory[fw] = measure_memory(
                    wl.runners[fw](problem), args.long_steps, args.long_seconds
                )

    n_ops = getattr(problem, "n_ops", 1)
    base = timings["numpy"].median_s
    rows = []
    for fw in checks:
        if fw not in ok_frameworks:
            if "not_runnable" in checks[fw]:
                rows.append({"framework": fw, "not_runnable": checks[fw]["not_runnable"]})
            continue
        t: Timing = timings[fw]
        mem = memory.get(fw)
        eager = memory.get(EAGER_OF.get(fw, ""))
        tinygrad = fw.startswith("tinygrad_nn")
        rows.append(
            {
                "framework": fw,
                "reference": fw in REFERENCES,
                "time_s": t.median_s / n_ops,
                "iqr_pct": 100 * (t.q3_s - t.q1_s) / t.median_s,
                "ratio": t.median_s / base,
                "target": (wl.compiled_target if is_compiled(fw) else wl.target)
                if tinygrad
                else None,
                # eager rows: peak / NumPy's peak; +compile rows: peak / their eager row's peak
                "memory_target": wl.memory_target if tinygrad and not is_compiled(fw) else None,
                "eager_memory_target": 1.0 if is_compiled(fw) else None,
                "peak_bytes": mem.peak_bytes if mem else None,
                "mem_ratio": mem.peak_bytes / memory["numpy"].peak_bytes
                if mem and "numpy" in memory
                else None,
                "eager_mem_ratio": mem.peak_bytes / eager.peak_bytes if mem and eager else None,
                "growth_bytes": mem.growth_bytes if mem else None,
                "long_steps": mem.steps_run if mem else None,
                "check_ok": check_line(fw, checks[fw])[0],
            }
        )
    print(markdown_table(*_table(wl, rows)))
    return {
        "workload": wl.name,
        "title": wl.title,
        "per_op": wl.per_op,
        "n_ops": n_ops,
        "rows": rows,
        "timings": timings,
        "memory": memory,
        "checks": checks,
        "errors": {fw: c["error"] for fw, c in checks.items() if "error" in c},
        "not_runnable": {fw: c["not_runnable"] for fw, c in checks.items() if "not_runnable" in c},
    }


def _verdict(value: float, goal: float | None) -> str:
    return "" if goal is None else (" met" if value <= goal else " MISSED")


def _table(wl: Workload, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    unit = "time / op" if wl.per_op else "time / step"
    header = [
        "framework",
        unit,
        "IQR",
        "x NumPy",
        "target",
        "peak mem / step",
        "x NumPy",
        "x eager",
        "live-memory growth",
        "check",
    ]
    out = []
    for r in rows:
        if "not_runnable" in r:
            out.append([r["framework"], f"not runnable: {r['not_runnable']}", *[""] * 8])
            continue
        target = ""
        if r["target"] is not None:
            target = f"<= {r['target']:g}{_verdict(r['ratio'], r['target'])}"
        mem_ratio = ""
        if r["mem_ratio"] is not None:
            mem_ratio = f"{r['mem_ratio']:.2f}{_verdict(r['mem_ratio'], r['memory_target'])}"
        eager_ratio = ""
        if r["eager_mem_ratio"] is not None:
            verdict = _verdict(r["eager_mem_ratio"], r["eager_memory_target"])
            eager_ratio = f"{r['eager_mem_ratio']:.2f}, <= eager{verdict}"
        elif r["eager_memory_target"] is not None:
            eager_ratio = "<= eager (not measured)"
        check = "n/a" if r["check_ok"] is None else "PASS" if r["check_ok"] else "FAIL"
        out.append(
            [
                r["framework"] + (" (reference)" if r["reference"] else ""),
                format_seconds(r["time_s"]),
                f"{r['iqr_pct']:.0f}%",
                f"{r['ratio']:.2f}",
                target,
                format_bytes(r["peak_bytes"]) if r["peak_bytes"] is not None else "n/a",
                mem_ratio,
                eager_ratio,
                f"{format_bytes(r['growth_bytes'])} over {r['long_steps']} steps"
                if r["growth_bytes"] is not None
                else "n/a",
                check,
            ]
        )
    return header, out


def summary_table(results: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """One row per workload: NumPy's time, every row's ratio, the eager and compiled targets."""
    frameworks = [
        fw for fw in COLUMNS if any(row["framework"] == fw for r in results for row in r["rows"])
    ]
    header = ["workload", "NumPy", *frameworks, "target", "compiled target"]
    rows = []
    for r in results:
        by_fw = {row["framework"]: row for row in r["rows"]}
        numpy_row = by_fw["numpy"]
        unit = " / op" if r["per_op"] else ""
        cells = [r["workload"], format_seconds(numpy_row["time_s"]) + unit]
        for fw in frameworks:
            row = by_fw.get(fw)
            if row is None:
                cells.append("n/a")
                continue
            if "not_runnable" in row:
                cells.append("not runnable")
                continue
            cell = f"{row['ratio']:.2f}x"
            if row["eager_mem_ratio"] is not None:
                cell += f" [{row['eager_mem_ratio']:.2f}x eager]"
            elif row["mem_ratio"] is not None and not row["reference"]:
                cell += f" [{row['mem_ratio']:.2f}x]"
            if row["check_ok"] is False:
                cell += " CHECK FAILED"
            cells.append(cell)
        wl = WORKLOADS[r["workload"]]
        memory = "" if wl.memory_target is None else f" [<= {wl.memory_target:g}x]"
        cells.append(f"<= {wl.target:g}x{memory}")
        cells.append(f"<= {wl.compiled_target:g}x [<= eager]")
        rows.append(cells)
    return header, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument(
        "--frameworks",
        nargs="+",
        default=None,
        help="subset of numpy, gemm, tinygrad_nn, tinygrad_nn.nn, tinygrad_nn+compile, "
        "tinygrad_nn.nn+compile, torch, torch.compile (numpy is always run)",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="timing rounds (default 15; quick 3)"
    )
    parser.add_argument(
        "--min-block",
        type=float,
        default=None,
        help="seconds per timed block of steps (default 0.1; quick 0.002)",
    )
    parser.add_argument(
        "--long-steps",
        type=int,
        default=None,
        help="steps of the memory run (default 1000; quick 20; 0 skips memory)",
    )
    parser.add_argument(
        "--long-seconds",
        type=float,
        default=20.0,
        help="stop a memory run early after this many seconds",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit NumPy's BLAS (threadpoolctl) and PyTorch to this many threads",
    )
    parser.add_argument(
        "--clock",
        choices=list(CLOCKS),
        default="wall",
        help="wall time, or this process's CPU time (steadier on a shared machine; "
        "implies --threads 1 so that it stays comparable)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write all results here")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, few repeats (smoke test)")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (3 if args.quick else 15)
    args.min_block = args.min_block or (0.002 if args.quick else 0.1)
    args.long_steps = (
        args.long_steps if args.long_steps is not None else (20 if args.quick else 1000)
    )

    if args.clock == "cpu":
        args.threads = 1
    if args.threads:
        set_threads(args.threads)
    info = machine_info()
    print("machine:", ", ".join(f"{k}={v}" for k, v in info.items()))
    available = available_frameworks()
    wanted = args.frameworks or list(available)
    for fw, why in available.items():
        if why is not None and fw in wanted:
            print(f"not runnable: {fw}: {why}")
    # Objects alive now (imports, above all PyTorch's) are never garbage: keep every
    # collection from scanning them again, for all frameworks alike.
    gc.collect()
    gc.freeze()
    t0 = time.perf_counter()
    results = []
    for name in args.workloads:
        wl = WORKLOADS[name]
        asked = [fw for fw in wl.runners if fw != "numpy" and fw in wanted]
        frameworks = ["numpy"] + [fw for fw in asked if available.get(fw) is None]
        unavailable = {
            fw: available.get(fw) or "unknown framework"
            for fw in asked
            if available.get(fw) is not None
        }
        results.append(run_workload(wl, frameworks, args, unavailable))
    print(
        "\nsummary (ratios to hand-written NumPy in this run; in brackets the peak memory ratio "
        "to NumPy, or for compiled rows to the same framework's eager row)"
    )
    print(markdown_table(*summary_table(results)))
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")
    if args.json:
        args.json.write_text(
            json.dumps(
                to_jsonable({"machine": info, "args": vars(args), "results": results}),
                indent=1,
                default=str,
            )
        )
        print(f"wrote {args.json}")
    failed = [
        (r["workload"], row["framework"])
        for r in results
        for row in r["rows"]
        if row.get("check_ok") is False
    ]
    failed += [(r["workload"], fw) for r in results for fw in r["errors"]]
    if failed:
        print("correctness FAILED for:", ", ".join(f"{w}/{fw}" for w, fw in failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
