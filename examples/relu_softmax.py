"""Seed 004: a 5-10-10-4 network, ReLU hidden layers, stable softmax output, one SGD step.

Same data and initial parameters as the tutorial (NumPy's legacy generator seeded with 1:
X = rand(5, 10), one-hot Y (4, 10), every W and b = randn * 0.01). The loss is the
cross-entropy of softmax(Z3) over the class axis (axis 0: columns are samples), whose
gradient is dZ3 = (A3 - Y) / m, exactly the tutorial's backward pass. One update with
lr = 0.01 is compared with the tutorial's hand-written NumPy equations.
"""

from __future__ import annotations

import numpy as np
from tinygrad_nn.examples._common import out_dir, parser, positive_float

import tinygrad_nn.functional as F
from tinygrad_nn import Tensor, optim

NAMES = ["W1", "b1", "W2", "b2", "W3", "b3"]


def tutorial_data_and_params() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rs = np.random.RandomState(1)
    X = rs.rand(5, 10)  # 5 features, 10 samples
    Y = np.eye(4)[rs.choice(4, 10)].T  # (4, 10) one-hot columns
    rs = np.random.RandomState(1)  # the tutorial re-seeds before initialising
    shapes = [(10, 5), (10, 1), (10, 10), (10, 1), (4, 10), (4, 1)]
    params = [rs.randn(*s) * 0.01 for s in shapes]
    return X, Y, params


def forward(
    X: Tensor, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor, W3: Tensor, b3: Tensor
) -> Tensor:
    """Returns Z3, the logits (4, m); A3 = softmax(Z3, axis=0)."""
    Z1 = W1 @ X + b1
    Z1.name = "Z1"
    A1 = Z1.relu()
    A1.name = "A1"
    Z2 = W2 @ A1 + b2
    Z2.name = "Z2"
    A2 = Z2.relu()
    A2.name = "A2"
    Z3 = W3 @ A2 + b3
    Z3.name = "Z3"
    return Z3


def numpy_step(
    X: np.ndarray, Y: np.ndarray, params: list[np.ndarray], lr: float
) -> list[np.ndarray]:
    """The tutorial's equations: forward, dZ3 = A3 - Y, back through the ReLUs, one update."""
    W1, b1, W2, b2, W3, b3 = params
    m = X.shape[1]
    Z1 = W1 @ X + b1
    A1 = np.maximum(Z1, 0)
    Z2 = W2 @ A1 + b2
    A2 = np.maximum(Z2, 0)
    Z3 = W3 @ A2 + b3
    E = np.exp(Z3 - Z3.max(axis=0, keepdims=True))
    A3 = E / E.sum(axis=0, keepdims=True)
    dZ3 = A3 - Y
    dW3, db3 = dZ3 @ A2.T / m, dZ3.sum(axis=1, keepdims=True) / m
    dZ2 = (W3.T @ dZ3) * (Z2 > 0)
    dW2, db2 = dZ2 @ A1.T / m, dZ2.sum(axis=1, keepdims=True) / m
    dZ1 = (W2.T @ dZ2) * (Z1 > 0)
    dW1, db1 = dZ1 @ X.T / m, dZ1.sum(axis=1, keepdims=True) / m
    grads = [dW1, db1, dW2, db2, dW3, db3]
    return [p - lr * g for p, g in zip(params, grads, strict=False)]


def graph_loss() -> Tensor:
    X, Y, init = tutorial_data_and_params()
    params = [Tensor(p, requires_grad=True, name=n) for p, n in zip(init, NAMES, strict=False)]
    loss = F.cross_entropy(forward(Tensor(X[:, :4], name="X"), *params), Y[:, :4], axis=0)
    loss.name = "L"
    return loss


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--lr", type=positive_float, default=0.01, help="learning rate (> 0)")
    args = p.parse_args(argv)
    out_dir(args.out_dir)  # a bad --out-dir is refused before any work
    X, Y, init = tutorial_data_and_params()
    print(f"X {X.shape}, Y {Y.shape} (one-hot columns); W1[0, :3] = {init[0][0, :3].round(8)}")
    params = [
        Tensor(p.copy(), requires_grad=True, name=n) for p, n in zip(init, NAMES, strict=False)
    ]

    Z3 = forward(Tensor(X, name="X"), *params)
    A3 = F.softmax(Z3, axis=0)
    print("output after one forward pass, A3[:, :3] =\n", A3.data[:, :3].round(6))
    print(f"columns of A3 sum to 1: {np.allclose(A3.data.sum(axis=0), 1.0)}")
    loss = F.cross_entropy(Z3, Y, axis=0)
    print(f"cross-entropy before the step: {loss.item():.6f}")

    optimizer = optim.SGD(params, lr=args.lr)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    expected = numpy_step(X, Y, init, args.lr)
    worst = max(float(np.abs(t.data - e).max()) for t, e in zip(params, expected, strict=False))
    moved = max(float(np.abs(t.data - p).max()) for t, p in zip(params, init, strict=False))
    print(f"largest parameter change in the step: {moved:.3e}")
    print(f"max |tinygrad_nn step - tutorial's NumPy step|: {worst:.3e}")

    big = Tensor(np.array([[1e4], [0.0], [-1e4], [1e4 - 1.0]]))
    stable = F.softmax(big, axis=0).data[:, 0]
    print(f"stable softmax of logits (1e4, 0, -1e4, 1e4-1): {stable.round(6)}")
    return 0 if worst < 1e-12 and np.isfinite(stable).all() else 1


if __name__ == "__main__":
    raise SystemExit(main())
