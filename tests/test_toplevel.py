"""The top level as PyTorch's ``torch`` namespace: constructors, dtype names, functions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_nn
import tinygrad_nn as tt
from tinygrad_nn import Tensor


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([0, 2, 1], np.int64),
        ([[1.0, 2.0]], np.float32),
        ([1, 2.5], np.float32),
        (True, np.bool_),
        ([True, 2], np.int64),
        (3, np.int64),
        (np.arange(3, dtype=np.int32), np.int32),
        (np.ones(2), np.float64),
        (np.float64(1.5), np.float64),
    ],
)
def test_tensor_infers_dtypes_as_pytorch(data: Any, expected: type) -> None:
    assert tt.tensor(data).dtype == np.dtype(expected)


def test_tensor_copies_and_from_numpy_shares() -> None:
    a = np.zeros(3)
    copied, shared = tt.tensor(a), tt.from_numpy(a)
    a[0] = 5.0
    assert copied.data[0] == 0.0 and shared.data[0] == 5.0
    t = tt.tensor([1.0, 2.0], dtype=tt.float64, requires_grad=True)
    assert t.dtype == tt.float64 and t.requires_grad and t.is_leaf
    with pytest.raises(TypeError, match="from_numpy: expected np.ndarray, got list"):
        tt.from_numpy([1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tensor: cannot make a numeric tensor from str"):
        tt.tensor("abc")
    with pytest.raises(RuntimeError, match="tinygrad_nn runs on NumPy on the CPU"):
        tt.tensor([1.0], device="cuda")


def test_dtype_names_are_numpy_dtypes() -> None:
    assert tt.float32 == np.dtype("float32") == tt.float and tt.double == tt.float64
    assert tt.long == tt.int64 and tt.int == tt.int32 and tt.half == tt.float16
    assert tt.bool == np.dtype(bool)
    x = tt.zeros(2, 3)
    assert x.dtype == tt.float32 and x.astype(tt.float64).dtype == np.float64
    assert np.zeros(2, dtype=tt.int64).dtype == np.int64
    with pytest.raises(AttributeError, match="NumPy has no bfloat16"):
        _ = tt.bfloat16


def test_constructors_take_size_as_ints_or_a_tuple() -> None:
    for make in (tt.zeros, tt.ones, tt.empty, tt.randn, tt.rand):
        assert make(2, 3).shape == make((2, 3)).shape == make([2, 3]).shape == (2, 3)
        assert make(2, dtype=tt.float64).dtype == np.float64
        assert make(4, requires_grad=True).requires_grad
    assert not tt.empty(5).data.any()  # never garbage
    assert tt.full((2, 2), 7).dtype == np.int64 and tt.full((2,), 0.5).dtype == np.float32
    assert tt.full((2,), True).dtype == np.bool_
    like = np.ones((2, 3), dtype=np.float64)
    for fn in (tt.zeros_like, tt.ones_like, tt.empty_like, tt.randn_like, tt.rand_like):
        out = fn(Tensor(like))
        assert out.shape == (2, 3) and out.dtype == np.float64
    assert tt.full_like(Tensor(like), 2.0).data.sum() == 12.0
    assert tt.eye(3).dtype == np.float32 and tt.eye(2, 3).shape == (2, 3)
    with pytest.raises(ValueError, match="zeros: negative dimension"):
        tt.zeros(2, -1)


def test_arange_and_linspace_as_pytorch() -> None:
    assert tt.arange(5).dtype == np.int64 and tt.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert tt.arange(0, 1, 0.25).dtype == np.float32
    assert tt.arange(3.0).dtype == np.float32 and tt.arange(3, dtype=tt.float64).dtype == np.float64
    lin = tt.linspace(-1, 1, 5)
    assert lin.dtype == np.float32 and lin.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        tt.arange(0, 3, 0)


def test_constructors_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    pairs = [
        ("arange(5)", tt.arange(5), torch.arange(5)),
        ("arange(-1, 1, 0.3)", tt.arange(-1, 1, 0.3), torch.arange(-1, 1, 0.3)),
        ("arange(10, 2, -3)", tt.arange(10, 2, -3), torch.arange(10, 2, -3)),
        ("linspace", tt.linspace(-3.5, 2, 11), torch.linspace(-3.5, 2, 11)),
        ("eye", tt.eye(3, 4), torch.eye(3, 4)),
        ("full", tt.full((2, 3), 2), torch.full((2, 3), 2)),
        ("tensor ints", tt.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 2], [3, 4]])),
        ("tensor mixed", tt.tensor([1, 2.5]), torch.tensor([1, 2.5])),
        ("ones_like", tt.ones_like(tt.arange(3)), torch.ones_like(torch.arange(3))),
    ]
    for name, ours, theirs in pairs:
        assert str(theirs.dtype) == f"torch.{ours.dtype}", name
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6, err_msg=name)


def test_random_constructors_are_reproducible_under_manual_seed() -> None:
    def draw() -> list[np.ndarray]:
        tt.manual_seed(11)
        return [
            tt.randn(3, 2).data,
            tt.rand(4).data,
            tt.randint(0, 10, (5,)).data,
            tt.randint(3, size=(2,)).data,
            tt.randperm(6).data,
        ]

    first, second = draw(), draw()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert first[2].dtype == np.int64 and 0 <= first[2].min() and first[2].max() < 10
    assert sorted(first[4]) == list(range(6))
    assert tt.randn(2, generator=np.random.default_rng(0)).data.tolist() == pytest.approx(
        np.random.default_rng(0).standard_normal(2).astype(np.float32).tolist()
    )
    with pytest.raises(TypeError, match=r"randint: expected randint\(high, size\)"):
        tt.randint(5)


def test_cat_and_stack_take_dim() -> None:
    a, b = tt.ones(2, 1), tt.zeros(2, 3)
    assert tt.cat([a, b], dim=1).shape == (2, 4) == tt.cat((a, b), 1).shape
    assert tt.concat([a, a]).shape == (4, 1) and tt.cat([a, b], axis=-1).shape == (2, 4)
    assert tt.stack([b, b], dim=2).shape == (2, 3, 2) and tt.stack([b, b]).shape == (2, 2, 3)
    with pytest.raises(TypeError, match="cat: expected a sequence of tensors, got one Tensor"):
        tt.cat(a)  # type: ignore[arg-type]


def test_functions_are_the_methods() -> None:
    x = tt.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], dtype=tt.float64, requires_grad=True)
    for fn, method in (
        (tt.exp, x.exp),
        (tt.tanh, x.tanh),
        (tt.sigmoid, x.sigmoid),
        (tt.relu, x.relu),
        (tt.abs, x.abs),
        (tt.neg, x.__neg__),
        (tt.t, lambda: x.T),
        (tt.flatten, x.flatten),
        (tt.sum, x.sum),
        (tt.mean, x.mean),
        (tt.softmax, lambda: x.softmax(-1)),
    ):
        np.testing.assert_array_equal(fn(x).data, method().data)
    np.testing.assert_array_equal(tt.sqrt(tt.abs(x)).data, np.sqrt(np.abs(x.data)))
    np.testing.assert_array_equal(tt.log(tt.square(x)).data, np.log(x.data**2))
    np.testing.assert_array_equal(tt.matmul(x, x.T).data, tt.mm(x, x.T).data)
    np.testing.assert_array_equal(tt.sum(x, 1).data, x.data.sum(1))
    assert tt.numel(x) == 6 and tt.is_tensor(x) and not tt.is_tensor(x.data)
    assert tt.is_floating_point(x) and not tt.is_floating_point(tt.arange(2))
    np.testing.assert_array_equal(tt.max(x, -x).data, np.maximum(x.data, -x.data))
    np.testing.assert_array_equal(tt.min(x, 0.0 * x).data, np.minimum(x.data, 0.0))
    values, indices = tt.max(x, 1)
    assert values.tolist() == [2.0, 1.5] and indices.tolist() == [2, 0]
    np.testing.assert_array_equal(tt.where(x > 0, x, -x).data, np.abs(x.data))
    np.testing.assert_array_equal(tt.sin(x).data, np.sin(x.data))
    np.testing.assert_array_equal(tt.cos(x).data, np.cos(x.data))
    np.testing.assert_array_equal(tt.clamp(x, min=0).data, np.maximum(x.data, 0))
    np.testing.assert_allclose(tt.std(x).item(), x.data.std(ddof=1), rtol=1e-12)
    np.testing.assert_allclose(tt.var(x, 1).data, x.data.var(1, ddof=1), rtol=1e-12)
    assert tt.amax(x, 0).tolist() == [1.5, 0.25, 2.0] and tt.amin(x).item() == -1.0
    assert tt.unsqueeze(x, 0).shape == (1, 2, 3) and tt.squeeze(x[None]).shape == (2, 3)
    assert tt.permute(x, 1, 0).shape == (3, 2) and tt.transpose(x, 0, 1).shape == (3, 2)
    assert tt.gather(x, 1, tt.tensor([[0], [2]])).tolist() == [[0.5], [-0.5]]
    with pytest.raises(ValueError, match="mm: expected two 2-D tensors"):
        tt.mm(x, x[0])


def test_grad_mode_switches() -> None:
    w = tt.ones(2, requires_grad=True)
    with tt.no_grad():
        assert not (w * 2).requires_grad
        with tt.enable_grad():
            assert (w * 2).requires_grad
    with tt.set_grad_enabled(False):
        assert not tt.is_grad_enabled()
    assert tt.is_grad_enabled()
    tt.set_grad_enabled(False)
    try:
        assert not (w * 2).requires_grad
    finally:
        tt.set_grad_enabled(True)
    with tt.inference_mode():
        assert not tt.is_grad_enabled()

    @tt.no_grad()
    def predict(x: Tensor) -> Tensor:
        return x * w

    @tt.set_grad_enabled(False)
    def predict2(x: Tensor) -> Tensor:
        return x * w

    assert not predict(tt.ones(2)).requires_grad and not predict2(tt.ones(2)).requires_grad
    assert tt.is_grad_enabled()


def test_devices_and_submodules() -> None:
    assert not tt.cuda.is_available() and not tt.accelerator.is_available()
    assert str(tt.device("cpu")) == "cpu"
    with pytest.raises(RuntimeError, match="runs on NumPy on the CPU"):
        tt.device("cuda")
    assert tinygrad_nn.nn.Linear is not None and tinygrad_nn.optim.SGD is not None
    assert tinygrad_nn.utils.data is tinygrad_nn.data
    with pytest.raises(AttributeError, match=r"tinygrad_nn has no nonexistent; see docs/coming"):
        _ = tinygrad_nn.nonexistent
    assert not hasattr(tinygrad_nn, "nonexistent")
    with pytest.raises(AttributeError, match=r"no backward as a function.*x\.backward\("):
        _ = tinygrad_nn.backward  # a Tensor method: the error names the method spelling


def test_import_stays_numpy_only() -> None:
    code = (
        "import sys, tinygrad_nn, tinygrad_nn.functional;"
        "heavy = {'torch', 'scipy', 'sklearn', 'matplotlib', 'graphviz', 'tinygrad_nn.nn',"
        " 'tinygrad_nn.optim', 'tinygrad_nn.viz'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_save_and_load_round_trip_nested_state(tmp_path: Any) -> None:
    import io

    state = {
        "epoch": 3,
        "model": {"0.weight": tt.randn(2, 3), "0.bias": np.arange(2.0)},
        "optimizer": {"state": {0: {"step": 4, "momentum_buffer": tt.ones(2)}}, "lr": 0.1},
        "history": [0.5, 0.25, None, "done", (1, 2)],
        "flag": True,
    }
    path = tmp_path / "checkpoint.pth"
    tt.save(state, path)
    assert path.exists() and not list(tmp_path.glob(".*tmp"))  # the exact name, no leftovers
    back = tt.load(path)
    assert back["epoch"] == 3 and back["flag"] is True and back["history"][4] == (1, 2)
    assert isinstance(back["model"]["0.weight"], Tensor)
    assert isinstance(back["model"]["0.bias"], np.ndarray)
    np.testing.assert_array_equal(back["model"]["0.weight"].data, state["model"]["0.weight"].data)
    assert back["optimizer"]["state"][0]["step"] == 4  # int keys stay ints
    buffer = io.BytesIO()
    tt.save({"w": tt.ones(3)}, buffer)
    buffer.seek(0)
    assert tt.load(buffer, map_location="cpu")["w"].data.tolist() == [1.0, 1.0, 1.0]


def test_save_refuses_what_it_cannot_store_and_load_names_the_file(tmp_path: Any) -> None:
    model = tinygrad_nn.nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"save its state_dict instead"):
        tt.save(model, tmp_path / "model.pth")
    bad = tmp_path / "not_ours.pth"
    bad.write_bytes(b"\x80\x02 a pickle, say")
    with pytest.raises(RuntimeError, match="is not a file written by tinygrad_nn.save"):
        tt.load(bad)
    with pytest.raises(RuntimeError, match="runs on NumPy on the CPU"):
        tt.load(bad, map_location="cuda:0")


def test_pytorch_import_lines_work_with_torch_renamed() -> None:
    """A PyTorch program's import lines with `torch` replaced by `tinygrad_nn` all work, and
    name the same objects as the short spellings."""
    import importlib

    import tinygrad_nn
    import tinygrad_nn.data
    import tinygrad_nn.functional

    assert importlib.import_module("tinygrad_nn.nn.functional") is tinygrad_nn.functional
    assert tinygrad_nn.nn.functional is tinygrad_nn.functional
    utils_data = importlib.import_module("tinygrad_nn.utils.data")
    for name in ("DataLoader", "Dataset", "TensorDataset", "random_split"):
        assert getattr(utils_data, name) is getattr(tinygrad_nn.data, name)
    assert tinygrad_nn.utils.data.DataLoader is tinygrad_nn.data.DataLoader
    scheduler = importlib.import_module("tinygrad_nn.optim.lr_scheduler")
    assert scheduler.StepLR is tinygrad_nn.optim.lr_scheduler.StepLR


# ------------------------------------------------ torch.X(...) function forms against torch

# (name, call on the module (tt or torch), inputs as float64 arrays, differentiable)
_SAMPLE = np.array([[0.7, -1.3, 2.2], [1.6, 0.25, -0.45]])
_OTHER = np.array([[0.3, 1.1, -2.5], [1.6, -0.4, 0.8]])
_SPECIAL = np.array([[np.nan, -np.inf, 0.0], [np.inf, -2.0, 3.0]])
_BATCH = np.random.default_rng(3).standard_normal((2, 3, 4))
_BATCH2 = np.random.default_rng(4).standard_normal((2, 4, 2))
_FUNCTION_CASES: list[tuple[str, Any, list[np.ndarray], bool]] = [
    ("sin", lambda m, x: m.sin(x), [_SAMPLE], True),
    ("cos", lambda m, x: m.cos(x), [_SAMPLE], True),
    ("where", lambda m, x, y: m.where(x > y, x, y), [_SAMPLE, _OTHER], True),
    ("clamp", lambda m, x: m.clamp(x, min=-0.5, max=1.0), [_SAMPLE], True),
    ("clamp min only", lambda m, x: m.clamp(x, min=0.0), [_SAMPLE], True),
    ("std", lambda m, x: m.std(x), [_SAMPLE], True),
    ("std dim", lambda m, x: m.std(x, dim=1, keepdim=True), [_SAMPLE], True),
    ("var dim", lambda m, x: m.var(x, 0), [_SAMPLE], True),
    ("amax", lambda m, x: m.amax(x, 1), [_SAMPLE], True),
    ("amin", lambda m, x: m.amin(x, dim=0), [_SAMPLE], True),
    ("maximum", lambda m, x, y: m.maximum(x, y), [_SAMPLE, _OTHER + 0.01], True),
    ("minimum", lambda m, x, y: m.minimum(x, y), [_SAMPLE, _OTHER + 0.01], True),
    ("max of two", lambda m, x, y: m.max(x, y), [_SAMPLE, _OTHER + 0.01], True),
    ("min of two", lambda m, x, y: m.min(x, y), [_SAMPLE, _OTHER + 0.01], True),
    ("max over dim", lambda m, x: m.max(x, 1)[0], [_SAMPLE], True),
    ("max other=", lambda m, x, y: m.max(x, other=y), [_SAMPLE, _OTHER + 0.01], True),
    ("min other=", lambda m, x, y: m.min(x, other=y), [_SAMPLE, _OTHER + 0.01], True),
    ("min over dim", lambda m, x: m.min(x, dim=0, keepdim=True).values, [_SAMPLE], True),
    ("mul", lambda m, x, y: m.mul(x, y), [_SAMPLE, _OTHER], True),
    ("mul number", lambda m, x: m.mul(x, 2.5), [_SAMPLE], True),
    ("add", lambda m, x, y: m.add(x, y), [_SAMPLE, _OTHER], True),
    ("add alpha", lambda m, x, y: m.add(x, y, alpha=3), [_SAMPLE, _OTHER], True),
    ("sub", lambda m, x, y: m.sub(x, y), [_SAMPLE, _OTHER], True),
    ("sub alpha", lambda m, x, y: m.sub(x, y, alpha=0.5), [_SAMPLE, _OTHER], True),
    ("div", lambda m, x, y: m.div(x, y), [_SAMPLE, _OTHER], True),
    ("div floor", lambda m, x, y: m.div(x, y, rounding_mode="floor"), [_SAMPLE, _OTHER], True),
    ("div trunc", lambda m, x: m.div(x, 0.3, rounding_mode="trunc"), [_SAMPLE], True),
    ("pow", lambda m, x: m.pow(x, 3), [_SAMPLE], True),
    ("pow tensor", lambda m, x, y: m.pow(m.abs(x) + 0.1, y), [_SAMPLE, _OTHER], True),
    ("neg", lambda m, x: m.neg(x), [_SAMPLE], True),
    ("square", lambda m, x: m.square(x), [_SAMPLE], True),
    ("mm", lambda m, x, y: m.mm(x, y.T), [_SAMPLE, _OTHER], True),
    ("bmm", lambda m, x, y: m.bmm(x, y), [_BATCH, _BATCH2], True),
    ("t", lambda m, x: m.t(x), [_SAMPLE], True),
    ("transpose", lambda m, x: m.transpose(x, 0, 1), [_SAMPLE], True),
    ("permute", lambda m, x: m.permute(x, (2, 0, 1)), [_BATCH], True),
    ("reshape", lambda m, x: m.reshape(x, (3, 2)), [_SAMPLE], True),
    ("reshape -1", lambda m, x: m.reshape(x, (-1,)), [_SAMPLE], True),
    ("flatten", lambda m, x: m.flatten(x), [_BATCH], True),
    ("flatten dims", lambda m, x: m.flatten(x, 1), [_BATCH], True),
    ("squeeze", lambda m, x: m.squeeze(x[None]), [_SAMPLE], True),
    ("squeeze dim", lambda m, x: m.squeeze(x[:, None], 1), [_SAMPLE], True),
    ("unsqueeze", lambda m, x: m.unsqueeze(x, -1), [_SAMPLE], True),
    ("argmax", lambda m, x: m.argmax(x), [_SAMPLE], False),
    ("argmax dim", lambda m, x: m.argmax(x, dim=1), [_SAMPLE], False),
    ("argmin dim", lambda m, x: m.argmin(x, 0), [_SAMPLE], False),
    ("softmax", lambda m, x: m.softmax(x, dim=1), [_SAMPLE], True),
    ("log_softmax", lambda m, x: m.log_softmax(x, 0), [_SAMPLE], True),
    ("isnan", lambda m, x: m.isnan(x), [_SPECIAL], False),
    ("isinf", lambda m, x: m.isinf(x), [_SPECIAL], False),
    ("isfinite", lambda m, x: m.isfinite(x), [_SPECIAL], False),
    ("sign", lambda m, x: m.sign(x - 0.25), [_SAMPLE], True),
    ("floor", lambda m, x: m.floor(x), [_SAMPLE], True),
    ("ceil", lambda m, x: m.ceil(x), [_SAMPLE], True),
    ("round", lambda m, x: m.round(x * 2), [_SAMPLE], True),
    ("round decimals", lambda m, x: m.round(x * 3.3333, decimals=1), [_SAMPLE], True),
]
# the Tensor methods of another branch (tfix): their function forms run once it is merged
_METHOD_CASES: list[tuple[str, Any, list[np.ndarray], bool]] = [
    ("prod", lambda m, x: m.prod(x), [_SAMPLE], True),
    ("prod dim", lambda m, x: m.prod(x, 1, keepdim=True), [_SAMPLE], True),
    ("cumsum", lambda m, x: m.cumsum(x, dim=1), [_SAMPLE], True),
    ("all", lambda m, x: m.all(x > 0), [_SAMPLE], False),
    ("all dim", lambda m, x: m.all(x > -1, dim=1), [_SAMPLE], False),
    ("any", lambda m, x: m.any(x > 2), [_SAMPLE], False),
    ("any dim", lambda m, x: m.any(x > 2, 0), [_SAMPLE], False),
    ("norm", lambda m, x: m.norm(x), [_SAMPLE], True),
    ("norm p=1 dim", lambda m, x: m.norm(x, p=1, dim=1), [_SAMPLE], True),
    ("dot", lambda m, x, y: m.dot(x[0], y[1]), [_SAMPLE, _OTHER], True),
]


def _compare_with_torch(call: Any, arrays: list[np.ndarray], differentiable: bool) -> None:
    torch = pytest.importorskip("torch")
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 1e-5)):
        ours = [tt.tensor(a.astype(dtype), requires_grad=differentiable) for a in arrays]
        theirs = [torch.tensor(a.astype(dtype), requires_grad=differentiable) for a in arrays]
        out, expected = call(tt, *ours), call(torch, *theirs)
        assert str(expected.dtype) == f"torch.{out.dtype}"
        assert tuple(expected.shape) == out.shape
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=tol, atol=tol)
        if not differentiable:
            assert not out.requires_grad
            continue
        assert out.requires_grad == expected.requires_grad
        weights = np.random.default_rng(0).standard_normal(out.shape).astype(dtype)
        (out * tt.tensor(weights)).sum().backward()
        (expected * torch.tensor(weights)).sum().backward()
        for a, b in zip(ours, theirs, strict=True):
            grad = a.grad.data if isinstance(a.grad, Tensor) else a.grad
            np.testing.assert_allclose(grad, b.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize(
    ("call", "arrays", "differentiable"),
    [pytest.param(*case[1:], id=case[0]) for case in _FUNCTION_CASES],
)
def test_function_forms_match_torch(
    call: Any, arrays: list[np.ndarray], differentiable: bool
) -> None:
    _compare_with_torch(call, arrays, differentiable)


@pytest.mark.parametrize(
    ("call", "arrays", "differentiable"),
    [pytest.param(*case[1:], id=case[0]) for case in _METHOD_CASES],
)
def test_function_forms_of_new_methods_match_torch(
    call: Any, arrays: list[np.ndarray], differentiable: bool
) -> None:
    if not all(hasattr(Tensor, name) for name in ("prod", "cumsum", "all", "any", "norm", "dot")):
        pytest.skip("the Tensor methods prod/cumsum/all/any/norm/dot are not on this branch yet")
    _compare_with_torch(call, arrays, differentiable)


def test_compare_with_torch_catches_a_wrong_function() -> None:
    pytest.importorskip("torch")
    with pytest.raises(AssertionError):  # a wrong value
        _compare_with_torch(lambda m, x: m.sin(x) if m is tt else m.cos(x), [_SAMPLE], True)
    with pytest.raises(AssertionError):  # a gradient where torch has none
        _compare_with_torch(
            lambda m, x: m.sin(x) if m is tt else m.sin(x.detach()), [_SAMPLE], True
        )


def test_integer_and_bool_inputs_as_torch() -> None:
    torch = pytest.importorskip("torch")
    ints, divisors = [-7, 7, 6, -6, 0], [2, -2, 4, 5, -3]
    for mode in ("floor", "trunc"):
        ours = tt.div(tt.tensor(ints), tt.tensor(divisors), rounding_mode=mode)
        theirs = torch.div(torch.tensor(ints), torch.tensor(divisors), rounding_mode=mode)
        assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist(), mode
        assert tt.div(tt.tensor(ints), 2, rounding_mode=mode).tolist() == torch.div(
            torch.tensor(ints), 2, rounding_mode=mode
        ).tolist()
    assert tt.div(tt.tensor(ints), 2).dtype == np.float32  # true division, as torch
    for name in ("floor", "ceil", "round", "sign"):
        ours, theirs = getattr(tt, name)(tt.tensor(ints)), getattr(torch, name)(torch.tensor(ints))
        assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist(), name
    assert tt.sign(tt.tensor([True, False])).tolist() == [True, False]
    with pytest.raises(ZeroDivisionError, match="div: integer division by zero"):
        tt.div(tt.tensor(ints), 0, rounding_mode="floor")
    with pytest.raises(ValueError, match="rounding_mode must be None, 'trunc' or 'floor'"):
        tt.div(tt.tensor([1.0]), 2, rounding_mode="round")


def test_zero_gradient_functions_record_only_when_asked() -> None:
    x = tt.tensor([-1.5, 0.5, 2.5], requires_grad=True)
    with tt.no_grad():
        assert not tt.sign(x).requires_grad and not tt.floor(x).requires_grad
    assert not tt.round(x.detach()).requires_grad
    y = tt.floor(x) * x  # d/dx (floor(x) * x) = floor(x): only the product's path counts
    y.sum().backward()
    grad = x.grad.data if isinstance(x.grad, Tensor) else x.grad
    assert grad.tolist() == [-2.0, 0.0, 2.0]


def test_equal_allclose_isclose_as_torch() -> None:
    torch = pytest.importorskip("torch")
    a = np.array([1.0, 2.0, np.nan, np.inf])
    b = np.array([1.0 + 1e-7, 2.0001, np.nan, np.inf])
    for x, y in ((a, a), (a, b), (a[:2], a[:2]), (a[:2], b[:2]), (np.ones((2, 3)), np.ones(3))):
        assert tt.equal(tt.tensor(x), tt.tensor(y)) == torch.equal(
            torch.tensor(x), torch.tensor(y)
        )
        for kwargs in ({}, {"equal_nan": True}, {"rtol": 1e-3}, {"rtol": 0, "atol": 1e-6}):
            ours = tt.isclose(tt.tensor(x), tt.tensor(y), **kwargs)
            theirs = torch.isclose(torch.tensor(x), torch.tensor(y), **kwargs)
            assert ours.dtype == np.bool_ and ours.tolist() == theirs.tolist(), kwargs
            assert tt.allclose(tt.tensor(x), tt.tensor(y), **kwargs) is torch.allclose(
                torch.tensor(x), torch.tensor(y), **kwargs
            )
    assert tt.equal(tt.tensor([1, 2]), tt.tensor([1.0, 2.0]))  # values, not dtypes, as torch
    assert not tt.equal(tt.ones(2, 3), tt.ones(3))  # shapes must match
    with pytest.raises(TypeError, match="allclose: input and other must have the same dtype"):
        tt.allclose(tt.ones(2), tt.ones(2, dtype=tt.float64))
    with pytest.raises(ValueError, match=r"isclose: cannot broadcast shapes \(2,\) and \(3,\)"):
        tt.isclose(tt.ones(2), tt.ones(3))
    with pytest.raises(TypeError, match="equal: expected two Tensors, got Tensor and list"):
        tt.equal(tt.ones(2), [1.0, 1.0])  # type: ignore[arg-type]


def test_size_is_a_tuple_equal_to_shape() -> None:
    torch = pytest.importorskip("torch")
    x = tt.zeros(2, 3, 4)
    assert tt.Size([2, 3, 4]) == x.shape and x.shape == tt.Size((2, 3, 4))
    assert tt.Size([2, 3, 4]) == tuple(torch.Size([2, 3, 4]))
    assert isinstance(tt.Size([2, 3]), tuple) and tt.Size([2, 3, 4])[1:] == tt.Size([3, 4])
    assert isinstance(tt.Size([2, 3, 4])[1:], tt.Size) and tt.Size([2, 3, 4])[0] == 2
    assert tt.Size([2, 3, 4]).numel() == torch.Size([2, 3, 4]).numel() == 24
    assert tt.Size().numel() == 1 and repr(tt.Size([2, 3])) == "tinygrad_nn.Size([2, 3])"
    assert tt.zeros(tt.Size([2, 2])).shape == (2, 2)
    with pytest.raises(TypeError, match="Size: expected a sequence of integers"):
        tt.Size([2.5])


def test_function_form_errors_name_the_function() -> None:
    with pytest.raises(ValueError, match=r"bmm: expected two 3-D tensors .* \(2, 3\)"):
        tt.bmm(tt.ones(2, 3), tt.ones(2, 3))
    with pytest.raises(ValueError, match="bmm: expected two 3-D tensors with the same batch"):
        tt.bmm(tt.ones(2, 3, 4), tt.ones(3, 4, 2))
    with pytest.raises(TypeError, match="isnan: expected a Tensor, got list"):
        tt.isnan([1.0])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda: tt.tensor([300], dtype=tt.int8),
        lambda: tt.tensor([2**40], dtype=tt.int32),
        lambda: tt.tensor([-1], dtype=np.uint8),
        lambda: tt.arange(0, 300, dtype=tt.int8),
        lambda: tt.full((2,), 70000, dtype=tt.int16),
        lambda: tt.full((2,), 2**70, dtype=tt.int64),
    ],
)
def test_integer_values_that_do_not_fit_the_dtype_raise(make: Any) -> None:
    """PyTorch raises; NumPy's cast would wrap around silently (300 as int8 is 44)."""
    with pytest.raises((OverflowError, RuntimeError), match="does not fit"):
        make()


def test_save_refuses_nan_and_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="holds NaN/Inf"):
        tt.save({"w": tt.tensor([float("nan")])}, tmp_path / "n.pt")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OSError, match=r"save: cannot write '/proc/nope.pt'"):
        tt.save({"w": tt.tensor([1.0])}, "/proc/nope.pt")


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04abc", b"not a zip at all"])
def test_load_of_a_broken_file_says_so(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match="is not a file written by tinygrad_nn.save"):
        tt.load(path)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: tt.eye(-2), ValueError, r"eye: negative dimension"),
        (lambda: tt.arange(0, float("inf")), ValueError, r"arange: .* must be finite"),
        (lambda: tt.zeros(10**6, 10**6), MemoryError, r"zeros: size .* more than this machine"),
        (lambda: tt.randn(10**7, 10**7), RuntimeError, r"randn: size .* more than this machine"),
    ],
)
def test_constructor_errors_name_the_function(make: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()
