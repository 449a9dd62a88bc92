"""Smoke tests of benchmarks/: the scripts run on tiny sizes and every correctness line passes.

Timings are not asserted (they depend on the machine); correctness and the memory run are.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import check_against, rel_err  # noqa: E402
from benchmarks.workloads import WORKLOADS, NumpyMLP  # noqa: E402


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_run_quick_all_correctness_lines_pass(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = run_script("benchmarks/run.py", "--quick", "--json", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(out.read_text())["results"]
    assert [r["workload"] for r in results] == list(WORKLOADS)
    for r in results:
        frameworks = [row["framework"] for row in r["rows"]]
        assert frameworks[0] == "numpy" and "tinygrad_nn" in frameworks, r["errors"]
        assert not r["errors"]
        for row in r["rows"]:
            assert row["check_ok"], (r["workload"], row["framework"], r["checks"][row["framework"]])
            assert row["time_s"] > 0 and row["ratio"] > 0
            if row["framework"].startswith("tinygrad_nn"):
                # the graph is freed every step: no live memory left behind
                assert row["growth_bytes"] is not None and row["growth_bytes"] < 4096, row
    lines = [line for line in proc.stdout.splitlines() if line.strip().startswith("check ")]
    assert lines and all(" PASS " in line for line in lines), "\n".join(lines)


def test_overhead_quick_reports_ratio() -> None:
    proc = run_script("benchmarks/overhead.py", "--quick")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tinygrad_nn forward + backward:" in proc.stdout
    assert "x the NumPy calls without autodiff" in proc.stdout


def test_correctness_check_catches_a_wrong_gradient() -> None:
    problem = WORKLOADS["mlp_small"].make(True, np.float32)
    loss, dW1 = NumpyMLP(problem).step()
    good = check_against((loss, dW1), (loss, dW1.copy()), np.dtype(np.float32), 1e-5)
    assert good.ok
    wrong = dW1.copy()
    wrong.flat[0] += 1e-3 * np.abs(dW1).max()
    assert not check_against((loss, dW1), (loss, wrong), np.dtype(np.float32), 1e-5).ok
    upcast = check_against((loss, dW1), (loss, dW1.astype(np.float64)), np.dtype(np.float32), 1e-5)
    assert not upcast.ok  # a silent float64 upcast fails the check too


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_numpy_baseline_gradient_matches_finite_differences(name: str) -> None:
    """The hand-written baseline is itself checked: dW1 against central differences (float64)."""
    wl = WORKLOADS[name]
    problem = wl.make(True, np.float64)
    runner = wl.runners["numpy"](problem)
    _, grad = runner.step()  # the gradient at the initial weights (then SGD moved them)
    params = problem.weights[0] if hasattr(problem, "weights") else problem.x
    rng = np.random.default_rng(1)
    eps = 1e-6
    for idx in zip(*(rng.integers(0, n, 5) for n in params.shape), strict=True):
        saved = params[idx]
        params[idx] = saved + eps
        up = float(wl.runners["numpy"](problem).step()[0])
        params[idx] = saved - eps
        down = float(wl.runners["numpy"](problem).step()[0])
        params[idx] = saved
        assert abs((up - down) / (2 * eps) - grad[idx]) < 1e-6 * max(1.0, abs(grad[idx]))


def test_rel_err_is_normwise() -> None:
    ref = np.array([1.0, 0.0, -2.0])
    assert rel_err(ref, ref) == 0
    assert rel_err(ref + [0, 2e-6, 0], ref) == pytest.approx(1e-6)
    assert rel_err(ref[:2], ref) == float("inf")
