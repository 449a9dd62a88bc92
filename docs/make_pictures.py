"""Regenerate the pictures of docs/graphs.md:  python docs/make_pictures.py [out_dir] [--png]

Needs a Graphviz renderer (system `dot`, or `pip install graphviz-pure`) and Pillow for the GIF.
Every picture is drawn from a graph built here, so the docs show what the code draws today.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import tinygrad_nn.functional as F
from tinygrad_nn import Tensor, nn, ops
from tinygrad_nn.autograd import apply
from tinygrad_nn.viz import (
    backward_frames,
    check_graph,
    draw,
    draw_frame,
    render,
    save_replay_gif,
    save_replay_html,
)


def tutorial_mlp(m: int = 100) -> dict[str, Tensor]:
    """The 10-8-3 sigmoid net of the tutorials, columns are samples, J = 1/(2m) sum (A2-Y)^2."""
    rng = np.random.default_rng(0)
    t = {
        "X": Tensor(rng.normal(size=(10, m)), name="X"),
        "Y": Tensor(rng.random(size=(3, m)), name="Y"),
        "W1": Tensor(rng.normal(size=(8, 10)) * 0.5, requires_grad=True, name="W1"),
        "b1": Tensor(np.zeros((8, 1)), requires_grad=True, name="b1"),
        "W2": Tensor(rng.normal(size=(3, 8)) * 0.5, requires_grad=True, name="W2"),
        "b2": Tensor(np.zeros((3, 1)), requires_grad=True, name="b2"),
    }
    A1 = (t["W1"] @ t["X"] + t["b1"]).sigmoid()
    A2 = (t["W2"] @ A1 + t["b2"]).sigmoid()
    t["J"] = ((A2 - t["Y"]) ** 2).sum() / (2 * m)
    return t


class WrongMul(ops.Mul):
    """Z = A * B with a deliberately wrong dA (10% too large)."""

    __slots__ = ()
    name = "wrong_mul"

    def backward(self, dZ: np.ndarray) -> tuple[np.ndarray | None, ...]:
        a, b = self.saved
        return dZ * b * 1.1, dZ * a


def main(out: Path, png: bool = False) -> None:
    """Write the pictures into `out` (SVG; with `png` also a PNG of each, to look at)."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(drawing: object, name: str) -> None:
        written.append(render(drawing, out / f"{name}.svg"))  # type: ignore[arg-type]
        if png:
            written.append(render(drawing, out / f"{name}.png"))  # type: ignore[arg-type]

    t = tutorial_mlp()
    save(draw(t["J"]), "mlp")
    t["J"].backward()
    save(draw(t["J"], notation="math"), "mlp_math")

    rng = np.random.default_rng(0)
    model = nn.MLP([4, 8, 3], rng=rng)
    x = Tensor(rng.normal(size=(5, 4)).astype(np.float32), name="x")
    loss = F.cross_entropy(model(x), np.array([0, 2, 1, 1, 0]))
    loss.backward()
    save(draw(loss, show_data=True), "modules")

    x = Tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
    w = Tensor([0.5, -1.0, 2.0], requires_grad=True, name="w")
    y = x * w
    y.name = "y"
    frames = backward_frames((y * y + y).sum())
    save(draw_frame(frames[2], frames[-1]), "replay_step3")
    written.append(save_replay_html(frames, out / "replay.html", title="replay of sum(y*y + y)"))
    written.append(save_replay_gif(frames, out / "replay.gif"))

    a = Tensor(rng.normal(size=(3, 4)), requires_grad=True, name="a")
    b = Tensor(rng.normal(size=(3, 4)), requires_grad=True, name="b")
    bad = (apply(WrongMul, a, b).tanh() * 3.0).sum()
    save(check_graph(bad).draw(), "check_graph")

    with np.errstate(all="ignore"):
        v = Tensor([1.0, -1.0, 2.0], requires_grad=True, name="v")
        nan_loss = (v.log() * 2.0).exp().sum()
    save(draw(nan_loss, show_data=True), "nonfinite")

    h = Tensor(np.ones(3), requires_grad=True, name="h")
    for _ in range(50_000):
        h = h * 1.0001 + 0.5
    save(draw(h.sum(), max_nodes=20), "collapsed_chain")
    deep = nn.MLP([16, 32, 32, 32, 32, 32, 10], rng=rng)
    deep_loss = deep(Tensor(rng.normal(size=(8, 16)).astype(np.float32), name="x")).sum()
    save(draw(deep_loss, max_nodes=12), "collapsed_modules")
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--png"]
    main(Path(args[0]) if args else Path(__file__).resolve().parent / "img", "--png" in sys.argv)
