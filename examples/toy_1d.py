"""Seed 001: the 1-D sign data and a [1, 3, 2, 1] sigmoid network, columns as samples.

x runs over [-5, 5]; the label is the sign of x, mapped from {-1, +1} to {0, 1} so that a
sigmoid output can reach it. The quadratic cost of Nielsen's book, per mini-batch,
C = 1/(2m) sum (A3 - Y)^2, is minimised by mini-batch SGD after `gradcheck` has confirmed
the gradients of every W and b against central finite differences. The SGD step is a
compiled step (`tinygrad_nn.compile`): the same updates bit for bit as the eager loop.
"""

from __future__ import annotations

import numpy as np
from tinygrad_nn.examples._common import out_dir, parser, positive_float, positive_int

import tinygrad_nn
from tinygrad_nn import Tensor, optim
from tinygrad_nn.data import toy_sign

SIZES = [1, 3, 2, 1]


def init_params(rng: np.random.Generator) -> list[Tensor]:
    """[W1, b1, W2, b2, W3, b3]: W[l] (n[l], n[l-1]) ~ N(0, 1), b[l] (n[l], 1) ~ N(0, 1)."""
    params = []
    for k in range(1, len(SIZES)):
        params.append(
            Tensor(rng.standard_normal((SIZES[k], SIZES[k - 1])), requires_grad=True, name=f"W{k}")
        )
        params.append(Tensor(rng.standard_normal((SIZES[k], 1)), requires_grad=True, name=f"b{k}"))
    return params


def forward(X: Tensor, *params: Tensor) -> Tensor:
    A = X  # A0 (1, m)
    for k in range(1, len(SIZES)):
        W, b = params[2 * k - 2], params[2 * k - 1]
        Z = W @ A + b
        Z.name = f"Z{k}"
        A = Z.sigmoid()
        A.name = f"A{k}"
    return A


def quadratic_cost(A_L: Tensor, Y: Tensor) -> Tensor:
    C = ((A_L - Y) ** 2).sum() * (0.5 / Y.shape[1])
    C.name = "C"
    return C


def data() -> tuple[np.ndarray, np.ndarray]:
    """X (1, N) and Y (1, N) in {0, 1}: samples are columns."""
    x, y = toy_sign(1000)
    return x.T.copy(), ((y.T + 1) // 2).astype(np.float64)


def graph_loss() -> Tensor:
    X, Y = data()
    params = init_params(np.random.default_rng(0))
    cols = np.array([0, 300, 600, 999])
    return quadratic_cost(forward(Tensor(X[:, cols]), *params), Tensor(Y[:, cols]))


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=positive_int, default=30, help="passes over the data")
    p.add_argument("--lr", type=positive_float, default=3.0, help="learning rate eta (> 0)")
    p.add_argument("--batch-size", type=positive_int, default=10, help="samples per step")
    args = p.parse_args(argv)
    out_dir(args.out_dir)  # a bad --out-dir is refused before any work
    epochs = min(args.epochs, 5) if args.fast else args.epochs
    rng = np.random.default_rng(args.seed)

    X, Y = data()
    N = X.shape[1]
    print(
        f"toy data: X {X.shape}, Y {Y.shape}; first inputs {X[0, :3].round(4)}, labels {Y[0, :3]}"
    )
    params = init_params(rng)
    print("parameters: " + ", ".join(f"{t.name} {t.shape}" for t in params))

    cols = rng.choice(N, size=20, replace=False)
    ok = tinygrad_nn.gradcheck(
        lambda *ps: quadratic_cost(forward(Tensor(X[:, cols]), *ps), Tensor(Y[:, cols])), params
    )
    print(f"gradcheck of C against central differences (float64): {'passed' if ok else 'FAILED'}")

    optimizer = optim.SGD(params, lr=args.lr)

    @tinygrad_nn.compile  # recorded at its first two calls, then replayed (docs/compile.md)
    def sgd_step(x: Tensor, y: Tensor) -> Tensor:
        C = quadratic_cost(forward(x, *params), y)
        optimizer.zero_grad()
        C.backward()
        optimizer.step()
        return C

    for epoch in range(1, epochs + 1):
        order = rng.permutation(N)
        for start in range(0, N, args.batch_size):
            batch = order[start : start + args.batch_size]
            sgd_step(Tensor(X[:, batch]), Tensor(Y[:, batch]))
        with tinygrad_nn.no_grad():
            A3 = forward(Tensor(X), *params)
            cost = quadratic_cost(A3, Tensor(Y)).item()
        acc = float(np.mean((A3.data > 0.5) == (Y > 0.5)))
        print(f"epoch {epoch:>3}/{epochs}: cost {cost:.5f}, accuracy {acc:.3f}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
