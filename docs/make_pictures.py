"""Regenerate the pictures of docs/graphs.md:  python docs/make_pictures.py [out_dir] [--png]

Needs a Graphviz renderer (system `dot`, or `pip install graphviz-pure`) and Pillow for the GIF.
Every picture is drawn from a graph built here, so the docs show what the code draws today.

`--defaults-only` writes just the default drawings of three graphs (the `tinygrad-nn train`
loss, the `relu_softmax` example, a 4-layer MLP; plain and math notation, after backward):
run from an older checkout (PYTHONPATH=<checkout>) it gives the "before" pictures.
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


def train_loss() -> Tensor:
    """One batch's loss of `tinygrad-nn train` with its defaults (digits, MLP 64-128-64-10)."""
    from tinygrad_nn.data import load_digits, standardize, train_test_split

    X, y = load_digits()
    Xtr, _, ytr, _ = train_test_split(X, y, test_size=0.2, seed=0)
    Xtr, _, _ = standardize(Xtr)
    model = nn.MLP([64, 128, 64, 10], rng=np.random.default_rng(0))
    x = Tensor(Xtr[:32], name="x")
    loss = F.cross_entropy(model(x), Tensor(ytr[:32], name="y"))
    loss.name = "loss"
    return loss


def mlp4_loss() -> Tensor:
    """A 4-layer nn.MLP (rows are samples) on 6 samples of 20 features, 5 classes."""
    rng = np.random.default_rng(1)
    model = nn.MLP([20, 32, 32, 32, 5], rng=rng)
    x = Tensor(rng.normal(size=(6, 20)).astype(np.float32), name="x")
    return F.cross_entropy(model(x), np.array([0, 1, 2, 3, 4, 0]))


def default_drawings() -> dict[str, object]:
    """name -> default drawing (after backward) of the three graphs a student meets first."""
    from tinygrad_nn.examples.relu_softmax import graph_loss as relu_softmax_loss

    out: dict[str, object] = {}
    graphs = (("train", train_loss), ("relu_softmax", relu_softmax_loss), ("mlp4", mlp4_loss))
    for name, make in graphs:
        loss = make()
        loss.backward()
        out[f"default_{name}"] = draw(loss)
        out[f"default_{name}_math"] = draw(loss, notation="math")
    return out


def _screenshot(page: Path, png: Path) -> list[Path]:
    """A 1,400 x 900 browser window's view of `page` (needs chromium; skipped without it)."""
    import shutil
    import subprocess
    import tempfile

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return []
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--window-size=1400,900", f"--screenshot={png}",
             page.resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    return [png]


def main(out: Path, png: bool = False, defaults_only: bool = False) -> None:
    """Write the pictures into `out` (SVG; with `png` also a PNG of each, to look at)."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(drawing: object, name: str, as_png: bool = False) -> None:
        written.append(render(drawing, out / f"{name}.svg"))  # type: ignore[arg-type]
        if png or as_png:
            written.append(render(drawing, out / f"{name}.png"))  # type: ignore[arg-type]

    for name, drawing in default_drawings().items():
        save(drawing, name, as_png=True)  # the docs show these as PNG, before and after
    from tinygrad_nn.examples.relu_softmax import graph_loss as relu_softmax_loss

    frames = backward_frames(relu_softmax_loss())
    page = save_replay_html(frames, out / "replay_relu_softmax.html", notation="math")
    written += [page, save_replay_gif(frames, out / "replay_relu_softmax.gif", notation="math")]
    if png:
        written += _screenshot(page, out / "replay_relu_softmax_page.png")
    if defaults_only:
        for path in written:
            print(f"wrote {path}")
        return

    from tinygrad_nn.viz import record  # (newer than the "before" pictures' checkout)

    with record() as rec:  # on purpose: every value and every step's gradient
        recorded = relu_softmax_loss()
        recorded.backward()
    save(draw(recorded, notation="math", recording=rec), "every_edge_math", as_png=True)
    del rec

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
    save(check_graph(lambda: (apply(WrongMul, a, b).tanh() * 3.0).sum()).draw(), "check_graph")

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
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(
        Path(args[0]) if args else Path(__file__).resolve().parent / "img",
        png="--png" in sys.argv,
        defaults_only="--defaults-only" in sys.argv,
    )
