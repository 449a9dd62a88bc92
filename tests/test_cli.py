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
    if args[:1] == ["train"]:  # the subcommand's usage, not the top-level one
        assert "usage: tinygrad-nn train" in r.stderr


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
            "the folder '/nonexistent/dir' does not exist",
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


# ---- every bad value is refused while parsing, with the subcommand's usage ----------------

BAD_VALUES = [
    ["train", "--epochs", "-3"],
    ["train", "--epochs", "1.5"],
    ["train", "--epochs", "99999999999999999999"],
    ["train", "--lr", "nan"],
    ["train", "--lr", "inf"],
    ["train", "--lr", "0"],
    ["train", "--lr", "abc"],
    ["train", "--weight-decay", "nan"],
    ["train", "--weight-decay", "-0.1"],
    ["train", "--weight-decay", "inf"],
    ["train", "--batch-size", "0"],
    ["train", "--batch-size", "-8"],
    ["train", "--hidden", "0"],
    ["train", "--hidden", "64", "-5"],
    ["train", "--hidden", "x"],
    ["train", "--label-smoothing", "nan"],
    ["train", "--label-smoothing", "1"],
    ["train", "--label-smoothing", "-0.1"],
    ["train", "--test-size", "0"],
    ["train", "--test-size", "1"],
    ["train", "--test-size", "nan"],
    ["train", "--seed", "-1"],
    ["train", "--seed", str(2**32)],
    ["train", "--seed", "1e3"],
    ["graph", "--example", "relu_softmax", "--max-nodes", "0"],
    ["replay", "--example", "relu_softmax", "--max-nodes", "-2"],
    ["run", "toy_1d", "--epochs", "-3"],
    ["run", "toy_1d", "--lr", "nan"],
    ["run", "toy_1d", "--batch-size", "0"],
    ["run", "nielsen_equivalence", "--eta", "nan"],
    ["run", "nielsen_equivalence", "--epochs", "0"],
    ["run", "hidden_representations", "--frames", "0"],
    ["run", "bce_three_layer", "--lr", "-1"],
    ["run", "bce_three_layer", "--epochs", "0"],
    ["run", "digits_mlp", "--epochs", "0"],
    ["run", "digits_mlp", "--lr", "inf"],
    ["run", "relu_softmax", "--lr", "0"],
    ["run", "shapes_walkthrough", "--seed", "-1"],
]


@pytest.mark.parametrize("args", BAD_VALUES, ids=[" ".join(a) for a in BAD_VALUES])
def test_bad_values_are_refused_with_the_subcommands_usage(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from tinygrad_nn.cli import main

    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    sub = " ".join(args[:2]) if args[0] == "run" else args[0]
    assert f"usage: tinygrad-nn {sub}" in err and "Traceback" not in err
    option = [a for a in args if a.startswith("--")][-1]
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"tinygrad-nn {sub}: error: argument {option}")
    assert "expected" in last and repr(args[-1]) in last
    assert out == ""  # nothing ran


def test_lr_nan_no_longer_trains_a_nan_model(tmp_path: Path) -> None:
    r = run("train", "--lr", "nan", "--out", str(tmp_path / "m.npz"))
    assert r.returncode == 2 and "expected a finite number > 0, got 'nan'" in r.stderr
    assert not (tmp_path / "m.npz").exists()


