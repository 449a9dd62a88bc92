"""The top level as PyTorch's ``torch`` namespace: constructors, dtype names, functions."""

from __future__ import annotations

import subprocess
import sys
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
    with pytest.raises(AttributeError, match="has no attribute 'nonexistent'"):
        _ = tinygrad_nn.nonexistent


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
