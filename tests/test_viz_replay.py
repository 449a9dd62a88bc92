"""Backward replay: frames in the engine's order, accumulated gradients, HTML / SVG / GIF export."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from viz_helpers import column_mlp

import tinygrad_nn.viz.rendering as render_module
from tinygrad_nn import Tensor
from tinygrad_nn.autograd import backward_steps
from tinygrad_nn.viz import (
    backward_frames,
    draw_frame,
    replay_html,
    save_replay_gif,
    save_replay_html,
    save_replay_svgs,
)
from tinygrad_nn.viz._graph import is_op, topo_order

has_renderer = render_module.find_renderer() is not None or shutil.which("dot") is not None
needs_renderer = pytest.mark.skipif(not has_renderer, reason="no dot and no graphviz-pure")


def reused() -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """y = x * w is used three times: z = sum(y * y + y)."""
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
    w = Tensor([0.5, -1.0, 2.0], requires_grad=True, name="w")
    y = x * w
    y.name = "y"
    z = (y * y + y).sum()
    return x, w, y, z


def test_one_frame_per_step_in_reverse_topological_order() -> None:
    t = column_mlp()
    frames = backward_frames(t["J"])
    ops = [u for u in topo_order(t["J"]) if is_op(u)]
    assert len(frames) == len(ops) == 10
    assert frames[0].tensor is t["J"] and frames[0].op is t["J"]._op
    position = {id(f.op): k for k, f in enumerate(frames)}
    for f in frames:  # every op is processed after every op that consumes it
        for p in f.op.inputs:
            if is_op(p):
                assert position[id(p)] > position[id(f.op)]
    # same steps as the engine's own sweep on an identical graph
    same = column_mlp()
    names = [s.op.name for s in backward_steps(same["J"])]
    assert [f.op.name for f in frames] == names
    assert [f.index for f in frames] == list(range(10))


def test_accumulated_gradients_and_reuse() -> None:
    x, w, y, z = reused()
    frames = backward_frames(z)
    assert [f.op.name for f in frames] == ["sum", "add", "mul", "mul"]
    after_add, after_square, last = frames[1], frames[2], frames[3]
    # add sends dZ = 1 to y directly (first use) and to y*y
    assert after_add.uses(y) == 1
    np.testing.assert_allclose(after_add.grad(y), np.ones(3))
    # y*y sends 2 more contributions (both inputs are y): 1 + y + y = 2y + 1
    assert after_square.uses(y) == 3
    np.testing.assert_allclose(after_square.grad(y), 2 * y.data + 1)
    # the last step fills the leaves, and they match what backward wrote
    np.testing.assert_allclose(last.grad(x), (2 * y.data + 1) * w.data)
    np.testing.assert_allclose(x.grad, last.grad(x))
    np.testing.assert_allclose(w.grad, (2 * y.data + 1) * x.data)
    assert last.grad(x) is not x.grad  # frames hold copies, not the live buffers
    assert "sends grad (3,) to x, grad (3,) to w" in last.describe()


def test_frame_drawing_marks_step_flow_and_accumulation() -> None:
    x, w, y, z = reused()
    frames = backward_frames(z)
    src = draw_frame(frames[2], frames[-1]).source
    assert 'label="step 3/4: backward of mul' in src
    assert src.count('fillcolor="#ffb347"') == 1  # the processed node only
    assert src.count('label="dy (3,) norm') == 2  # y*y: both edges from y carry a gradient
    assert "grad summed from 3 uses" in src
    assert "grad: not reached yet" in src  # x and w wait for the last step
    assert "not reached yet" not in draw_frame(frames[-1], frames[-1]).source


@needs_renderer
def test_html_page_is_self_contained(tmp_path: Path) -> None:
    x, w, y, z = reused()
    frames = backward_frames(z)
    out = save_replay_html(frames, tmp_path / "replay.html", svg_dir=tmp_path / "svg")
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == len(frames) == 4
    assert 'max="3"' in page and "<button" in page and 'type="range"' in page
    # no network: no external scripts, styles, images or fonts
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    assert "@import" not in page and "url(" not in page
    assert sorted(p.name for p in (tmp_path / "svg").iterdir()) == [
        f"frame_00{k}.svg" for k in range(4)
    ]
    assert "step 1/4" in page and "step 4/4" in page
    # the page fits the window: a fixed bar, a scrolling view, zoom and the current op marked
    assert "#view {" in page and "overflow: auto" in page and 'id="fit"' in page
    assert page.count('id="current"') == 4


@needs_renderer
def test_svgs_and_gif(tmp_path: Path) -> None:
    from PIL import Image

    _, _, _, z = reused()
    frames = backward_frames(z)
    paths = save_replay_svgs(frames, tmp_path)
    assert [p.read_bytes().count(b"<svg") for p in paths] == [1, 1, 1, 1]
    gif = save_replay_gif(frames, tmp_path / "r.gif", duration_ms=500)
    img = Image.open(gif)
    assert img.format == "GIF" and img.n_frames == 4 and img.width <= 1400
    assert replay_html(frames).count("<svg") == 4


def test_replay_is_a_real_backward() -> None:
    t = column_mlp()
    backward_frames(t["J"])
    ref = column_mlp()
    ref["J"].backward()
    for name in ["W1", "b1", "W2", "b2"]:
        np.testing.assert_allclose(t[name].grad, ref[name].grad)
    with pytest.raises(RuntimeError, match="released"):
        backward_frames(t["J"])  # the graph was released like after backward()


def test_math_notation_names_the_deltas() -> None:
    t = column_mlp()
    frames = backward_frames(t["J"])
    src = draw_frame(frames[-1], frames[-1], notation="math").source
    assert "dZ[1] (8, 100) norm" in src and "dA[1] (8, 100) norm" in src
    assert "dW[1] (8, 10) norm" in src and "db[2] (3, 1) norm" in src


def test_captions_and_labels_agree_in_math_notation() -> None:
    """The caption names the op as its node does, and the gradient it processes as the
    node's gradient is named: dA on an activation, dZ on a pre-activation."""
    t = column_mlp()
    frames = backward_frames(t["J"])
    by_op = {f.op.name: f for f in frames}
    sigmoid = [f for f in frames if f.op.name == "sigmoid"][0]  # A[2], processed first
    src = draw_frame(sigmoid, frames[-1], notation="math").source
    from tinygrad_nn.viz.drawing import read_graph

    caption = sigmoid.describe(read_graph(t["J"], "math"))
    assert caption.startswith(f"step {sigmoid.index + 1}/10: backward of A[2] = sigmoid")
    assert "dZ[2] = dA[2] * A[2] (1 - A[2])" in caption
    assert "processing: dA[2] norm" in src and "processing: dZ" not in src
    add = draw_frame(by_op["add"], frames[-1], notation="math").source
    assert "processing: dZ[1] norm" in add  # the last add run is layer 1's