# ---- what would fail after training is checked before it ---------------------------------


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from tinygrad_nn.cli import main

    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def _one_error_line(err: str, message: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("tinygrad-nn: error:") and message in lines[0], lines[0]


def test_huge_hidden_sizes_are_refused_before_allocating(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("sklearn")
    status, out, err = _main(["train", "--hidden", "1000000", "1000000", "--quiet"], capsys)
    assert status == 2 and "model MLP" not in out
    _one_error_line(err, "--hidden 1000000 1000000: MLP[64, 1000000, 1000000, 10] has")
    assert "choose smaller hidden sizes" in err


def _unwritable(tmp_path: Path) -> Path:
    import os

    if os.geteuid() == 0:
        return Path("/sys/tinygrad_nn_model.npz")  # read-only even for root
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return locked / "m.npz"


def test_unwritable_out_is_found_before_training_and_names_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _unwritable(tmp_path)
    status, out, err = _main(["train", "--out", str(target), "--quiet"], capsys)
    assert status == 2 and out == ""
    _one_error_line(err, f"--out: cannot write {str(target)!r}")
    assert ".tmp" not in err


@pytest.mark.parametrize("case", ["directory", "parent is a file", "missing folder"])
def test_out_paths_that_cannot_be_files(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "d.npz").mkdir()
    (tmp_path / "f").write_text("x")
    target, message = {
        "directory": (tmp_path / "d.npz", "it is a directory"),
        "parent is a file": (tmp_path / "f" / "m.npz", "is not a folder"),
        "missing folder": (tmp_path / "no" / "m.npz", "does not exist"),
    }[case]
    status, out, err = _main(["train", "--out", str(target)], capsys)
    assert status == 2 and out == ""
    _one_error_line(err, message)


def test_graph_without_a_renderer_is_refused_before_training_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tinygrad_nn.viz")
    monkeypatch.setenv("TINYGRAD_NN_DOT", str(tmp_path / "no-such-dot"))
    monkeypatch.chdir(tmp_path)
    status, out, err = _main(["train", "--graph", "g.svg", "--quiet"], capsys)
    assert status == 2 and out == ""
    _one_error_line(err, "--graph g.svg: no Graphviz renderer found")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data-dir", "/tmp"], "--data-dir is only read with --dataset mnist"),
        (["--graph", "g"], "--graph g: expected a file ending in .svg"),
        (["--graph", "g.bmp"], "--graph g.bmp: expected a file ending in"),
        (["--out", "m"], "--out m: the model file must end in .safetensors or .npz"),
    ],
)
def test_other_train_options_refused_before_training(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _main(["train", *args], capsys)
    assert status == 2 and out == ""
    _one_error_line(err, message)


def test_graph_writes_exactly_the_file_asked_for(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    viz = pytest.importorskip("tinygrad_nn.viz.rendering")
    r = run("train", "--epochs", "1", "--quiet", "--graph", "g.gv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # DOT source needs no renderer
    assert (tmp_path / "g.gv").read_text().startswith("digraph")
    if viz.find_renderer() is not None:
        r = run("train", "--epochs", "1", "--quiet", "--graph", "g.jpg", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "g.jpg").read_bytes()[:2] == b"\xff\xd8"  # JPEG
    assert sorted(p.name for p in tmp_path.iterdir()) in (["g.gv"], ["g.gv", "g.jpg"])


def test_diverged_training_is_one_line_and_saves_nothing(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    out = tmp_path / "m.npz"
    r = run(
        "train", "--optimizer", "sgd", "--lr", "1e30", "--epochs", "2", "--quiet", "--out", str(out)
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [
        "tinygrad-nn: error: training diverged: the loss became nan (try a smaller --lr than "
        "1e+30); no model was saved"
    ]
    assert not out.exists()


@pytest.mark.parametrize("mode", [[], ["--no-compile"]], ids=["compiled", "eager"])
def test_divergence_after_the_first_batches_is_the_same_one_line(
    mode: list[str], tmp_path: Path
) -> None:
    pytest.importorskip("sklearn")
    out = tmp_path / "m.npz"
    r = run("train", "--optimizer", "sgd", "--lr", "100", "--epochs", "2", "--quiet", "--out",
            str(out), *mode)  # fmt: skip
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1] == (
        "tinygrad-nn: error: training diverged: the loss became nan (try a smaller --lr than "
        "100.0); no model was saved"
    )
    assert not out.exists()


def test_the_compiled_default_trains_bit_for_bit_as_no_compile(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    printed, weights = [], []
    for mode in ([], ["--no-compile"]):
        out = tmp_path / f"m{len(mode)}.npz"
        r = run("train", "--epochs", "3", "--quiet", "--out", str(out), *mode)
        assert r.returncode == 0 and not r.stderr, r.stderr
        timed = r" in [0-9.]+ s \((compiled|eager) training step\)$"
        printed.append(re.sub(timed, "", r.stdout.replace(str(out), "M"), flags=re.M))
        weights.append(nn.load(nn.MLP([64, 128, 64, 10]), out).state_dict())
    assert printed[0] == printed[1] and "final test accuracy" in printed[0]
    assert "(eager training step)" in r.stdout  # --no-compile
    for name, value in weights[0].items():
        assert np.array_equal(value, weights[1][name]), name


def test_the_main_job_replays_a_compiled_training_step() -> None:
    pytest.importorskip("sklearn")
    r = run("train", "--epochs", "2", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "(compiled training step)" in r.stdout


def test_divergence_from_a_huge_weight_decay_names_weight_decay(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    r = run("train", "--optimizer", "sgd", "--weight-decay", "1e30", "--epochs", "2", "--quiet")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "training diverged" in r.stderr and "or --weight-decay than 1e+30" in r.stderr


def test_help_shows_defaults() -> None:
    r = run("train", "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    for default in ("(default: 30)", "(default: 0.001)", "(default: adam)", "(default: [128, 64])"):
        assert default in text
    r = run("graph", "--help")
    assert "(default: TB)" in " ".join(r.stdout.split())  # drawings go top to bottom


def test_ctrl_c_during_training_is_one_line_exit_130_and_keeps_the_model(tmp_path: Path) -> None:
    import signal

    pytest.importorskip("sklearn")
    model = tmp_path / "m.npz"
    nn.save(nn.MLP([2, 2], rng=0), model)
    before = model.read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tinygrad_nn", "train", "--epochs", "1000", "--out", str(model)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for _ in range(2):  # the dataset and model lines: training has started
        assert proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "tinygrad-nn: interrupted"
    assert model.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("toy_1d", "(default: 30)"),
        ("digits_mlp", "(default: 0.001)"),
        ("nielsen_equivalence", "(default: 3.0)"),
        ("hidden_representations", "(default: 20)"),
    ],
)
def test_example_help_shows_defaults(
    name: str, default: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from tinygrad_nn.cli import main

    with pytest.raises(SystemExit) as info:
        main(["run", name, "--help"])
    assert info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.startswith(f"usage: tinygrad-nn run {name}") and default in out


def test_example_out_dir_that_is_a_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tinygrad_nn.examples import EXAMPLES

    from tinygrad_nn.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("x")
    for out_dir, message in ((blocker, "exists and is not a folder"), (blocker / "sub", "cannot")):
        for example in EXAMPLES:  # every example, before any training
            assert main(["run", example, "--fast", "--out-dir", str(out_dir)]) == 2
            out, err_text = capsys.readouterr()
            assert out == ""
            err = err_text.strip().splitlines()
            assert len(err) == 1 and f"--out-dir {out_dir}" in err[0] and message in err[0]
