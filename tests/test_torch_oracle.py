"""PyTorch as an extra oracle: same inputs, same values and gradients (skipped without torch)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_nn.functional as F
from tinygrad_nn import Tensor

torch = pytest.importorskip("torch")
TF = torch.nn.functional
pytestmark = pytest.mark.filterwarnings("ignore:size_average and reduce args")

rng = np.random.default_rng(7)
LABELS = np.array([2, 0, 3, 1, 1])
PROBS = rng.dirichlet(np.ones(4), size=5)
BITS = (rng.random((5, 4)) > 0.5).astype(np.float64)
INDEX = np.array([0, 3, 3, 1, 0])
IGNORED = np.array([2, -100, 3, 1, -100])  # two samples ignored (ignore_index=-100)
CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
SEQ_LABELS = np.array([[0, 2, 1], [3, 3, 0], [1, 0, 2], [2, 1, 1], [0, 0, 3]])  # (N=5, L=3)
ELEMENT_WEIGHT = rng.uniform(0.1, 2.0, (5, 4))


ZEROS = np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]])


def _t(a: np.ndarray) -> Any:
    return torch.from_numpy(a)


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
    # functional, PyTorch's signatures: class dim 1 by default
    "cross_entropy (N, C, L) logits, class dim 1": (
        [(5, 4, 3)],
        lambda z: F.cross_entropy(z, SEQ_LABELS),
        lambda z: TF.cross_entropy(z, _t(SEQ_LABELS)),
    ),
    "cross_entropy 1-D logits": (
        [(4,)],
        lambda z: F.cross_entropy(z, np.array(2)),
        lambda z: TF.cross_entropy(z, torch.tensor(2)),
    ),
    "cross_entropy weight": (
        [(5, 4)],
        lambda z: F.cross_entropy(z, LABELS, weight=CLASS_WEIGHT),
        lambda z: TF.cross_entropy(z, _t(LABELS), weight=_t(CLASS_WEIGHT)),
    ),
    "cross_entropy ignore_index": (
        [(5, 4)],
        lambda z: F.cross_entropy(z, IGNORED),
        lambda z: TF.cross_entropy(z, _t(IGNORED)),
    ),
    "cross_entropy ignore_index 3, sum": (
        [(5, 4)],
        lambda z: F.cross_entropy(z, LABELS, ignore_index=3, reduction="sum"),
        lambda z: TF.cross_entropy(z, _t(LABELS), ignore_index=3, reduction="sum"),
    ),
    "cross_entropy weight, ignore_index and label_smoothing": (
        [(5, 4)],
        lambda z: F.cross_entropy(z, IGNORED, CLASS_WEIGHT, label_smoothing=0.3),
        lambda z: TF.cross_entropy(z, _t(IGNORED), _t(CLASS_WEIGHT), label_smoothing=0.3),
    ),
    "cross_entropy weight and label_smoothing, none": (
        [(5, 4)],
        lambda z: F.cross_entropy(z, IGNORED, CLASS_WEIGHT, reduction="none", label_smoothing=0.3),
        lambda z: TF.cross_entropy(
            z, _t(IGNORED), _t(CLASS_WEIGHT), reduction="none", label_smoothing=0.3
        ),
    ),
    "cross_entropy weight and label_smoothing on (N, C, L)": (
        [(5, 4, 3)],
        lambda z: F.cross_entropy(z, SEQ_LABELS, CLASS_WEIGHT, label_smoothing=0.2),
        lambda z: TF.cross_entropy(z, _t(SEQ_LABELS), _t(CLASS_WEIGHT), label_smoothing=0.2),
    ),
    "cross_entropy probabilities, weight and label_smoothing": (
        [(5, 4)],
        lambda z: F.cross_entropy(z, PROBS, CLASS_WEIGHT, label_smoothing=0.25),
        lambda z: TF.cross_entropy(z, _t(PROBS), _t(CLASS_WEIGHT), label_smoothing=0.25),
    ),
    "cross_entropy legacy reduce=False": (
        [(5, 4)],
        lambda z: F.cross_entropy(z, LABELS, reduce=False),
        lambda z: TF.cross_entropy(z, _t(LABELS), reduce=False),
    ),
    "nll_loss weight and ignore_index": (
        [(5, 4)],
        lambda z: F.nll_loss(F.log_softmax(z, dim=1), IGNORED, weight=CLASS_WEIGHT),
        lambda z: TF.nll_loss(TF.log_softmax(z, dim=1), _t(IGNORED), weight=_t(CLASS_WEIGHT)),
    ),
    "nll_loss weight, none": (
        [(5, 4)],
        lambda z: F.nll_loss(z, IGNORED, weight=CLASS_WEIGHT, reduction="none"),
        lambda z: TF.nll_loss(z, _t(IGNORED), weight=_t(CLASS_WEIGHT), reduction="none"),
    ),
    "mse_loss and l1_loss weighted": (
        [(5, 4), (5, 4)],
        lambda a, b: (
            F.mse_loss(a, b, weight=ELEMENT_WEIGHT)
            + F.l1_loss(a, b, weight=ELEMENT_WEIGHT) * 3
            + F.l1_loss(a, b, reduction="sum")
        ),
        lambda a, b: (
            TF.mse_loss(a, b, weight=_t(ELEMENT_WEIGHT))
            + TF.l1_loss(a, b, weight=_t(ELEMENT_WEIGHT)) * 3
            + TF.l1_loss(a, b, reduction="sum")
        ),
    ),
    "bce with logits, weight and pos_weight": (
        [(5, 4)],
        lambda z: (
            F.binary_cross_entropy_with_logits(z * 3, BITS, ELEMENT_WEIGHT, pos_weight=CLASS_WEIGHT)
            + F.binary_cross_entropy_with_logits(z, BITS, pos_weight=CLASS_WEIGHT, reduction="sum")
        ),
        lambda z: (
            TF.binary_cross_entropy_with_logits(
                z * 3, _t(BITS), _t(ELEMENT_WEIGHT), pos_weight=_t(CLASS_WEIGHT)
            )
            + TF.binary_cross_entropy_with_logits(
                z, _t(BITS), pos_weight=_t(CLASS_WEIGHT), reduction="sum"
            )
        ),
    ),
    "bce with logits, weight, none": (
        [(5, 4)],
        lambda z: F.binary_cross_entropy_with_logits(
            z, BITS, weight=CLASS_WEIGHT, reduction="none"
        ),
        lambda z: TF.binary_cross_entropy_with_logits(
            z, _t(BITS), weight=_t(CLASS_WEIGHT), reduction="none"
        ),
    ),
    "gelu exact, over the tails": (
        [(5, 4)],
        lambda z: F.gelu(z * 4),
        lambda z: TF.gelu(z * 4),
    ),
    "gelu tanh": (
        [(5, 4)],
        lambda z: F.gelu(z * 3, approximate="tanh"),
        lambda z: TF.gelu(z * 3, approximate="tanh"),
    ),
    "silu and leaky_relu": (
        [(5, 4)],
        lambda z: F.silu(z * 5) * F.leaky_relu(z, negative_slope=0.2) + F.leaky_relu(z),
        lambda z: TF.silu(z * 5) * TF.leaky_relu(z, negative_slope=0.2) + TF.leaky_relu(z),
    ),
    "linear": (
        [(5, 4), (3, 4), (3,)],
        lambda x, w, b: F.linear(x, w, b) + F.linear(x, w),
        lambda x, w, b: TF.linear(x, w, b) + TF.linear(x, w),
    ),
    "softmax and log_softmax dim": (
        [(2, 3, 4)],
        lambda z: F.softmax(z, dim=1) * F.log_softmax(z, 0) + F.softmax(z[0]),
        lambda z: TF.softmax(z, dim=1) * TF.log_softmax(z, 0) + TF.softmax(z[0], dim=1),
    ),
    "transpose(0, 1), permute, expand, unsqueeze, squeeze": (
        [(3, 4), (2, 1, 4)],
        lambda a, b: (
            (a.transpose(0, 1) @ a).unsqueeze(0) * b.expand(2, 4, 4).permute(0, 2, 1)
            + b.squeeze(1).sum(0)
        ),
        lambda a, b: (
            (a.transpose(0, 1) @ a).unsqueeze(0) * b.expand(2, 4, 4).permute(0, 2, 1)
            + b.squeeze(1).sum(0)
        ),
    ),
    "sin, cos, pow with tensor exponents, rpow": (
        [(3, 4), (4,)],
        lambda a, b: a.sin() * b.cos() + (a.abs() + 0.5) ** b + 2.0**a + a.pow(2),
        lambda a, b: a.sin() * b.cos() + (a.abs() + 0.5) ** b + 2.0**a + a.pow(2),
    ),
    "where, maximum, minimum, clamp": (
        [(3, 4), (4,)],
        lambda a, b: (
            a.where(a > 0, b) + a.max(b) * a.min(b) + a.clamp(-0.5, 0.5) + a.clamp_min(0.1)
        ),
        lambda a, b: (
            a.where(a > 0, b) + a.max(b) * a.min(b) + a.clamp(-0.5, 0.5) + a.clamp_min(0.1)
        ),
    ),
    "max(dim) and min(dim) values, amax, amin": (
        [(4, 5)],
        lambda z: (
            z.max(dim=1).values * z.min(1)[0] + z.amax(0).sum() + z.amin(dim=1, keepdim=True).sum()
        ),
        lambda z: (
            z.max(dim=1).values * z.min(1)[0] + z.amax(0).sum() + z.amin(dim=1, keepdim=True).sum()
        ),
    ),
    "var and std": (
        [(4, 5)],
        lambda z: (
            z.var(0) * z.std(dim=1, keepdim=True) + z.var(1, correction=0, keepdim=True) + z.std()
        ),
        lambda z: (
            z.var(0) * z.std(dim=1, keepdim=True) + z.var(1, correction=0, keepdim=True) + z.std()
        ),
    ),
    # number % tensor: torch has no derivative for it; the op table checks ours instead
    "remainder and fmod": (
        [(3, 4), (4,)],
        lambda a, b: a % (b.abs() + 0.3) + (2 * a) % -1.3 + a.fmod(b + 2) + a.fmod(-0.9),
        lambda a, b: a % (b.abs() + 0.3) + (2 * a) % -1.3 + a.fmod(b + 2) + a.fmod(-0.9),
    ),
    "prod (also with zeros), cumsum, norm, dot, mT": (
        [(3, 4), (2, 3, 4)],
        lambda z, c: (
            z.prod(1) * (z * ZEROS).prod(dim=1)
            + (z * ZEROS).prod()
            + z.cumsum(0).sum(1)
            + z.norm()
            + z.norm(1, dim=1)
            + z.norm(float("inf"), dim=1)
            + z.norm(dim=1) * (z * ZEROS * 0).norm(dim=1)
            + z[0].dot(z[1])
            + (c.mT @ c).sum((0, 1))[:3]
            + (c.prod(1).unsqueeze(1) * c.cumsum(-1)).sum((0, 2))
        ),
        lambda z, c: (
            z.prod(1) * (z * _t(ZEROS)).prod(dim=1)
            + (z * _t(ZEROS)).prod()
            + z.cumsum(0).sum(1)
            + z.norm()
            + z.norm(1, dim=1)
            + z.norm(float("inf"), dim=1)
            + z.norm(dim=1) * (z * _t(ZEROS) * 0).norm(dim=1)
            + z[0].dot(z[1])
            + (c.mT @ c).sum((0, 1))[:3]
            + (c.prod(1).unsqueeze(1) * c.cumsum(-1)).sum((0, 2))
        ),
    ),
    "gather": (
        [(3, 4)],
        lambda z: z.gather(1, np.array([[0, 0], [3, 1], [2, 2]])),
        lambda z: z.gather(1, torch.tensor([[0, 0], [3, 1], [2, 2]])),
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


def test_indices_of_max_min_argmax_match_pytorch() -> None:
    data = np.random.default_rng(3).integers(0, 4, (5, 6)).astype(np.float64)  # many ties
    x, t = Tensor(data), torch.tensor(data)
    for d in (0, 1, -1):
        for keep in (False, True):
            ours, theirs = x.max(d, keepdim=keep), t.max(d, keepdim=keep)
            np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
            np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())
            np.testing.assert_array_equal(x.min(d, keep).indices.data, t.min(d, keep).indices)
            np.testing.assert_array_equal(x.argmax(d, keep).data, t.argmax(d, keep).numpy())
            np.testing.assert_array_equal(x.argmin(dim=d).data, t.argmin(dim=d).numpy())
    assert x.argmax().item() == t.argmax().item()


def test_max_without_dim_splits_ties_as_pytorch() -> None:
    data = np.array([[1.0, 3.0, 3.0], [0.0, 3.0, 2.0]])
    x, t = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    x.max().backward()
    t.max().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy())  # type: ignore[arg-type]


def test_dtype_inference_and_promotion_match_pytorch() -> None:
    for data in ([0, 2, 1], [1.0, 2], [True, False], 3, 2.5, [[1, 2], [3, 4]]):
        assert str(Tensor(data).dtype) == str(torch.tensor(data).dtype).removeprefix("torch.")
    tensors = {
        "int64": np.array([1, 2]), "int32": np.array([1, 2], np.int32),
        "float32": np.array([1.0, 2.0], np.float32), "float64": np.array([1.0, 2.0]),
        "bool": np.array([True, False]),
    }  # fmt: skip
    for name, array in tensors.items():
        ours, theirs = Tensor(array), torch.from_numpy(array)
        for scalar in (2, 0.5, True):
            for result, expected in (
                (ours * scalar, torch.result_type(theirs, scalar)),
                (scalar + ours, torch.result_type(theirs, scalar)),
                (ours / 2, (theirs / 2).dtype),
            ):
                got = str(result.dtype)
                assert got == str(expected).removeprefix("torch."), (name, scalar, got, expected)
    f32, f64 = Tensor(tensors["float32"]), Tensor(tensors["float64"])
    assert (f32 + f64).dtype == np.float64
    assert (
        str(
            torch.result_type(
                torch.from_numpy(tensors["float32"]), torch.ones(2, dtype=torch.float64)
            )
        )
        == "torch.float64"
    )


def test_tensor_with_tensor_promotion_matches_pytorch() -> None:
    """int64 tensor * float32 tensor is float32 and int / int is float32, as in PyTorch
    (NumPy alone gives float64 for both); every other pair follows the same rule as NumPy."""
    import operator

    dtypes = [np.bool_, np.uint8, np.int8, np.int32, np.int64, np.float32, np.float64]
    for a, b in itertools.product(dtypes, repeat=2):
        x, y = np.array([1, 2, 3]).astype(a), np.array([3, 1, 2]).astype(b)
        for op in (operator.add, operator.mul, operator.truediv, operator.sub):
            if op is operator.sub and np.bool_ in (a, b):
                continue  # PyTorch refuses - on bool tensors
            ours, theirs = op(Tensor(x), Tensor(y)), op(torch.from_numpy(x), torch.from_numpy(y))
            expected = str(theirs.dtype).removeprefix("torch.")
            assert str(ours.dtype) == expected, (a.__name__, b.__name__, op.__name__)
            np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)
