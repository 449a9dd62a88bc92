"""Losses and activations: exact values, stability for huge logits, the errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_nn.functional as F
from tinygrad_nn import Tensor


def _logits(*shape: int, scale: float = 1.0, seed: int = 0) -> Tensor:
    data = np.random.default_rng(seed).standard_normal(shape) * scale
    return Tensor(data, requires_grad=True, dtype=np.float64)


def _softmax(z: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0])
def test_cross_entropy_gradient_is_softmax_minus_onehot_over_m(axis: int) -> None:
    z = _logits(5, 4)
    n_classes = z.shape[axis]
    m = z.numel() // n_classes
    labels = np.random.default_rng(1).integers(0, n_classes, m)
    loss = F.cross_entropy(z, labels, axis=axis)
    onehot = np.moveaxis(np.eye(n_classes)[labels], -1, axis)
    p = _softmax(z.data, axis)
    assert loss.item() == pytest.approx(-(onehot * np.log(p)).sum() / m, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(z.grad, (p - onehot) / m, rtol=1e-12, atol=1e-15)
    z.grad = None
    F.cross_entropy(z, onehot, axis=axis).backward()  # one-hot target: same gradient
    np.testing.assert_allclose(z.grad, (p - onehot) / m, rtol=1e-12, atol=1e-15)


def test_cross_entropy_on_3d_logits_with_class_axis_1() -> None:
    z = _logits(2, 3, 4)
    labels = np.array([[0, 2, 1, 1], [2, 2, 0, 1]])
    loss = F.cross_entropy(z, labels, axis=1, reduction="none")
    assert loss.shape == (2, 4)
    logp = np.log(_softmax(z.data, 1))
    expected = -np.take_along_axis(logp, labels[:, None, :], axis=1)[:, 0, :]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_softmax_family_is_finite_for_huge_logits(scale: float) -> None:
    z = Tensor(np.array([[1.0, -1.0, 0.5], [0.0, 0.2, -0.3]]) * scale, requires_grad=True)
    for out in (z.softmax(), z.log_softmax()):
        assert np.isfinite(out.data).all()
    loss = F.cross_entropy(z, np.array([1, 2]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(z.grad).all()
    # the winning logit dominates: loss is the logit gap, exactly
    gaps = z.data.max(axis=1) - z.data[[0, 1], [1, 2]]
    assert loss.item() == pytest.approx(gaps.mean(), rel=1e-6)
    x = Tensor(np.array([scale, -scale, 0.0]), requires_grad=True)
    bce = F.binary_cross_entropy_with_logits(x, np.array([0.0, 1.0, 1.0]))
    bce.backward()
    assert np.isfinite(bce.item()) and np.isfinite(x.grad).all()
    assert bce.item() == pytest.approx((2 * max(scale, 0) + np.log(2)) / 3, rel=1e-6)


def test_binary_cross_entropy_matches_the_formula_and_logits_version() -> None:
    z = _logits(3, 4)
    y = (np.random.default_rng(2).random((3, 4)) > 0.5).astype(np.float64)
    p = 1 / (1 + np.exp(-z.data))
    expected = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    assert F.binary_cross_entropy(z.sigmoid(), y).item() == pytest.approx(expected, rel=1e-12)
    loss = F.binary_cross_entropy_with_logits(z, y)
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(z.grad, (p - y) / y.size, rtol=1e-12)


def test_binary_cross_entropy_stays_finite_at_0_and_1() -> None:
    p = Tensor([0.0, 1.0, 0.5], requires_grad=True, dtype=np.float64)
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0, 1.0]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(p.grad).all()


EDGE_P = [0.0, 1.0, 0.5, 1e-30, 1 - 1e-8, 0.25]
EDGE_Y = [1.0, 0.0, 1.0, 1.0, 0.0, 0.3]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_matches_torch_at_0_and_1(dtype: type, reduction: str) -> None:
    # In float32 1 - 1e-12 == 1, so clipping p does nothing there: torch floors each log
    # term at -100 instead, and so must we, in every dtype.
    torch = pytest.importorskip("torch")
    p = Tensor(np.array(EDGE_P, dtype), requires_grad=True)
    loss = F.binary_cross_entropy(p, np.array(EDGE_Y), reduction=reduction)
    tp = torch.tensor(EDGE_P, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
    tloss = torch.nn.functional.binary_cross_entropy(
        tp, torch.tensor(EDGE_Y, dtype=tp.dtype), reduction=reduction
    )
    np.testing.assert_allclose(loss.data, tloss.detach().numpy(), rtol=1e-6)
    seed = np.linspace(0.5, 1.5, loss.numel()).reshape(loss.shape)
    loss.backward(seed)
    tloss.backward(torch.tensor(seed, dtype=tp.dtype))
    assert np.isfinite(loss.data).all() and np.isfinite(p.grad).all()
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_weight_matches_torch(reduction: str) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    p = rng.uniform(0.05, 0.95, (4, 3))
    y = (rng.random((4, 3)) > 0.5).astype(np.float64)
    w = rng.uniform(0.5, 2.0, 3)
    x = Tensor(p, requires_grad=True)
    loss = F.binary_cross_entropy(x, y, w, reduction=reduction)
    tp = torch.tensor(p, requires_grad=True)
    tloss = torch.nn.functional.binary_cross_entropy(
        tp, torch.tensor(y), torch.tensor(w), reduction=reduction
    )
    np.testing.assert_allclose(loss.data, tloss.detach().numpy(), rtol=1e-12)
    loss.sum().backward()
    tloss.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad.data), tp.grad.numpy(), rtol=1e-12)


def test_binary_cross_entropy_is_finite_in_float16() -> None:
    p = Tensor(np.array([0.0, 1.0, 0.5], np.float16), requires_grad=True)
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0, 1.0]), reduction="sum")
    loss.backward()
    assert loss.dtype == np.float16 and np.isfinite(loss.item())
    assert loss.item() == pytest.approx(200 + np.log(2), rel=1e-2)
    assert np.isfinite(p.grad).all() and p.grad[0] < 0 < p.grad[1]


@pytest.mark.parametrize(
    ("prob", "target", "message"),
    [
        ([1.5, 0.5], [1.0, 0.0], r"input must hold probabilities in \[0, 1\], but element \(0,\)"),
        ([0.5, -0.1], [1.0, 0.0], r"input .* element \(1,\) of shape \(2,\) is -0.1"),
        ([0.5, float("nan")], [1.0, 0.0], r"input .* is nan"),
        ([0.5, float("inf")], [1.0, 0.0], r"input .* is inf"),
        ([2.0, 3.0], [1.0, 0.0], ".*binary_cross_entropy_with_logits"),  # logits passed by mistake
        ([0.5, 0.5], [2.0, 0.0], r"target must hold probabilities in \[0, 1\].* is 2"),
        ([0.5, 0.5], [1.0, -1.0], r"target .* is -1\b"),
        ([0.5, 0.5], [1.0, float("nan")], r"target .* is nan"),
    ],
)
def test_binary_cross_entropy_refuses_values_outside_0_1(
    prob: list[float], target: list[float], message: str
) -> None:
    p = Tensor(np.array(prob, np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=f"binary_cross_entropy: {message}"):
        F.binary_cross_entropy(p, np.array(target))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"eps": float("nan")}, ValueError, r"eps must be in \(0, 1\), got nan"),
        ({"eps": -1.0}, ValueError, "eps must be in"),
        ({"eps": 0.0}, ValueError, "eps must be in"),
        ({"eps": np.ones(2)}, TypeError, "eps must be a number, got ndarray"),
        ({"weight": np.ones(3)}, ValueError, r"weight of shape \(3,\) does not broadcast"),
        ({"weight": np.ones((4, 2))}, ValueError, "would broadcast the loss beyond"),
        ({"reduction": "avg"}, ValueError, "reduction must be one of"),
    ],
)
def test_binary_cross_entropy_refuses_bad_options(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    p = Tensor(np.array([0.5, 0.5], np.float32), requires_grad=True)
    with pytest.raises(error, match=message):
        F.binary_cross_entropy(p, np.array([1.0, 0.0]), **kwargs)  # type: ignore[arg-type]


def test_binary_cross_entropy_refuses_integer_prob_and_mismatched_shapes() -> None:
    with pytest.raises(TypeError, match="input must be a floating tensor, got dtype int64"):
        F.binary_cross_entropy(Tensor(np.array([0, 1])), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"input has shape \(2, 1\) but target has shape"):
        F.binary_cross_entropy(Tensor(np.full((2, 1), 0.5)), np.ones(2))


def test_mse_and_reductions() -> None:
    pred = _logits(3, 2)
    target = np.zeros((3, 2))
    sq = pred.data**2
    assert F.mse_loss(pred, target).item() == pytest.approx(sq.mean())
    assert F.mse_loss(pred, target, reduction="sum").item() == pytest.approx(sq.sum())
    np.testing.assert_allclose(F.mse_loss(pred, target, reduction="none").data, sq)


def test_nll_loss_after_log_softmax_equals_cross_entropy() -> None:
    z = _logits(4, 3)
    labels = np.array([2, 0, 1, 1])
    a = F.nll_loss(F.log_softmax(z), labels)
    b = F.cross_entropy(z, labels)
    assert a.item() == pytest.approx(b.item(), rel=1e-12)


def test_float32_losses_stay_float32() -> None:
    z = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    for loss in (
        F.cross_entropy(z, np.array([0, 1])),
        F.mse_loss(z, np.zeros((2, 3))),  # a float64 target is cast, not the prediction
        F.binary_cross_entropy_with_logits(z, np.zeros((2, 3))),
    ):
        assert loss.dtype == np.float32
        loss.backward()
        assert z.grad is not None and z.grad.dtype == np.float32


def test_loss_shape_errors_refuse_silent_broadcasting() -> None:
    pred = Tensor(np.ones((5, 1)))
    with pytest.raises(
        ValueError,
        match=r"mse_loss: input has shape \(5, 1\) but target has "
        r"shape \(5,\)",
    ):
        F.mse_loss(pred, np.ones(5))
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits: logits has shape"):
        F.binary_cross_entropy_with_logits(pred, np.ones(5))


def test_cross_entropy_target_errors() -> None:
    z = Tensor(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"target contains class 4, expected classes 0..3"):
        F.cross_entropy(z, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"class-index target has shape \(4,\), expected \(3,\)"):
        F.cross_entropy(z, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"probability target has shape \(4, 3\)"):
        F.cross_entropy(z, np.ones((4, 3)))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(z, np.array([0, 1, 2]), reduction="avg")
    with pytest.raises(TypeError, match="nll_loss: target must be integer class indices"):
        F.nll_loss(z, np.ones(3))


def test_activation_functions_match_methods() -> None:
    x = _logits(2, 3)
    for f, m in (
        (F.relu, x.relu),
        (F.sigmoid, x.sigmoid),
        (F.tanh, x.tanh),
        (F.softmax, x.softmax),
        (F.log_softmax, x.log_softmax),
    ):
        np.testing.assert_array_equal(f(x).data, m().data)
    np.testing.assert_allclose(F.sigmoid(Tensor([-1000.0, 1000.0])).data, [0.0, 1.0])


@pytest.mark.parametrize("axis", [-1, 0])
def test_label_smoothing_targets_and_gradient(axis: int) -> None:
    z = _logits(6, 4)
    n_classes, s = z.shape[axis], 0.1
    labels = np.random.default_rng(3).integers(0, n_classes, z.numel() // n_classes)
    soft = np.moveaxis((1 - s) * np.eye(n_classes)[labels] + s / n_classes, -1, axis)
    loss = F.cross_entropy(z, labels, axis=axis, label_smoothing=s)
    p = _softmax(z.data, axis)
    m = labels.size
    assert loss.item() == pytest.approx(-(soft * np.log(p)).sum() / m, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(z.grad, (p - soft) / m, rtol=1e-12, atol=1e-15)
    same = F.cross_entropy(
        z, np.moveaxis(np.eye(n_classes)[labels], -1, axis), axis=axis, label_smoothing=s
    )  # one-hot probabilities smooth the same way
    assert same.item() == pytest.approx(loss.item(), rel=1e-12)
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        F.cross_entropy(z, labels, axis=axis, label_smoothing=1.5)


# --------------------------------------------------------- PyTorch's signatures and additions


def test_cross_entropy_class_dim_is_1_as_in_pytorch_and_axis_0_keeps_the_column_layout() -> None:
    z = _logits(3, 4, 5)  # (N, C, L): classes along dim 1
    labels = np.random.default_rng(4).integers(0, 4, (3, 5))
    default = F.cross_entropy(z, labels)
    assert default.item() == pytest.approx(F.cross_entropy(z, labels, dim=1).item(), rel=1e-15)
    assert default.item() == pytest.approx(F.cross_entropy(z, labels, axis=1).item(), rel=1e-15)
    cols = _logits(4, 6)  # the tutorials' (classes, m)
    y = np.array([0, 3, 1, 1, 2, 0])
    by_dim = F.cross_entropy(cols, y, dim=0).item()
    assert by_dim == pytest.approx(F.cross_entropy(cols, y, axis=0).item(), rel=1e-15)
    assert by_dim == pytest.approx(F.cross_entropy(cols.T, y).item(), rel=1e-15)
    with pytest.raises(TypeError, match="got dim=0 and axis=1"):
        F.cross_entropy(cols, y, dim=0, axis=1)


def test_cross_entropy_on_the_column_layout_says_to_pass_dim_0() -> None:
    Z = Tensor(np.zeros((4, 6)))  # (classes, m) with labels for the 6 columns
    with pytest.raises(ValueError, match=r"class dim is probably 0 .*pass dim=0"):
        F.cross_entropy(Z, np.array([0, 3, 1, 1, 2, 0]))
    with pytest.raises(ValueError, match=r"class dim is probably 0"):
        F.nll_loss(Z, np.array([0, 3, 1, 1, 2, 0]))
    with pytest.raises(ValueError) as info:  # an explicit dim gets no such guess
        F.cross_entropy(Z, np.array([0, 3, 1, 1, 2, 0]), dim=1)
    assert "probably" not in str(info.value)


def test_cross_entropy_ignore_index_and_weight_by_hand() -> None:
    z = _logits(4, 3)
    labels = np.array([2, -100, 0, 2])
    w = np.array([1.0, 2.0, 0.5])
    logp = np.log(_softmax(z.data, 1))
    picked = -logp[[0, 2, 3], [2, 0, 2]] * w[[2, 0, 2]]
    loss = F.cross_entropy(z, labels, weight=w)
    assert loss.item() == pytest.approx(picked.sum() / w[[2, 0, 2]].sum(), rel=1e-12)
    none = F.cross_entropy(z, labels, weight=w, reduction="none")
    np.testing.assert_allclose(none.data, [picked[0], 0.0, picked[1], picked[2]], rtol=1e-12)
    loss.backward()
    assert np.all(np.asarray(z.grad)[1] == 0)  # the ignored sample gets no gradient
    with pytest.raises(ValueError, match=r"weight has shape \(2,\), expected one weight per class"):
        F.cross_entropy(z, labels, weight=np.ones(2))
    with pytest.raises(ValueError, match="target contains class -3.*or ignore_index=-100"):
        F.cross_entropy(z, np.array([0, -3, 1, 1]))


def test_legacy_size_average_and_reduce_mean_what_pytorch_says() -> None:
    z, labels = _logits(4, 3), np.array([0, 1, 2, 1])
    total = F.cross_entropy(z, labels, reduction="sum").item()
    assert F.cross_entropy(z, labels, size_average=False).item() == pytest.approx(total)
    assert F.cross_entropy(z, labels, reduce=False).shape == (4,)
    assert F.mse_loss(z, np.zeros((4, 3)), reduce=True, size_average=True).shape == ()


def test_one_hot_is_int64_as_in_pytorch() -> None:
    out = F.one_hot(Tensor(np.array([[0, 2], [1, 2]])))
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.data[1, 0], [0, 1, 0])
    assert F.one_hot(np.array([1]), num_classes=4).tolist() == [[0, 1, 0, 0]]
    with pytest.raises(ValueError, match="label 5 is out of range for num_classes=3"):
        F.one_hot(np.array([0, 5]), num_classes=3)
    with pytest.raises(TypeError, match="one_hot: expected integer class indices"):
        F.one_hot(np.array([0.0, 1.0]))


def test_one_hot_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    labels = np.array([[3, 0, 1], [2, 2, 0]])
    for k in (-1, 6):
        ours = F.one_hot(labels, k)
        theirs = torch.nn.functional.one_hot(torch.from_numpy(labels), k)
        assert str(theirs.dtype) == f"torch.{ours.dtype}"
        np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_dropout_is_inverted_seeded_and_differentiable() -> None:
    import tinygrad_nn

    x = Tensor(np.ones((200, 50)), requires_grad=True, dtype=np.float64)
    tinygrad_nn.manual_seed(3)
    a = F.dropout(x, p=0.3)
    tinygrad_nn.manual_seed(3)
    b = F.dropout(x, 0.3)
    np.testing.assert_array_equal(a.data, b.data)  # the default generator drives the mask
    kept = a.data != 0
    assert set(np.unique(a.data)) == {0.0, 1 / 0.7}
    assert abs(kept.mean() - 0.7) < 0.02
    a.sum().backward()
    np.testing.assert_array_equal(x.grad, a.data)  # d/dx of x * mask / (1 - p)
    assert F.dropout(x, 0.3, training=False) is x and F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).data.any()
    for bad in (-0.1, 1.5, "0.5"):
        with pytest.raises(ValueError, match="dropout: p must be a probability in"):
            F.dropout(x, bad)  # type: ignore[arg-type]


def test_erf_matches_the_standard_library_everywhere() -> None:
    import math

    from tinygrad_nn.ops import erf

    x = np.concatenate([np.linspace(-8, 8, 20001), [0.0, 1e-300, -2.0, 2.0, np.inf, -np.inf]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), expected, rtol=2e-15, atol=1e-300)
    assert np.isnan(erf(np.array([np.nan])))[0]
    assert erf(np.float32([0.3, 3.0])).dtype == np.float32


def test_activations_keep_float32_and_refuse_inplace() -> None:
    x = Tensor(np.linspace(-3, 3, 7, dtype=np.float32), requires_grad=True)
    for out in (F.gelu(x), F.gelu(x, approximate="tanh"), F.silu(x), F.leaky_relu(x, 0.1)):
        assert out.dtype == np.float32
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(x, approximate="erf")
    with pytest.raises(ValueError, match="inplace=True is not supported"):
        F.relu(x, inplace=True)


def test_softmax_without_dim_refuses_a_guess_on_3d() -> None:
    z = _logits(2, 3, 4)
    with pytest.raises(TypeError, match="softmax: pass dim= for a 3-D input"):
        F.softmax(z)
    np.testing.assert_array_equal(F.softmax(z, axis=2).data, F.softmax(z, dim=-1).data)
    assert F.log_softmax(z, 1, dtype=np.float32).dtype == np.float32


def test_linear_checks_its_shapes() -> None:
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 3\) and weight of shape"):
        F.linear(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5))))


def test_bce_with_logits_weights_must_broadcast_to_the_input() -> None:
    z = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(3,\) does not broadcast"):
        F.binary_cross_entropy_with_logits(z, np.zeros((3, 4)), pos_weight=np.ones(3))
    with pytest.raises(ValueError, match=r"weight of shape \(2, 3, 4\) does not broadcast"):
        F.binary_cross_entropy_with_logits(z, np.zeros((3, 4)), np.ones((2, 3, 4)))
    plain = F.binary_cross_entropy_with_logits(z, np.ones((3, 4))).item()
    doubled = F.binary_cross_entropy_with_logits(z, np.ones((3, 4)), pos_weight=np.full(4, 2.0))
    assert doubled.item() == pytest.approx(2 * plain, rel=1e-12)  # q scales the y = 1 term


def test_missing_pytorch_functions_say_what_to_write_instead() -> None:
    with pytest.raises(AttributeError, match=r"no softplus: write F.binary_cross_entropy_with"):
        _ = F.softplus  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="conv2d is not supported: tinygrad_nn has dense"):
        _ = F.conv2d  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="has no attribute 'nonexistent'"):
        _ = F.nonexistent  # type: ignore[attr-defined]
    x = Tensor(np.linspace(-30, 30, 7), dtype=np.float64)
    zeros = Tensor(np.zeros(7))
    softplus = F.binary_cross_entropy_with_logits(x, zeros, reduction="none")  # as advertised
    np.testing.assert_allclose(softplus.data, np.logaddexp(0, x.data), rtol=1e-12)
