"""Where a tinygrad_nn training step spends its time.

    python benchmarks/profile_step.py [WORKLOAD] [--framework tinygrad_nn] [--steps N]
                                      [--top 20] [--pyinstrument]

Runs ``--steps`` steps of one workload of run.py under cProfile (or pyinstrument, if
installed and asked for) and prints the functions with the most time of their own, then
the share of the step's own time by module. NumPy operators written as operators
(``a @ b``, ``a * b``) are not calls cProfile sees: their time counts in the Python
function that wrote them (an op's forward/backward, the sweep). cProfile adds a fixed cost
to every Python call, so it exaggerates the share of small Python functions; read it for
ranking, and use run.py / overhead.py / icount.py for absolute figures.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks.workloads import WORKLOADS


def profile(workload: str, framework: str, steps: int, top: int) -> str:
    wl = WORKLOADS[workload]
    runner = wl.runners[framework](wl.make(False, np.float32))
    for _ in range(5):
        runner.step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        runner.step()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    total = stats.total_tt  # type: ignore[attr-defined]
    # own time grouped by where the function lives
    groups: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "tinygrad_nn" in filename:
            key = f"tinygrad_nn/{Path(filename).name}"
        elif "benchmarks" in filename:
            key = "benchmark code (the user's step)"
        elif filename == "~" and ("numpy" in name or "method '" in name):
            key = "C functions called by name (ufunc.reduce, dict.pop, ...)"
        else:
            key = "other Python (stdlib, numpy Python wrappers)"
        groups[key] = groups.get(key, 0.0) + tottime
    lines = [
        f"{workload} / {framework}: {steps} steps, {total / steps * 1e6:.1f} us per step under "
        "cProfile (inflated by profiling)",
        "own time by module:",
    ]
    for key, t in sorted(groups.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {100 * t / total:5.1f}%  {key}")
    return "\n".join(lines) + "\n\n" + out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("workload", nargs="?", default="tiny_tanh", choices=list(WORKLOADS))
    parser.add_argument("--framework", default="tinygrad_nn")
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--pyinstrument", action="store_true", help="use pyinstrument instead")
    args = parser.parse_args(argv)
    if args.pyinstrument:
        from pyinstrument import Profiler

        wl = WORKLOADS[args.workload]
        runner = wl.runners[args.framework](wl.make(False, np.float32))
        with Profiler(interval=0.0001) as prof:
            for _ in range(args.steps):
                runner.step()
        print(prof.output_text(unicode=False, color=False))
        return 0
    print(profile(args.workload, args.framework, args.steps, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
