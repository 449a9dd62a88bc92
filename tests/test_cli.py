"""The command line, run as a subprocess like a user would."""

from __future__ import annotations

import gzip
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_nn import nn


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_nn", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_main_job_digits_reaches_97_percent_and_saves(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("safetensors")
    out = tmp_path / "model.safetensors"
    r = run(
        "train",
        "--dataset",
        "digits",
        "--hidden",
        "128",
        "64",
        "--epochs",
        "30",
        "--lr",
        "1e-3",
        "--optimizer",
        "adam",
        "--out",
        str(out),
        "--seed",
        "0",
    )
    assert r.returncode == 0, r.stderr
    match = re.search(r"final test accuracy: ([0-9.]+)", r.stdout)
    assert match is not None, r.stdout
    assert float(match.group(1)) >= 0.97
    assert "epoch 30/30" in r.stderr  # tqdm progress
    model = nn.load(nn.MLP([64, 128, 64, 10]), out)
    assert model.num_parameters() == 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10


def _idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.tobytes())


def test_train_on_mnist_idx_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 40), ("t10k", 10)):
        (tmp_path / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            _idx(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        )
        (tmp_path / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(
            _idx(rng.integers(0, 10, n, dtype=np.uint8))
        )
    r = run(
        "train",
        "--dataset",
        "mnist",
        "--data-dir",
        str(tmp_path),
        "--hidden",
        "8",
        "--epochs",
        "1",
        "--quiet",
        "--out",
        str(tmp_path / "m.npz"),
    )
    assert r.returncode == 0, r.stderr
    assert "40 train / 10 test samples, 784 features" in r.stdout
    assert (tmp_path / "m.npz").is_file()


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--epochs", "abc"],
        ["train", "--optimizer", "rmsprop"],
        ["train", "--dataset", "imagenet"],
        ["train", "--epochs", "0"],
        ["train", "--lr", "-1"],
        ["train", "--label-smoothing", "1.5"],
        ["frobnicate"],
        [],
    ],
)
def test_bad_arguments_give_usage_not_traceback(args: list[str]) -> None:
    r = run(*args)
    assert r.returncode == 2
    assert "usage:" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--dataset", "mnist", "--data-dir", "/nonexistent/dir"], "no such directory"),
        (["train", "--dataset", "mnist"], "needs --data-dir"),
        (["train", "--out", "model.pt"], "must end in .safetensors or .npz"),
        (["train", "--graph", "graph.txt"], "expected a file ending in .svg"),
        (["run", "no_such_example"], "unknown example 'no_such_example'"),
        (
            ["train", "--out", "/nonexistent/dir/m.npz"],
            "the folder /nonexistent/dir does not exist",
        ),
    ],
)
def test_user_errors_are_one_clear_line(args: list[str], message: str) -> None:
    r = run(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tinygrad-nn: error:") and message in lines[0]


def test_examples_lists_every_example() -> None:
    from tinygrad_nn.examples import EXAMPLES

    r = run("examples")
    assert r.returncode == 0
    for name in EXAMPLES:
        assert re.search(rf"^{name}\s+\S", r.stdout, re.M)


def test_run_forwards_arguments_to_the_example(tmp_path: Path) -> None:
    r = run("run", "shapes_walkthrough", "--fast", "--out-dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "W1    (8, 10)" in r.stdout
    r = run("run", "toy_1d", "--bogus")
    assert r.returncode == 2 and "usage:" in r.stderr


def test_graph_option_renders_the_loss_graph(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    try:
        from tinygrad_nn.viz import draw  # noqa: F401
    except ImportError:
        pytest.skip("tinygrad_nn.viz is not in this branch")
    out = tmp_path / "graph.svg"
    r = run("train", "--epochs", "1", "--quiet", "--graph", str(out))
    assert r.returncode == 0, r.stderr
    assert out.is_file() and "<svg" in out.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_main_job_reaches_97_percent_for_other_seeds(
    seed: int, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sklearn")
    from tinygrad_nn.cli import main

    assert main(["train", "--seed", str(seed), "--quiet"]) == 0
    match = re.search(r"final test accuracy: ([0-9.]+)", capsys.readouterr().out)
    assert match is not None and float(match.group(1)) >= 0.97
