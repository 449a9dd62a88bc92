"""Instructions per training step, counted by valgrind: a noise-free measure of overhead.

    python benchmarks/icount.py [--workloads per_op tiny_tanh] [--frameworks numpy tinygrad_nn]
                                [--patches fused_linear ...] [--steps 1000]

On a shared machine wall-clock timings of small steps wobble by 10% or more; the number of
CPU instructions a step executes does not (repeat runs agree to ~0.1%). It is a good proxy
for time where Python overhead dominates (``per_op``, ``tiny_tanh``), and a poor one where
memory traffic and BLAS do (``mlp_*``: use run.py there). Each figure is the difference
between a run of ``--steps`` steps and a run of none (same imports and warm-up), divided by
``--steps``, under ``valgrind --tool=callgrind`` with one BLAS thread and a fixed hash seed.
Needs valgrind (``apt-get install valgrind``); each run takes tens of seconds.
``--patches`` applies candidate engine changes from ablations.py to the tinygrad_nn runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.ablations import PATCHES  # noqa: E402
from benchmarks.harness import markdown_table  # noqa: E402
from benchmarks.workloads import WORKLOADS  # noqa: E402

# What runs under valgrind: warm-up, then `steps` steps of one runner.
CHILD = """
import sys
import numpy as np
sys.path.insert(0, {root!r})
from benchmarks.ablations import applied
from benchmarks.workloads import WORKLOADS
wl = WORKLOADS[{workload!r}]
runner = wl.runners[{framework!r}](wl.make(False, np.float32))
with applied({patches!r}):
    for _ in range(20):
        runner.step()
    for _ in range({steps}):
        runner.step()
"""


def instructions(workload: str, framework: str, steps: int, patches: list[str]) -> int:
    code = CHILD.format(
        root=str(ROOT), workload=workload, framework=framework, patches=patches, steps=steps
    )
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    # setarch -R: no address randomisation, so that id()-hashed dicts behave the same
    no_aslr = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []
    proc = subprocess.run(
        [*no_aslr, "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-c", code],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or found is None:
        raise RuntimeError(f"valgrind run failed:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def per_step(workload: str, framework: str, steps: int, patches: list[str]) -> float:
    full = instructions(workload, framework, steps, patches)
    return (full - instructions(workload, framework, 0, patches)) / steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workloads", nargs="+", default=["per_op", "tiny_tanh"])
    parser.add_argument("--frameworks", nargs="+", default=["numpy", "tinygrad_nn"])
    parser.add_argument("--patches", nargs="*", default=[], choices=list(PATCHES))
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("icount.py needs valgrind: apt-get install valgrind", file=sys.stderr)
        return 2
    rows = []
    for name in args.workloads:
        n_ops = getattr(WORKLOADS[name].make(False, np.float32), "n_ops", None)
        numpy_ir = None
        runners = WORKLOADS[name].runners  # per_op has no tinygrad_nn.nn version
        variants: list[tuple[str, list[str]]] = [
            (fw, []) for fw in args.frameworks if fw in runners
        ]
        if args.patches:
            variants.append(("tinygrad_nn", args.patches))
        for fw, patches in variants:
            ir = per_step(name, fw, args.steps, patches)
            numpy_ir = ir if fw == "numpy" else numpy_ir
            label = fw + (f" + {' + '.join(patches)}" if patches else "")
            ratio = f"{ir / numpy_ir:.2f}" if numpy_ir else ""
            rows.append([name, label, f"{ir:,.0f}", f"{ir / n_ops:,.0f}" if n_ops else "", ratio])
            print(f"  {name} {label}: {ir:,.0f}", file=sys.stderr, flush=True)
    header = ["workload", "version", "instructions / step", "per op", "x NumPy"]
    print(markdown_table(header, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
