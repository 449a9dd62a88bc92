"""Smoke tests of benchmarks/: the scripts run on tiny sizes and every correctness line passes.

Timings are not asserted (they depend on the machine); correctness and the memory run are.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import run  # noqa: E402
from benchmarks.harness import calibrate, check_against, measure_memory, rel_err  # noqa: E402
from benchmarks.workloads import (  # noqa: E402
    EAGER_OF,
    WORKLOADS,
    NotRunnable,
    NumpyGEMM,
    NumpyMLP,
    available_frameworks,
)

NOT_TORCH_COMPILE = [fw for fw in available_frameworks() if fw != "torch.compile"]


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_run_quick_all_correctness_lines_pass(tmp_path: Path) -> None:
    """Every framework but torch.compile (its compiling takes a minute: see the slow test)."""
    out = tmp_path / "bench.json"
    proc = run_script(
        "benchmarks/run.py", "--quick", "--json", str(out), "--frameworks", *NOT_TORCH_COMPILE
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(out.read_text())["results"]
    assert [r["workload"] for r in results] == list(WORKLOADS)
    for r in results:
        wl = WORKLOADS[r["workload"]]
        by_fw = {row["framework"]: row for row in r["rows"]}
        assert list(by_fw)[0] == "numpy" and "tinygrad_nn" in by_fw, r["errors"]
        assert "tinygrad_nn+compile" in by_fw and "torch.compile" not in by_fw
        assert ("gemm" in by_fw) == ("gemm" in wl.runners)
        assert not r["errors"]
        for fw, row in by_fw.items():
            if "not_runnable" in row:  # only where it is not installed (README's command)
                assert fw == "torch" and available_frameworks()["torch"] is not None, row
                continue
            if fw == "gemm":  # a reference: timed and traced, never checked
                assert row["reference"] and row["check_ok"] is None and row["target"] is None
            else:
                assert row["check_ok"], (r["workload"], fw, r["checks"][fw])
            assert row["time_s"] > 0 and row["ratio"] > 0
            if fw.startswith("tinygrad_nn"):
                # the graph is freed every step: no live memory left behind
                assert row["growth_bytes"] is not None and row["growth_bytes"] < 4096, row
            if fw.endswith("+compile"):
                assert row["target"] == wl.compiled_target and row["memory_target"] is None
                eager = by_fw[EAGER_OF[fw]]
                assert row["eager_memory_target"] == 1.0
                assert row["eager_mem_ratio"] == pytest.approx(
                    row["peak_bytes"] / eager["peak_bytes"]
                )
            elif fw.startswith("tinygrad_nn"):
                assert row["target"] == wl.target and row["eager_mem_ratio"] is None
    lines = [line for line in proc.stdout.splitlines() if line.strip().startswith("check ")]
    checked = [line for line in lines if not line.split()[1] == "gemm"
               and "not runnable: not installed" not in line]  # torch, where it is absent
    assert checked and all(" PASS " in line for line in checked), "\n".join(lines)
    assert any(line.split()[1:3] == ["gemm", "n/a"] for line in lines)
    table_rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    compiled = [line for line in table_rows if line.startswith("| tinygrad_nn+compile ")]
    assert len(compiled) == len(WORKLOADS)
    assert all("<= eager met" in line or "<= eager MISSED" in line for line in compiled)
    gemm = [line for line in table_rows if line.startswith("| gemm (reference)")]
    assert gemm and all(line.rstrip(" |").endswith("n/a") for line in gemm)
    summary_header = next(line for line in table_rows if line.startswith("| workload "))
    for column in ("gemm", "tinygrad_nn+compile", "tinygrad_nn.nn+compile", "compiled target"):
        assert f" {column} " in summary_header


class _FailingCompile:
    """Stands for a compiled runner whose compiler does not work on this machine."""

    def __init__(self, p: Any) -> None:
        pass

    def step(self) -> tuple[Any, Any]:
        raise NotRunnable("torch.compile failed: InductorError: no working C++ compiler")


def test_not_runnable_rows_say_why_and_do_not_fail_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wl = WORKLOADS["tiny_tanh"]
    monkeypatch.setattr(wl, "runners", {**wl.runners, "torch.compile": _FailingCompile})
    # the fake torch.compile runner runs whether or not torch is installed here
    available = {**available_frameworks(), "torch": "not installed (pretend)",
                 "torch.compile": None}
    monkeypatch.setattr(run, "available_frameworks", lambda: available)
    out = tmp_path / "bench.json"
    args = ["--quick", "--workloads", "tiny_tanh", "--long-steps", "0", "--json", str(out)]
    try:
        code = run.main([*args, "--frameworks", "numpy", "tinygrad_nn", "torch", "torch.compile"])
    finally:
        gc.unfreeze()  # main() freezes what is alive at its start, for its own run only
    printed = capsys.readouterr().out
    assert code == 0, printed
    (result,) = json.loads(out.read_text())["results"]
    assert result["not_runnable"] == {
        "torch.compile": "torch.compile failed: InductorError: no working C++ compiler",
        "torch": "not installed (pretend)",
    }
    rows = {row["framework"]: row for row in result["rows"]}
    assert rows["torch.compile"] == {
        "framework": "torch.compile",
        "not_runnable": "torch.compile failed: InductorError: no working C++ compiler",
    }
    assert rows["tinygrad_nn"]["check_ok"]
    assert "not runnable: torch.compile failed: InductorError" in printed
    assert "| torch.compile | not runnable: torch.compile failed" in printed
    assert "| torch         | not runnable: not installed (pretend)" in printed


def test_available_frameworks_reports_every_runner() -> None:
    available = available_frameworks()
    for wl in WORKLOADS.values():
        assert set(wl.runners) <= set(available)
    assert available["gemm"] is None
    if available["torch"] is not None:
        assert available["torch.compile"] == available["torch"]


def test_torch_compile_needs_a_cxx_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    import benchmarks.workloads as workloads

    if available_frameworks()["torch"] is not None:
        pytest.skip("torch is not installed")
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setattr(workloads.shutil, "which", lambda name: None)
    why = available_frameworks()["torch.compile"]
    assert why == "no C++ compiler for inductor (looked for g++)"


@pytest.mark.slow
def test_torch_compile_that_cannot_build_is_not_runnable() -> None:
    """A real inductor failure (no working C++ compiler) becomes NotRunnable, not a crash."""
    pytest.importorskip("torch")
    code = (
        "import numpy as np, torch._inductor.config as config\n"
        "config.cpp.cxx = ('/nonexistent/g++',)\n"
        "config.fx_graph_cache = False\n"
        "from benchmarks.workloads import WORKLOADS, NotRunnable\n"
        "wl = WORKLOADS['per_op']\n"
        "try:\n"
        "    wl.runners['torch.compile'](wl.make(True, np.float32)).step()\n"
        "except NotRunnable as e:\n"
        "    print(e)\n"
    )
    proc = run_script("-c", code)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("torch.compile failed: "), proc.stdout + proc.stderr
    assert "C++ compiler" in proc.stdout


class _KeepsWhatItMakes:
    """A step that makes something on its first and second calls and keeps it (as a
    compiled step keeps its plan), then allocates only a small temporary."""

    def __init__(self) -> None:
        self.calls = 0
        self.kept: list[np.ndarray] = []

    def step(self) -> tuple[Any, Any]:
        self.calls += 1
        if self.calls <= 2:
            self.kept.append(np.ones(100_000 * self.calls))  # 0.8 MB, then 1.6 MB
        return None, np.zeros(10)


def test_memory_counts_what_the_first_steps_keep() -> None:
    mem = measure_memory(_KeepsWhatItMakes(), long_steps=5, long_seconds=5)
    assert mem.peak_bytes >= 2_400_000
    assert mem.growth_bytes == 0


def test_interned_names_table_is_grown_before_measuring() -> None:
    """After the harness grew it, interning many new names allocates no big block."""
    code = (
        "import sys, tracemalloc\n"
        "from benchmarks.harness import make_room_for_interned_names\n"
        "table = make_room_for_interned_names()\n"
        "assert table > 64 * 1024, table\n"
        "assert make_room_for_interned_names() == 0\n"
        "tracemalloc.start()\n"
        "names = [[sys.intern(f'_new_{i}_{j}') for j in range(1000)] for i in range(20)]\n"
        "big = [t.size for t in tracemalloc.take_snapshot().traces if t.size > table // 2]\n"
        "assert not big, (table, big)\n"
    )
    proc = run_script("-c", code)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_memory_of_a_compiled_step_includes_its_plan() -> None:
    """The plan is built during the compiled step's second call: the peak must hold it."""
    wl = WORKLOADS["per_op"]
    runner: Any = wl.runners["tinygrad_nn+compile"](wl.make(True, np.float32))
    tracemalloc.start()
    try:
        for _ in range(3):
            runner.step()
        plan = runner.compiled.plan_for()
        assert plan is not None
        gc.collect()  # a plan's generated function and namespace refer to each other
        before = tracemalloc.get_traced_memory()[0]
        runner.compiled.plans.clear()
        del plan
        gc.collect()
        plan_bytes = before - tracemalloc.get_traced_memory()[0]  # what freeing the plan gave back
    finally:
        tracemalloc.stop()
    assert plan_bytes > 1000
    compiled = measure_memory(wl.runners["tinygrad_nn+compile"](wl.make(True, np.float32)), 5, 5)
    assert compiled.peak_bytes >= plan_bytes


