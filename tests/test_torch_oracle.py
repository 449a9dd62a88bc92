"""PyTorch as an extra oracle: same inputs, same values and gradients (skipped without torch)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_nn.functional as F
from tinygrad_nn import Tensor

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(7)
LABELS = np.array([2, 0, 3, 1, 1])
PROBS = rng.dirichlet(np.ones(4), size=5)
BITS = (rng.random((5, 4)) > 0.5).astype(np.float64)
INDEX = np.array([0, 3, 3, 1, 0])

# name: (shapes, tinygrad_nn function, torch function)
PAIRS: dict[str, tuple[list[tuple[int, ...]], Callable[..., Any], Callable[..., Any]]] = {
    "broadcast arithmetic": (
        [(5, 4), (4,), (5, 1)],
        lambda a, b, c: (a * b - c) / (b * b + 1) + 2.0,
        lambda a, b, c: (a * b - c) / (b * b + 1) + 2.0,
    ),
    "batched matmul": (
        [(2, 5, 4), (4, 3), (3,)],
        lambda a, b, c: (a @ b) @ c,
        lambda a, b, c: (a @ b) @ c,
    ),
    "mlp columns are samples": (
        [(3, 4), (4, 5), (3, 1)],
        lambda W, A, b: (W @ A + b).sigmoid().tanh(),
        lambda W, A, b: torch.tanh(torch.sigmoid(W @ A + b)),
    ),
    "softmax and log_softmax": (
        [(5, 4)],
        lambda z: z.softmax(0) * z.log_softmax(-1),
        lambda z: torch.softmax(z, 0) * torch.log_softmax(z, -1),
    ),
    "cross_entropy labels": (
        [(5, 4)],
        lambda z: F.cross_entropy(z, LABELS),
        lambda z: TF.cross_entropy(z, torch.from_numpy(LABELS)),
    ),
    "cross_entropy probabilities": (
        [(5, 4)],
        lambda z: F.cross_entropy(z, PROBS),
        lambda z: TF.cross_entropy(z, torch.from_numpy(PROBS)),
    ),
    "cross_entropy class axis 1 of 3-d": (
        [(5, 4, 2)],
        lambda z: F.cross_entropy(z, np.stack([LABELS, LABELS[::-1]], 1), axis=1),
        lambda z: TF.cross_entropy(z, torch.from_numpy(np.stack([LABELS, LABELS[::-1]], 1))),
    ),
    "cross_entropy label smoothing": (
        [(5, 4)],
        lambda z: F.cross_entropy(z, LABELS, label_smoothing=0.2),
        lambda z: TF.cross_entropy(z, torch.from_numpy(LABELS), label_smoothing=0.2),
    ),
    "bce with logits": (
        [(5, 4)],
        lambda z: F.binary_cross_entropy_with_logits(z, BITS, reduction="sum"),
        lambda z: TF.binary_cross_entropy_with_logits(z, torch.from_numpy(BITS), reduction="sum"),
    ),
    "bce": (
        [(5, 4)],
        lambda z: F.binary_cross_entropy(z.sigmoid(), BITS),
        lambda z: TF.binary_cross_entropy(torch.sigmoid(z), torch.from_numpy(BITS)),
    ),
    "mse": (
        [(5, 4), (5, 4)],
        lambda a, b: F.mse_loss(a, b),
        lambda a, b: TF.mse_loss(a, b),
    ),
    "nll after log_softmax": (
        [(5, 4)],
        lambda z: F.nll_loss(z.log_softmax(), LABELS, reduction="sum"),
        lambda z: TF.nll_loss(torch.log_softmax(z, -1), torch.from_numpy(LABELS), reduction="sum"),
    ),
    "reductions": (
        [(5, 4)],
        lambda z: z.sum(0) * z.mean(1, keepdims=True) + z.amax(1, keepdim=True),
        lambda z: z.sum(0) * z.mean(1, keepdim=True) + z.amax(1, keepdim=True),
    ),
    "indexing with repeats, concatenate, stack": (
        [(5, 4)],
        lambda z: Tensor.stack(
            [Tensor.concatenate([z[INDEX], z[1:3]], 0), z[[0, 1, 2, 3, 4, 0, 1]]]
        ),
        lambda z: torch.stack([torch.cat([z[INDEX], z[1:3]], 0), z[[0, 1, 2, 3, 4, 0, 1]]]),
    ),
    "elementwise": (
        [(5, 4)],
        lambda z: (
            (z.abs() + 1).log() * z.exp().sqrt()
            + z.leaky_relu(0.2)
            + z.relu() ** 3
            + z.clip(-0.3, 0.4)
        ),
        lambda z: (
            torch.log(z.abs() + 1) * torch.sqrt(torch.exp(z))
            + TF.leaky_relu(z, 0.2)
            + torch.relu(z) ** 3
            + torch.clamp(z, -0.3, 0.4)
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_values_and_gradients_match_pytorch(name: str) -> None:
    shapes, ours, theirs = PAIRS[name]
    arrays = [np.random.default_rng(len(name)).standard_normal(s) for s in shapes]
    xs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(seed)
    ref.backward(torch.from_numpy(seed))
    for x, t in zip(xs, ts, strict=True):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)
