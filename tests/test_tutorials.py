"""The seed tutorials' hand-derived gradients come out of backward() to 1e-12.

Notation as in the tutorials: columns are samples, Z[l] = W[l] A[l-1] + b[l], A[l] = g(Z[l]),
W[l] of shape (n[l], n[l-1]), b[l] of shape (n[l], 1), A[l] of shape (n[l], m).
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_nn.functional as F
from tinygrad_nn import Tensor


def _params(sizes: list[int], seed: int) -> tuple[list[Tensor], list[Tensor]]:
    rng = np.random.default_rng(seed)
    Ws = [
        Tensor(
            rng.standard_normal((n, n_prev)) * 0.5,
            requires_grad=True,
            dtype=np.float64,
            name=f"W{layer}",
        )
        for layer, (n_prev, n) in enumerate(zip(sizes[:-1], sizes[1:], strict=True), start=1)
    ]
    bs = [
        Tensor(
            rng.standard_normal((n, 1)) * 0.1,
            requires_grad=True,
            dtype=np.float64,
            name=f"b{layer}",
        )
        for layer, n in enumerate(sizes[1:], start=1)
    ]
    return Ws, bs


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _assert_exact(tensor: Tensor, expected: np.ndarray) -> None:
    assert tensor.grad is not None and tensor.grad.shape == expected.shape
    np.testing.assert_allclose(tensor.grad, expected, rtol=1e-12, atol=1e-12)


def test_seed_000_shapes_and_delta_recursion_with_mse() -> None:
    """10-8-5-3 sigmoid network, m = 100, J = 1/(2m) sum (A[3] - Y)^2."""
    sizes, m = [10, 8, 5, 3], 100
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((10, m)), rng.random((3, m))
    Ws, bs = _params(sizes, seed=1)

    A = Tensor(X, dtype=np.float64)
    As, Zs = [X], []
    for W, b in zip(Ws, bs, strict=True):
        Z = W @ A + b
        A = Z.sigmoid()
        Zs.append(Z.data)
        As.append(A.data)
    assert [z.shape for z in Zs] == [(8, m), (5, m), (3, m)]
    J = ((A - Y) ** 2).sum() / (2 * m)
    J.backward()

    # delta[L] = 1/m dJ/dA[L] g'(Z[L]); delta[l] = (W[l+1]^T delta[l+1]) g'(Z[l])
    delta = (As[3] - Y) / m * As[3] * (1 - As[3])
    for layer in (3, 2, 1):
        W, b = Ws[layer - 1], bs[layer - 1]
        _assert_exact(W, delta @ As[layer - 1].T)  # dW[l] = delta[l] A[l-1]^T
        _assert_exact(b, delta.sum(axis=1, keepdims=True))  # db[l] = sum_i delta[l](i)
        assert W.grad.shape == W.shape and b.grad.shape == (sizes[layer], 1)
        delta = (W.data.T @ delta) * As[layer - 1] * (1 - As[layer - 1])


@pytest.mark.parametrize("loss_form", ["F.binary_cross_entropy", "written out"])
def test_seed_003_sigmoid_network_with_binary_cross_entropy(loss_form: str) -> None:
    """dZ2 = A2 - Y, dW2 = dZ2 A1^T / m, db2 = sum dZ2 / m, dZ1 = W2^T dZ2 * A1 (1 - A1), ..."""
    n0, n1, n2, m = 100, 12, 4, 30
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n0, m))
    Y = (rng.random((n2, m)) > 0.5).astype(np.float64)
    (W1, W2), (b1, b2) = _params([n0, n1, n2], seed=4)

    A1 = (W1 @ X + b1).sigmoid()
    A2 = (W2 @ A1 + b2).sigmoid()
    if loss_form == "written out":
        cost = -(Y * A2.log() + (1 - Y) * (1 - A2).log()).sum() / m
    else:
        cost = F.binary_cross_entropy(A2, Y, reduction="sum") / m
    cost.backward()

    a1, a2 = A1.data, A2.data
    dZ2 = a2 - Y
    dZ1 = (W2.data.T @ dZ2) * a1 * (1 - a1)
    _assert_exact(W2, dZ2 @ a1.T / m)
    _assert_exact(b2, dZ2.sum(axis=1, keepdims=True) / m)
    _assert_exact(W1, dZ1 @ X.T / m)
    _assert_exact(b1, dZ1.sum(axis=1, keepdims=True) / m)


@pytest.mark.parametrize("loss_form", ["F.cross_entropy", "softmax then log"])
def test_seed_004_relu_softmax_network_and_one_update(loss_form: str) -> None:
    """5-10-10-4, ReLU hidden layers, stable softmax over axis 0, one-hot Y, dZ3 = A3 - Y."""
    m, lr = 10, 0.01
    rng = np.random.default_rng(4)
    X = rng.standard_normal((5, m))
    Y = np.eye(4)[rng.choice(4, m)].T  # one-hot columns
    Ws, bs = _params([5, 10, 10, 4], seed=5)
    W1, W2, W3 = Ws
    b1, b2, b3 = bs

    Z1 = W1 @ X + b1
    A1 = Z1.relu()
    Z2 = W2 @ A1 + b2
    A2 = Z2.relu()
    Z3 = W3 @ A2 + b3
    if loss_form == "F.cross_entropy":
        loss = F.cross_entropy(Z3, Y, axis=0)
    else:
        loss = -(Y * Z3.softmax(axis=0).log()).sum() / m
    loss.backward()

    e = np.exp(Z3.data - Z3.data.max(axis=0, keepdims=True))
    A3 = e / e.sum(axis=0, keepdims=True)
    dZ3 = A3 - Y
    dZ2 = (W3.data.T @ dZ3) * (Z2.data > 0)
    dZ1 = (W2.data.T @ dZ2) * (Z1.data > 0)
    expected = {
        "W3": dZ3 @ A2.data.T / m,
        "b3": dZ3.sum(axis=1, keepdims=True) / m,
        "W2": dZ2 @ A1.data.T / m,
        "b2": dZ2.sum(axis=1, keepdims=True) / m,
        "W1": dZ1 @ X.T / m,
        "b1": dZ1.sum(axis=1, keepdims=True) / m,
    }
    for p in (*Ws, *bs):
        _assert_exact(p, expected[p.name])  # type: ignore[index]

    before = {p.name: p.data.copy() for p in (*Ws, *bs)}
    for p in (*Ws, *bs):  # the tutorial's update: W = W - lr * dW
        p.data -= lr * p.grad
        np.testing.assert_allclose(p.data, before[p.name] - lr * expected[p.name], rtol=1e-12)