@pytest.mark.parametrize(
    "name, fw",
    [
        ("mlp_small", "tinygrad_nn+compile"),
        ("mlp_small", "tinygrad_nn.nn+compile"),
        ("per_op", "tinygrad_nn+compile"),
    ],
)
def test_warmup_covers_compilation(name: str, fw: str) -> None:
    """calibrate's warm-up runs the recording calls: no timed step records or builds a plan."""
    wl = WORKLOADS[name]
    runner: Any = wl.runners[fw](wl.make(True, np.float32))
    recorded: list[int] = []
    step_fn = runner.compiled.fn  # the Python step: it runs only while recording

    def counting(*args: Any) -> Any:
        recorded.append(len(calls))
        return step_fn(*args)

    runner.compiled.fn = counting
    calls: list[int] = []

    def step() -> Any:
        calls.append(1)
        return runner.step()

    calibrate(step, min_block_s=0.001)
    n_warm = len(calls)
    for _ in range(5):
        step()
    assert recorded == [1, 2]  # the first two calls recorded, no later one
    assert n_warm >= 4  # the 3 warm-up steps and a calibration block, all before any timing
    args = () if name == "per_op" else (runner.X, runner.y)
    plan = runner.compiled.plan_for(*args)
    assert plan is not None and not plan.probing


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


