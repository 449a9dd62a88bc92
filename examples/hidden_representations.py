"""Seed 001: watch a 2-unit hidden layer's representation and the decision boundary evolve.

A 2-D two-class dataset (concentric circles, as in the tutorial) goes through
Z1 = W1 X + b1, A1 = tanh(Z1) (8 units), Z2 = W2 A1 + b2, A2 = tanh(Z2) (2 units: the
representation we can draw), Z3 = W3 A2 + b3, A3 = sigmoid(Z3). Each frame shows, left, the
input space with the network's decision boundary A3 = 0.5 and, right, where every sample
sits in the 2-D hidden space together with the output layer's line W3 A2 + b3 = 0. Training
makes the classes linearly separable there. Writes hidden_representations.gif (matplotlib
frames assembled with Pillow) and loss_curve.png to --out-dir.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from tinygrad_nn.examples._common import (
    out_dir,
    parser,
    positive_float,
    positive_int,
    show_in_notebook,
)

import tinygrad_nn.functional as F
from tinygrad_nn import Tensor, no_grad, optim
from tinygrad_nn.data import circles

SIZES = [2, 8, 2, 1]


def init_params(rng: np.random.Generator) -> list[Tensor]:
    params = []
    for k in range(1, len(SIZES)):
        bound = np.sqrt(6.0 / (SIZES[k] + SIZES[k - 1]))  # Glorot uniform
        W = rng.uniform(-bound, bound, (SIZES[k], SIZES[k - 1]))
        params += [
            Tensor(W, requires_grad=True, name=f"W{k}"),
            Tensor(np.zeros((SIZES[k], 1)), requires_grad=True, name=f"b{k}"),
        ]
    return params


def forward(X: Tensor, params: list[Tensor]) -> tuple[Tensor, Tensor]:
    """Returns (A2, Z3): the 2-D hidden representation and the output logits."""
    W1, b1, W2, b2, W3, b3 = params
    Z1 = W1 @ X + b1
    Z1.name = "Z1"
    A1 = Z1.tanh()
    A1.name = "A1"
    Z2 = W2 @ A1 + b2
    Z2.name = "Z2"
    A2 = Z2.tanh()
    A2.name = "A2"
    Z3 = W3 @ A2 + b3
    Z3.name = "Z3"
    return A2, Z3


def dataset(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = circles(n, noise=0.08, factor=0.4, seed=seed, dtype=np.float64)
    return X.T.copy(), y.reshape(1, -1).astype(np.float64)  # X (2, m), Y (1, m)


def loss_of(X: Tensor, Y: Tensor, params: list[Tensor]) -> Tensor:
    _, Z3 = forward(X, params)
    loss = F.binary_cross_entropy_with_logits(Z3, Y)
    loss.name = "loss"
    return loss


def graph_loss() -> Tensor:
    X, Y = dataset(8, 0)
    return loss_of(Tensor(X, name="X"), Tensor(Y), init_params(np.random.default_rng(0)))


def _snapshot(X: np.ndarray, params: list[Tensor], grid: np.ndarray) -> dict[str, np.ndarray]:
    with no_grad():
        A2, _ = forward(Tensor(X), params)
        _, Zg = forward(Tensor(grid), params)
    W3, b3 = params[4].data.copy(), params[5].data.copy()
    return {"hidden": A2.data.copy(), "grid_logits": Zg.data.copy(), "W3": W3, "b3": b3}


def _render(
    frames: list[dict[str, Any]], X: np.ndarray, Y: np.ndarray, path: Path, dpi: int
) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    colors = np.where(Y[0] > 0.5, "tab:orange", "tab:blue")
    lim = 1.4
    xs = np.linspace(-lim, lim, int(np.sqrt(frames[0]["grid_logits"].shape[1])))
    images = []
    for f in frames:
        fig = Figure(figsize=(8, 4), dpi=dpi)
        FigureCanvasAgg(fig)
        ax_in, ax_h = fig.subplots(1, 2)
        Zg = f["grid_logits"].reshape(len(xs), len(xs))
        ax_in.contourf(xs, xs, Zg > 0, levels=[-0.5, 0.5, 1.5], colors=["#cfe2f3", "#fde5cc"])
        ax_in.contour(xs, xs, Zg, levels=[0.0], colors="k", linewidths=1)
        ax_in.scatter(X[0], X[1], c=colors, s=6)
        ax_in.set(title=f"input space, epoch {f['epoch']}", xlim=(-lim, lim), ylim=(-lim, lim))
        H = f["hidden"]
        ax_h.scatter(H[0], H[1], c=colors, s=6)
        w, b = f["W3"][0], f["b3"][0, 0]
        t = np.linspace(-1.1, 1.1, 2)
        if abs(w[1]) > 1e-9:  # the output layer's boundary w . a + b = 0 in hidden space
            ax_h.plot(t, -(w[0] * t + b) / w[1], "k-", lw=1)
        elif abs(w[0]) > 1e-9:
            ax_h.axvline(-b / w[0], color="k", lw=1)
        ax_h.set(
            title=f"hidden layer A2 (2 units), loss {f['loss']:.3f}",
            xlim=(-1.1, 1.1),
            ylim=(-1.1, 1.1),
        )
        fig.tight_layout()
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]
        images.append(Image.fromarray(rgba[..., :3].copy()))
    images[0].save(path, save_all=True, append_images=images[1:], duration=250, loop=0)


def _loss_curve(losses: list[float], path: Path, dpi: int) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.5), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.plot(np.arange(1, len(losses) + 1), losses)
    ax.set(xlabel="epoch", ylabel="binary cross-entropy", title="training loss", yscale="log")
    fig.tight_layout()
    fig.savefig(path)


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=positive_int, default=300, help="passes over the data")
    p.add_argument("--frames", type=positive_int, default=20, help="frames in the GIF")
    p.add_argument("--lr", type=positive_float, default=0.02, help="learning rate (> 0)")
    args = p.parse_args(argv)
    epochs, n_frames, n, dpi, res = (
        (60, 4, 200, 50, 40) if args.fast else (args.epochs, args.frames, 600, 80, 80)
    )
    folder = out_dir(args.out_dir)
    rng = np.random.default_rng(args.seed)
    X, Y = dataset(n, args.seed)
    params = init_params(rng)
    optimizer = optim.Adam(params, lr=args.lr)
    g = np.linspace(-1.4, 1.4, res)
    grid = np.stack([a.ravel() for a in np.meshgrid(g, g)])  # (2, res*res)
    keep = set(np.linspace(0, epochs, n_frames).astype(int).tolist())

    losses: list[float] = []
    frames: list[dict[str, Any]] = []
    for epoch in range(epochs + 1):
        if epoch > 0:  # full-batch Adam steps
            loss = loss_of(Tensor(X), Tensor(Y), params)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        if epoch in keep:
            with no_grad():
                current = loss_of(Tensor(X), Tensor(Y), params).item()
            frames.append({"epoch": epoch, "loss": current, **_snapshot(X, params, grid)})
    with no_grad():
        _, Z3 = forward(Tensor(X), params)
    acc = float(np.mean((Z3.data > 0) == (Y > 0.5)))
    gif, png = folder / "hidden_representations.gif", folder / "loss_curve.png"
    _render(frames, X, Y, gif, dpi)
    _loss_curve(losses, png, dpi)
    print(f"{epochs} epochs: loss {losses[0]:.4f} -> {losses[-1]:.4f}, training accuracy {acc:.3f}")
    print(f"wrote {gif} ({len(frames)} frames) and {png}")
    show_in_notebook(gif)
    show_in_notebook(png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
