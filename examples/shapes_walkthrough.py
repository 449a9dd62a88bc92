"""Seed 000: the shapes of a 10-8-5-3 sigmoid network with m = 100 samples as columns.

Forward:  Z[l] = W[l] A[l-1] + b[l],  A[l] = sigmoid(Z[l]),  A[0] = X (n_x, m).
Cost:     J = 1/(2m) sum (A[3] - Y)^2.
Backward: delta[L] = 1/m (A[L] - Y) * g'(Z[L]),  delta[l] = (W[l+1]^T delta[l+1]) * g'(Z[l]),
          dW[l] = delta[l] A[l-1]^T,  db[l] = sum over samples of delta[l].
`backward()` computes every dW and db; the script checks them against these equations.
"""

from __future__ import annotations

import numpy as np
from tinygrad_nn.examples._common import out_dir, parser, table

from tinygrad_nn import Tensor

SIZES = [10, 8, 5, 3]  # n[0] = n_x, ..., n[3] = n_y


def build(m: int, rng: np.random.Generator) -> tuple[list[Tensor], list[Tensor], Tensor, Tensor]:
    """W[l] (n[l], n[l-1]) and b[l] (n[l], 1) as named float64 leaves, X (n_x, m), Y (n_y, m)."""
    Ws, bs = [], []
    for k in range(1, len(SIZES)):
        Ws.append(
            Tensor(rng.standard_normal((SIZES[k], SIZES[k - 1])), requires_grad=True, name=f"W{k}")
        )
        bs.append(Tensor(np.zeros((SIZES[k], 1)), requires_grad=True, name=f"b{k}"))
    X = Tensor(rng.standard_normal((SIZES[0], m)), name="X")
    Y = Tensor(rng.random((SIZES[-1], m)), name="Y")
    return Ws, bs, X, Y


def forward(Ws: list[Tensor], bs: list[Tensor], X: Tensor) -> tuple[list[Tensor], list[Tensor]]:
    Zs, As = [], [X]
    for k, (W, b) in enumerate(zip(Ws, bs, strict=False), start=1):
        Z = W @ As[-1] + b  # (n[l], m): b (n[l], 1) is broadcast over the m columns
        Z.name = f"Z{k}"
        A = Z.sigmoid()
        A.name = f"A{k}"
        Zs.append(Z)
        As.append(A)
    return Zs, As


def cost(A_L: Tensor, Y: Tensor) -> Tensor:
    m = Y.shape[1]
    J = ((A_L - Y) ** 2).sum() / (2 * m)
    J.name = "J"
    return J


def hand_backprop(
    Ws: list[Tensor], Zs: list[Tensor], As: list[Tensor], Y: Tensor
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The delta recursion in NumPy: [(dW1, db1), (dW2, db2), (dW3, db3)]."""
    m = Y.shape[1]
    A = [a.data for a in As]
    gprime = [a * (1 - a) for a in A[1:]]  # sigmoid'(Z[l]) = A[l] (1 - A[l])
    delta = (A[-1] - Y.data) / m * gprime[-1]  # delta[L]
    grads: list[tuple[np.ndarray, np.ndarray]] = []
    for k in range(len(Ws), 0, -1):
        grads.insert(0, (delta @ A[k - 1].T, delta.sum(axis=1, keepdims=True)))
        if k > 1:
            delta = (Ws[k - 1].data.T @ delta) * gprime[k - 2]
    return grads


def graph_loss() -> Tensor:
    Ws, bs, X, Y = build(4, np.random.default_rng(0))
    _, As = forward(Ws, bs, X)
    return cost(As[-1], Y)


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out_dir(args.out_dir)  # a bad --out-dir is refused before any work
    m = 100
    Ws, bs, X, Y = build(m, np.random.default_rng(args.seed))
    Zs, As = forward(Ws, bs, X)
    J = cost(As[-1], Y)

    rows = []
    for k in range(1, len(SIZES)):
        rows += [(f"W{k}", Ws[k - 1].shape), (f"b{k}", bs[k - 1].shape)]
    print(f"n = {SIZES}, m = {m}\n\nParameters")
    print(table(rows, ["name", "shape"]))
    rows = []
    for k in range(1, len(SIZES)):
        rows += [(f"Z{k}", Zs[k - 1].shape), (f"A{k}", As[k].shape)]
    print("\nForward pass (columns are samples)")
    print(table(rows, ["name", "shape"]))

    J.backward()
    print(f"\nJ = 1/(2m) sum (A3 - Y)^2 = {J.item():.6f}\n\nGradients after J.backward()")
    rows = []
    for k in range(1, len(SIZES)):
        rows += [(f"dW{k}", Ws[k - 1].grad.shape), (f"db{k}", bs[k - 1].grad.shape)]  # type: ignore[union-attr]
    print(table(rows, ["name", "shape"]))

    worst = 0.0
    for (dW, db), W, b in zip(hand_backprop(Ws, Zs, As, Y), Ws, bs, strict=False):
        dW_error = float(np.abs(dW - W.grad.data).max())  # type: ignore[union-attr]
        db_error = float(np.abs(db - b.grad.data).max())  # type: ignore[union-attr]
        worst = max(worst, dW_error, db_error)
    print(f"\nmax |backward() - delta equations| over all dW, db: {worst:.3e}")
    return 0 if worst < 1e-12 else 1


if __name__ == "__main__":
    raise SystemExit(main())