_products: list[tuple[Any, ...]] = []


class _CountedArray(np.ndarray):
    """Records the shapes and layouts of every matrix product it takes part in."""

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if ufunc is np.matmul:
            _products.append(tuple((x.shape, x.flags.c_contiguous) for x in inputs))
        def plain(x: Any) -> Any:
            return x.view(np.ndarray) if isinstance(x, _CountedArray) else x

        if "out" in kwargs:
            kwargs["out"] = tuple(plain(x) for x in kwargs["out"])
        result = getattr(ufunc, method)(*map(plain, inputs), **kwargs)
        return result.view(_CountedArray) if isinstance(result, np.ndarray) else result


@pytest.mark.parametrize("name", ["mlp_small", "tiny_tanh"])
def test_gemm_reference_does_the_mlp_steps_matrix_products(name: str) -> None:
    """The same 8 products as a NumpyMLP step: same shapes, transposes, order."""
    problem: Any = WORKLOADS[name].make(True, np.float32)
    problem.X = problem.X.view(_CountedArray)
    problem.weights = [W.view(_CountedArray) for W in problem.weights]
    _products.clear()
    NumpyMLP(problem).step()
    numpy_products = list(_products)
    gemm = NumpyGEMM(problem)
    _products.clear()
    _, dW1 = gemm.step()
    assert len(numpy_products) == 8
    assert _products == numpy_products
    np.testing.assert_array_equal(dW1, gemm.dZ[0].T @ problem.X)


@pytest.mark.slow
def test_torch_compile_rows_quick(tmp_path: Path) -> None:
    """torch.compile rows: checked against NumPy (or "not runnable"), compiled before timing."""
    pytest.importorskip("torch")
    out = tmp_path / "bench.json"
    proc = run_script(
        "benchmarks/run.py", "--quick", "--workloads", "tiny_tanh", "per_op",
        "--frameworks", "torch", "torch.compile", "--json", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for r in json.loads(out.read_text())["results"]:
        row = {row["framework"]: row for row in r["rows"]}["torch.compile"]
        if "not_runnable" in row:
            assert f"not runnable: {row['not_runnable']}" in proc.stdout
            continue
        assert row["check_ok"] and row["time_s"] > 0, r["checks"]["torch.compile"]


@pytest.mark.slow
def test_torch_compile_compiles_only_in_the_warmup() -> None:
    pytest.importorskip("torch")
    from benchmarks.workloads import _dynamo_graphs

    wl = WORKLOADS["tiny_tanh"]
    runner = wl.runners["torch.compile"](wl.make(True, np.float32))
    from torch._dynamo.utils import counters

    calibrate(runner.step, min_block_s=0.001)
    graphs, frames = _dynamo_graphs(), dict(counters["frames"])
    assert graphs >= 1
    for _ in range(5):
        runner.step()
    assert (_dynamo_graphs(), dict(counters["frames"])) == (graphs, frames)


def test_rel_err_is_normwise() -> None:
    ref = np.array([1.0, 0.0, -2.0])
    assert rel_err(ref, ref) == 0
    assert rel_err(ref + [0, 2e-6, 0], ref) == pytest.approx(1e-6)
    assert rel_err(ref[:2], ref) == float("inf")
