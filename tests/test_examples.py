"""Every example runs in --fast mode, and reproduces what its tutorial shows."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pytest
from tinygrad_nn.examples import EXAMPLES

from tinygrad_nn import Tensor

NEEDS = {"digits_mlp": ["sklearn", "safetensors"], "hidden_representations": ["matplotlib", "PIL"]}


def _module(name: str):  # type: ignore[no-untyped-def]
    for dep in NEEDS.get(name, []):
        pytest.importorskip(dep)
    return importlib.import_module(f"tinygrad_nn.examples.{name}")


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_runs_fast_and_succeeds(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = _module(name)
    assert module.main(["--fast", "--out-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip()


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_graph_loss_is_an_unbackwarded_scalar(name: str) -> None:
    loss = _module(name).graph_loss()
    assert isinstance(loss, Tensor) and loss.numel() == 1 and loss.op is not None
    assert loss.grad is None and loss._op.released is False  # type: ignore[union-attr]
    loss.backward()  # the graph is whole: backward works once


def test_shapes_walkthrough_prints_the_seed_tables(capsys: pytest.CaptureFixture[str]) -> None:
    _module("shapes_walkthrough").main([])
    out = capsys.readouterr().out
    expected = {
        "W1": (8, 10),
        "b1": (8, 1),
        "W2": (5, 8),
        "b2": (5, 1),
        "W3": (3, 5),
        "b3": (3, 1),
        "Z1": (8, 100),
        "A1": (8, 100),
        "Z2": (5, 100),
        "A2": (5, 100),
        "Z3": (3, 100),
        "A3": (3, 100),
        "dW1": (8, 10),
        "db1": (8, 1),
        "dW2": (5, 8),
        "db2": (5, 1),
        "dW3": (3, 5),
        "db3": (3, 1),
    }
    for name, shape in expected.items():
        assert re.search(rf"^{name}\s+\({shape[0]}, {shape[1]}\)$", out, re.M), name


def test_nielsen_equivalence_weight_for_weight() -> None:
    result = _module("nielsen_equivalence").compare(epochs=2, batch_size=10, eta=3.0, n=200, seed=0)
    assert result["moved"] > 0.1  # training really changed the weights
    assert result["columns"] < 1e-12 and result["mlp"] < 1e-12


def test_relu_softmax_uses_the_tutorial_initial_parameters() -> None:
    module = _module("relu_softmax")
    X, Y, params = module.tutorial_data_and_params()
    np.testing.assert_allclose(
        params[0][0], [0.01624345, -0.00611756, -0.00528172, -0.01072969, 0.00865408], atol=5e-9
    )
    np.testing.assert_allclose(params[1][:3, 0], [0.0030017, -0.0035225, -0.01142518], atol=5e-9)
    assert X.shape == (5, 10) and Y.shape == (4, 10) and np.all(Y.sum(axis=0) == 1)


def test_bce_three_layer_cost_falls_each_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    assert _module("bce_three_layer").main(["--fast", "--epochs", "4"]) == 0
    costs = [float(c) for c in re.findall(r"Cost=([0-9.]+)", capsys.readouterr().out)]
    assert len(costs) == 4 and costs == sorted(costs, reverse=True) and costs[0] > costs[-1]


def test_hidden_representations_writes_gif_and_png(tmp_path: Path) -> None:
    _module("hidden_representations").main(["--fast", "--out-dir", str(tmp_path)])
    from PIL import Image

    with Image.open(tmp_path / "hidden_representations.gif") as gif:
        assert gif.format == "GIF" and gif.n_frames == 4
    with Image.open(tmp_path / "loss_curve.png") as png:
        assert png.format == "PNG"


TUTORIAL_NAMES = {
    "shapes_walkthrough": ["W1", "b3", "Z2", "A3"],
    "toy_1d": ["W1", "b1", "W3", "Z3", "A3"],
    "nielsen_equivalence": ["W1", "b2", "Z1", "A3"],
    "hidden_representations": ["W1", "b3", "A2", "Z3"],
    "bce_three_layer": ["W1", "b2", "Z1", "A2"],
    "relu_softmax": ["W1", "b3", "Z2", "Z3"],
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_graph_loss_draws_with_the_tutorial_names(name: str) -> None:
    viz = pytest.importorskip("tinygrad_nn.viz")
    source = viz.draw(_module(name).graph_loss()).source
    for label in TUTORIAL_NAMES.get(name, []):
        assert label in source, label
    assert "matmul" in source
