"""all/any, prod/cumsum of integers, dot, mT, norm's arguments, and the float-only reductions'
error: as torch's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_nn import Tensor
from tinygrad_nn.autograd import NeedsFloatError

rng = np.random.default_rng(11)
BOOLS = rng.random((3, 4, 2)) > 0.4
INTS = np.array([[3, 0, -2, 5], [1, 1, 4, -1]])
FLOATS = rng.standard_normal((2, 3, 4))

# name: (input, program for either library)
CASES: dict[str, tuple[np.ndarray, Callable[[Any], Any]]] = {
    "all": (BOOLS, lambda x: x.all()),
    "all dim": (BOOLS, lambda x: x.all(1)),
    "all dim keepdim": (BOOLS, lambda x: x.all(dim=-1, keepdim=True)),
    "any": (BOOLS, lambda x: x.any()),
    "any dim keepdim": (BOOLS, lambda x: x.any(0, keepdim=True)),
    "all of ints": (INTS, lambda x: x.all(dim=1)),
    "any of floats": (FLOATS, lambda x: (x > 1.5).any(2)),
    "prod of ints": (INTS, lambda x: x.prod(1)),
    "prod of bools": (BOOLS, lambda x: x.prod()),
    "cumsum of ints": (INTS, lambda x: x.cumsum(1)),
    "cumsum of bools": (BOOLS, lambda x: x.cumsum(dim=0)),
    "dot of ints": (INTS, lambda x: x[0].dot(x[1])),
    "mT": (FLOATS, lambda x: x.mT),
    "norm of all": (FLOATS, lambda x: x.norm()),
    "norm fro": (FLOATS, lambda x: x.norm("fro", dim=(1, 2))),
    "norm p=0.5": (FLOATS, lambda x: x.norm(0.5)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_dtypes_match_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch")
    data, program = CASES[name]
    ours, theirs = program(Tensor(data)), program(torch.tensor(data))
    assert str(ours.dtype).rsplit(".", 1)[-1] == str(theirs.dtype).rsplit(".", 1)[-1]
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)


def test_all_and_any_carry_no_graph() -> None:
    x = Tensor(FLOATS, requires_grad=True)
    assert not x.all().requires_grad and x.any(dim=1).op is None


def test_prod_gradient_where_one_element_is_zero() -> None:
    x = Tensor(np.array([2.0, 0.0, 3.0]), requires_grad=True, dtype=np.float64)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 6.0, 0.0])  # type: ignore[union-attr]


def test_norm_gradient_at_zero_is_zero() -> None:
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    x.norm(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((2, 3)))  # type: ignore[union-attr]


def test_errors_name_the_fix() -> None:
    with pytest.raises(TypeError, match=r"cumsum: give the dim.*x.cumsum\(0\)"):
        Tensor(INTS).cumsum()
    with pytest.raises(ValueError, match=r"dot: needs two 1-D tensors.*\(2, 4\) and \(4,\)"):
        Tensor(INTS).dot(Tensor(INTS[0]))
    with pytest.raises(ValueError, match=r"mT: needs a tensor with at least 2 dims.*\(4,\)"):
        _ = Tensor(INTS[0]).mT
    with pytest.raises(ValueError, match="norm: p must be a positive number"):
        Tensor(FLOATS).norm("nuc")
    with pytest.raises(ValueError, match="norm: p must be a positive number"):
        Tensor(FLOATS).norm(0)


@pytest.mark.parametrize("name", ["mean", "var", "std", "norm"])
def test_float_only_reductions_raise_runtime_and_type_error(name: str) -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        getattr(torch.tensor(INTS), name)()
    with pytest.raises(NeedsFloatError, match=rf"{name}: needs a floating tensor.*int64") as e:
        getattr(Tensor(INTS), name)()
    assert isinstance(e.value, RuntimeError) and isinstance(e.value, TypeError)
