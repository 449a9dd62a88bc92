"""Seed 001: tinygrad_nn's mini-batch SGD reproduces a per-sample NumPy network weight for weight.

`PerSampleNetwork` follows the structure of Nielsen's network.py (columns are samples, a
backprop pass per training example, gradients summed over the mini-batch, then
w <- w - eta/m * sum nabla_w). The same initial weights, the same mini-batch order and the
quadratic cost C = 1/(2m) sum ||a - y||^2 are then trained twice more with tinygrad_nn:
once with named W/b tensors in the tutorial's notation and once with `nn.MLP` (rows are
samples), both in float64 with `optim.SGD`. The printed differences are rounding noise.
"""

from __future__ import annotations

import numpy as np
from tinygrad_nn.examples._common import out_dir, parser, positive_float, positive_int

from tinygrad_nn import Tensor, nn, optim
from tinygrad_nn.data import toy_sign

SIZES = [1, 3, 2, 1]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class PerSampleNetwork:
    """Plain NumPy, one example at a time: the reference implementation."""

    def __init__(self, weights: list[np.ndarray], biases: list[np.ndarray]) -> None:
        self.weights = [w.copy() for w in weights]  # W[l] (n[l], n[l-1])
        self.biases = [b.copy() for b in biases]  # b[l] (n[l], 1)

    def feedforward(self, a: np.ndarray) -> np.ndarray:
        for w, b in zip(self.weights, self.biases, strict=False):
            a = sigmoid(w @ a + b)
        return a

    def backprop(self, x: np.ndarray, y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of C_x = 1/2 ||a - y||^2 for one example x (n0, 1)."""
        activations, zs = [x], []
        for w, b in zip(self.weights, self.biases, strict=False):
            zs.append(w @ activations[-1] + b)
            activations.append(sigmoid(zs[-1]))
        a_L = activations[-1]
        delta = (a_L - y) * a_L * (1 - a_L)  # BP1
        nabla_w = [np.zeros_like(w) for w in self.weights]
        nabla_b = [np.zeros_like(b) for b in self.biases]
        nabla_w[-1] = delta @ activations[-2].T  # BP4
        nabla_b[-1] = delta  # BP3
        for k in range(2, len(self.weights) + 1):
            a = activations[-k]
            delta = (self.weights[-k + 1].T @ delta) * a * (1 - a)  # BP2
            nabla_w[-k] = delta @ activations[-k - 1].T
            nabla_b[-k] = delta
        return nabla_w, nabla_b

    def update_mini_batch(self, xs: np.ndarray, ys: np.ndarray, eta: float) -> None:
        """xs (n0, m), ys (nL, m): sum the per-example gradients, then one step."""
        sum_w = [np.zeros_like(w) for w in self.weights]
        sum_b = [np.zeros_like(b) for b in self.biases]
        m = xs.shape[1]
        for i in range(m):
            dw, db = self.backprop(xs[:, i : i + 1], ys[:, i : i + 1])
            sum_w = [s + d for s, d in zip(sum_w, dw, strict=False)]
            sum_b = [s + d for s, d in zip(sum_b, db, strict=False)]
        self.weights = [w - eta / m * s for w, s in zip(self.weights, sum_w, strict=False)]
        self.biases = [b - eta / m * s for b, s in zip(self.biases, sum_b, strict=False)]


def quadratic_cost(A_L: Tensor, Y: Tensor, sample_axis: int) -> Tensor:
    return ((A_L - Y) ** 2).sum() * (0.5 / Y.shape[sample_axis])


def forward_columns(X: Tensor, params: list[Tensor]) -> Tensor:
    A = X
    for k in range(1, len(SIZES)):
        Z = params[2 * k - 2] @ A + params[2 * k - 1]
        Z.name = f"Z{k}"
        A = Z.sigmoid()
        A.name = f"A{k}"
    return A


def initial_weights(rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    weights = [rng.standard_normal((n, k)) for k, n in zip(SIZES[:-1], SIZES[1:], strict=False)]
    biases = [rng.standard_normal((n, 1)) for n in SIZES[1:]]
    return weights, biases


def compare(epochs: int, batch_size: int, eta: float, n: int, seed: int) -> dict[str, float]:
    """Train all three ways; return max |difference| to the per-sample reference per variant."""
    rng = np.random.default_rng(seed)
    x, y = toy_sign(n)
    X, Y = x.T.copy(), (y.T + 1) / 2.0  # (1, n) each, float64
    weights, biases = initial_weights(rng)
    orders = [rng.permutation(n) for _ in range(epochs)]

    ref = PerSampleNetwork(weights, biases)
    params = []
    for k, (w, b) in enumerate(zip(weights, biases, strict=False), start=1):
        params += [
            Tensor(w.copy(), requires_grad=True, name=f"W{k}"),
            Tensor(b.copy(), requires_grad=True, name=f"b{k}"),
        ]
    mlp = nn.MLP(SIZES, activation="sigmoid", output_activation="sigmoid", dtype=np.float64)
    linears = [m for m in mlp if isinstance(m, nn.Linear)]
    for lin, w, b in zip(linears, weights, biases, strict=False):
        lin.weight.data[...] = w
        lin.bias.data[...] = b[:, 0]  # type: ignore[union-attr]
    opt_cols = optim.SGD(params, lr=eta)
    opt_mlp = optim.SGD(mlp.parameters(), lr=eta)

    for order in orders:
        for start in range(0, n, batch_size):
            cols = order[start : start + batch_size]
            ref.update_mini_batch(X[:, cols], Y[:, cols], eta)

            C = quadratic_cost(forward_columns(Tensor(X[:, cols]), params), Tensor(Y[:, cols]), 1)
            opt_cols.zero_grad()
            C.backward()
            opt_cols.step()

            C = quadratic_cost(mlp(Tensor(X[:, cols].T)), Tensor(Y[:, cols].T), 0)
            opt_mlp.zero_grad()
            C.backward()
            opt_mlp.step()

    diff_cols = max(
        float(np.abs(t.data - r).max())
        for t, r in zip(
            params,
            [a for pair in zip(ref.weights, ref.biases, strict=False) for a in pair],
            strict=False,
        )
    )
    diff_mlp = max(
        max(float(np.abs(lin.weight.data - w).max()), float(np.abs(lin.bias.data - b[:, 0]).max()))  # type: ignore[union-attr]
        for lin, w, b in zip(linears, ref.weights, ref.biases, strict=False)
    )
    moved = max(float(np.abs(w0 - w).max()) for w0, w in zip(weights, ref.weights, strict=False))
    return {"columns": diff_cols, "mlp": diff_mlp, "moved": moved}


def graph_loss() -> Tensor:
    weights, biases = initial_weights(np.random.default_rng(0))
    params = []
    for k, (w, b) in enumerate(zip(weights, biases, strict=False), start=1):
        params += [
            Tensor(w, requires_grad=True, name=f"W{k}"),
            Tensor(b, requires_grad=True, name=f"b{k}"),
        ]
    X = Tensor(np.array([[-2.0, -0.5, 0.5, 2.0]]), name="X")
    Y = Tensor(np.array([[0.0, 0.0, 1.0, 1.0]]), name="Y")
    C = quadratic_cost(forward_columns(X, params), Y, 1)
    C.name = "C"
    return C


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=positive_int, default=10, help="passes over the data")
    p.add_argument("--batch-size", type=positive_int, default=10, help="samples per step")
    p.add_argument("--eta", type=positive_float, default=3.0, help="learning rate eta (> 0)")
    args = p.parse_args(argv)
    out_dir(args.out_dir)  # a bad --out-dir is refused before any work
    n, epochs = (200, 2) if args.fast else (1000, args.epochs)
    result = compare(epochs, args.batch_size, args.eta, n, args.seed)
    print(
        f"{epochs} epochs of mini-batch SGD (batch {args.batch_size}, eta {args.eta}) "
        f"on {n} toy samples"
    )
    print(f"largest weight change during training:               {result['moved']:.4f}")
    print(f"max |W, b difference| tensors in column notation:    {result['columns']:.3e}")
    print(f"max |W, b difference| nn.MLP (rows are samples):     {result['mlp']:.3e}")
    return 0 if max(result["columns"], result["mlp"]) < 1e-10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
