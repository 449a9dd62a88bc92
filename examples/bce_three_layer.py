"""Seed 003: a 3-layer sigmoid network with binary cross-entropy, X of shape (n_x, m).

Z1 = W1 X + b1, A1 = sigmoid(Z1), Z2 = W2 A1 + b2, A2 = sigmoid(Z2) (n_y, m).
cost = 1/m sum over samples of -(Y log A2 + (1 - Y) log(1 - A2)), one value per output row.
The tutorial's hand-derived gradients, dZ2 = A2 - Y, dW2 = 1/m dZ2 A1^T, ...,
dZ1 = W2^T dZ2 * A1 (1 - A1), are the gradients of the sum of the rows' costs; `backward()`
on that sum gives the same numbers, which the script checks before training with batch
gradient descent and printing the mean cost per epoch (random labels: it falls slowly).
"""

from __future__ import annotations

import numpy as np
from tinygrad_nn.examples._common import out_dir, parser, positive_float, positive_int

import tinygrad_nn.functional as F
from tinygrad_nn import Tensor, optim


def make_problem(
    m: int, nx: int, ny: int, n1: int, rng: np.random.Generator
) -> tuple[Tensor, Tensor, list[Tensor]]:
    X = Tensor(rng.standard_normal((nx, m)), name="X")
    Y = Tensor(rng.integers(0, 2, (ny, m)).astype(np.float64), name="Y")
    scale = float(rng.random())  # the tutorial draws its parameter scale at random too
    W1 = Tensor(rng.standard_normal((n1, nx)) * scale, requires_grad=True, name="W1")
    b1 = Tensor(np.zeros((n1, 1)), requires_grad=True, name="b1")
    W2 = Tensor(rng.standard_normal((ny, n1)) * scale, requires_grad=True, name="W2")
    b2 = Tensor(np.zeros((ny, 1)), requires_grad=True, name="b2")
    return X, Y, [W1, b1, W2, b2]


def forward(X: Tensor, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor) -> tuple[Tensor, Tensor]:
    Z1 = W1 @ X + b1
    Z1.name = "Z1"
    A1 = Z1.sigmoid()
    A1.name = "A1"
    Z2 = W2 @ A1 + b2
    Z2.name = "Z2"
    A2 = Z2.sigmoid()
    A2.name = "A2"
    return A1, A2


def cost_per_output(A2: Tensor, Y: Tensor) -> Tensor:
    """(n_y,) BCE averaged over the m samples (columns) for each output row."""
    return F.binary_cross_entropy(A2, Y, reduction="none").mean(axis=1)


def hand_gradients(X: Tensor, Y: Tensor, A1: Tensor, A2: Tensor, W2: Tensor) -> list[np.ndarray]:
    m = Y.shape[1]
    dZ2 = A2.data - Y.data
    dW2 = dZ2 @ A1.data.T / m
    db2 = dZ2.sum(axis=1, keepdims=True) / m
    dZ1 = (W2.data.T @ dZ2) * A1.data * (1 - A1.data)
    dW1 = dZ1 @ X.data.T / m
    db1 = dZ1.sum(axis=1, keepdims=True) / m
    return [dW1, db1, dW2, db2]


def graph_loss() -> Tensor:
    X, Y, params = make_problem(8, 5, 2, 3, np.random.default_rng(0))
    _, A2 = forward(X, *params)
    loss = cost_per_output(A2, Y).sum()
    loss.name = "cost"
    return loss


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=positive_int, default=8, help="passes over the data")
    p.add_argument("--lr", type=positive_float, default=0.01, help="learning rate (> 0)")
    args = p.parse_args(argv)
    out_dir(args.out_dir)  # a bad --out-dir is refused before any work
    rng = np.random.default_rng(args.seed)
    m = 1000 if args.fast else 10000
    X, Y, params = make_problem(m, nx=100, ny=4, n1=12, rng=rng)
    print(f"X {X.shape}, Y {Y.shape}; " + ", ".join(f"{t.name} {t.shape}" for t in params))

    A1, A2 = forward(X, *params)
    cost_per_output(A2, Y).sum().backward()
    worst = max(
        float(np.abs(h - t.grad.data).max())  # type: ignore[union-attr]
        for h, t in zip(hand_gradients(X, Y, A1, A2, params[2]), params, strict=False)
    )
    print(f"max |backward() - hand-derived dW1, db1, dW2, db2|: {worst:.3e}")

    optimizer = optim.SGD(params, lr=args.lr)
    costs = []
    for epoch in range(1, args.epochs + 1):
        _, A2 = forward(X, *params)
        cost = cost_per_output(A2, Y)
        optimizer.zero_grad()
        cost.sum().backward()
        optimizer.step()
        costs.append(float(cost.data.mean()))
        print(f"{epoch:>3}/{args.epochs}: Cost={costs[-1]:.4f}")
    falling = all(b < a for a, b in zip(costs, costs[1:], strict=False))
    print("the cost falls every epoch" if falling else "the cost did not fall every epoch")
    return 0 if worst < 1e-10 and falling else 1


if __name__ == "__main__":
    raise SystemExit(main())
