"""Item assignment and the in-place methods, with PyTorch's in-place rules (and torch's values)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_nn as tn
from tinygrad_nn import Tensor

LEAF = "a leaf Variable that requires grad is being used in an in-place operation"

rng = np.random.default_rng(3)
X = rng.standard_normal((3, 4))
OTHER = rng.standard_normal((3, 4))

# name: the same program for tinygrad_nn and torch, x and the module (tn or torch) given
PROGRAMS: dict[str, Callable[[Any, Any], Any]] = {
    "column = 0": lambda x, m: x.__setitem__((slice(None), 1), 0),
    "mask = 0": lambda x, m: x.__setitem__(x < 0, 0),
    "rows = tensor": lambda x, m: x.__setitem__(m.tensor([0, 2]), m.tensor(OTHER[:2])),
    "row = broadcast row": lambda x, m: x.__setitem__(1, m.tensor(OTHER[0])),
    "add_ alpha": lambda x, m: x.add_(m.tensor(OTHER), alpha=0.5),
    "sub_ number": lambda x, m: x.sub_(2.0),
    "mul_ broadcast": lambda x, m: x.mul_(m.tensor(OTHER[0])),
    "div_": lambda x, m: x.div_(m.tensor(OTHER)),
    "pow_": lambda x, m: x.pow_(2),
    "neg_": lambda x, m: x.neg_(),
    "clamp_": lambda x, m: x.clamp_(-0.5, 0.5),
    "clamp_ min only": lambda x, m: x.clamp_(min=0.0),
    "copy_ broadcast": lambda x, m: x.copy_(m.tensor(OTHER[1])),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_inplace_programs_match_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch")
    x = Tensor(X.copy())
    tx = torch.tensor(X.copy())
    out, tout = PROGRAMS[name](x, tn), PROGRAMS[name](tx, torch)
    np.testing.assert_allclose(x.data, tx.numpy(), rtol=1e-12)
    if tout is not None:  # the methods return the tensor itself
        assert out is x


def test_setitem_follows_the_inplace_rules() -> None:
    w = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=LEAF):
        w[0] = 5.0
    with tn.no_grad():
        w[w > 0] = 2.0
    np.testing.assert_array_equal(w.data, [2.0, 2.0, 2.0])
    h = w * 1
    with pytest.raises(RuntimeError, match="in-place change of a tensor that is part of a graph"):
        h[0] = 0.0
    c = Tensor(np.zeros(3))
    with pytest.raises(RuntimeError, match="right-hand side requires grad"):
        c[0:3] = w
    with pytest.raises(ValueError, match=r"value of shape \(2,\) .* shape \(3,\)"):
        c[:] = np.ones(2)
    with pytest.raises(ValueError, match="read-only"):
        Tensor(np.ones(1)).expand(3)[0] = 2.0


def test_inplace_methods_follow_the_rules() -> None:
    w = Tensor(np.ones(2), requires_grad=True)
    for f in (
        lambda: w.add_(1),
        lambda: w.sub_(1),
        lambda: w.mul_(2),
        lambda: w.div_(2),
        lambda: w.pow_(2),
        lambda: w.neg_(),
        lambda: w.clamp_(0, 1),
        lambda: w.copy_(np.zeros(2)),
    ):
        with pytest.raises(RuntimeError, match=LEAF):
            f()
    with pytest.raises(RuntimeError, match="part of a graph"):
        (w * 2).add_(1)
    with pytest.raises(RuntimeError, match="right-hand side requires grad"):
        Tensor(np.ones(2)).add_(w, alpha=2)
    i = Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match="mul_: the result has dtype float64"):
        i.mul_(0.5)
    with pytest.raises(ValueError, match=r"copy_: cannot broadcast the source's shape \(3,\)"):
        Tensor(np.ones(2)).copy_(np.ones(3))
    with pytest.raises(ValueError, match="give at least one"):
        Tensor(np.ones(2)).clamp_()


def test_copy_into_a_parameter_under_no_grad() -> None:
    model = tn.nn.Linear(3, 2)
    src = np.arange(6.0).reshape(2, 3)
    with tn.no_grad():
        model.weight.copy_(Tensor(src))
        model.bias.copy_([1, 2])  # a list of ints: cast to the weight's dtype
    np.testing.assert_array_equal(model.weight.data, src.astype(model.weight.data.dtype))
    assert model.bias.data.dtype == model.weight.data.dtype
    np.testing.assert_array_equal(model.bias.data, [1.0, 2.0])
    assert model.weight.requires_grad and model.weight.op is None  # still a leaf parameter
    model(Tensor(np.ones((1, 3), model.weight.data.dtype))).sum().backward()
    assert model.weight.grad is not None


def test_inplace_methods_after_the_forward_pass_make_backward_raise() -> None:
    for change in (
        lambda w: w.__setitem__(0, 5.0),
        lambda w: w.copy_(np.zeros(2)),
        lambda w: w.add_(1.0),
        lambda w: w.clamp_(max=0.5),
        lambda w: w.neg_(),
    ):
        w = Tensor(np.ones(2), requires_grad=True)
        loss = (w * w).sum()
        with tn.no_grad():
            change(w)
        with pytest.raises(RuntimeError, match="was changed in place after the forward pass"):
            loss.backward()
        (w * w).sum().backward()  # a graph recorded after the change is fine
        assert w.grad is not None
