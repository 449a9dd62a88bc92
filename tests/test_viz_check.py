"""check_graph: every op's local backward against central differences, wrong ones pointed at."""

from __future__ import annotations

import numpy as np
import pytest
from viz_helpers import MLP, column_mlp

import tinygrad_nn.functional as F
from tinygrad_nn import Tensor, ops
from tinygrad_nn.autograd import apply
from tinygrad_nn.viz import check_graph, check_op, record


class WrongMul(ops.Mul):
    """Z = A * B with a deliberately wrong dA (10% too large); dB is right."""

    __slots__ = ()
    name = "wrong_mul"

    def backward(self, dZ: np.ndarray) -> tuple[np.ndarray | None, ...]:
        a, b = self.saved
        return dZ * b * 1.1, dZ * a


class ForgetsBroadcastSign(ops.Sub):
    """Z = A - B with dB = +dZ instead of -dZ."""

    __slots__ = ()
    name = "wrong_sub"

    def backward(self, dZ: np.ndarray) -> tuple[np.ndarray | None, ...]:
        return dZ, dZ


def test_dropped_values_must_be_recorded_and_the_error_says_how() -> None:
    from tinygrad_nn import nn

    model = nn.MLP([3, 5, 2], activation="tanh", rng=np.random.default_rng(0))
    x = Tensor(np.random.default_rng(1).standard_normal((4, 3)))

    def loss_fn() -> Tensor:
        return F.cross_entropy(model(x), np.array([0, 1, 1, 0]))  # hidden tensors dropped

    with pytest.raises(ValueError, match=r"was dropped.*record\(\).*check_graph\(lambda"):
        check_graph(loss_fn())  # nothing is rebuilt: the values are simply not there
    names = [
        "transpose", "matmul", "add", "tanh", "transpose", "matmul", "add", "cross_entropy"
    ]  # fmt: skip
    result = check_graph(loss_fn)  # the function that builds the loss: recorded for the check
    assert [n.op_name for n in result.nodes] == names
    assert result.ok and result.worst is not None and result.worst.error < 1e-7
    with record() as rec:
        loss = loss_fn()
    assert [n.error for n in check_graph(loss).nodes] == [n.error for n in result.nodes]
    del rec


def test_correct_graphs_pass() -> None:
    result = check_graph(lambda: column_mlp()["J"])
    assert len(result.nodes) == 10 and result.ok
    assert result.worst is not None and result.worst.error < 1e-7
    rng = np.random.default_rng(0)
    model = MLP([4, 6, 3], rng)
    x = Tensor(rng.normal(size=(5, 4)).astype(np.float32))
    result = check_graph(lambda: F.cross_entropy(model(x), np.array([0, 2, 1, 1, 0])))
    assert result.ok, str(result)  # float32 values, checked in float64
    errors = {n.op_name: n.input_errors for n in result.nodes}
    assert errors["cross_entropy"][1] is None  # integer targets get no gradient


def test_wrong_backward_is_pointed_at() -> None:
    rng = np.random.default_rng(1)
    a = Tensor(rng.normal(size=(3, 4)), requires_grad=True, name="a")
    b = Tensor(rng.normal(size=(3, 4)), requires_grad=True, name="b")
    with record() as rec:
        bad = apply(WrongMul, a, b)
        loss = (bad.tanh() * 3.0).sum()
    result = check_graph(loss)
    assert not result.ok
    assert [n.op_name for n in result.failed] == ["wrong_mul"]
    (node,) = result.failed
    assert node.op is bad._op
    err_a, err_b = node.input_errors
    assert err_a is not None and 0.02 < err_a < 0.1  # ||0.1 g|| / ||2.1 g|| = 0.048
    assert err_b is not None and err_b < 1e-7
    assert "WRONG" in str(result) and result.errors()[bad._op] == node.error  # type: ignore[index]
    src = result.draw().source
    assert "WRONG: da" in src  # names the input whose gradient is wrong
    assert src.count('fillcolor="#ffc7ce"') == 1  # one red node
    assert src.count('fillcolor="#c6efce"') == 3  # tanh, mul, sum are green
    del rec


def test_wrong_sign_on_a_broadcast_operand() -> None:
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    c = Tensor(np.arange(3.0), requires_grad=True)
    out = apply(ForgetsBroadcastSign, x, c)
    errs = check_op(out._op)  # type: ignore[arg-type]
    assert errs[0] is not None and errs[0] < 1e-7
    assert errs[1] is not None and errs[1] > 0.5


def test_works_after_backward_released_the_graph() -> None:
    with record() as rec:
        t = column_mlp()
        t["J"].backward()
    assert t["J"]._op is not None and t["J"]._op.released
    assert check_graph(t["J"]).ok
    assert rec.has_backward


def test_drawing_and_checking_leave_the_graph_alone() -> None:
    with record() as rec:
        t = column_mlp()
    ops_before = [
        (u, u._op, getattr(u._op, "saved", None), u._op.released)
        for u in [t["Z1"], t["A2"], t["J"]]
    ]
    data_before = {k: v.data.copy() for k, v in t.items()}
    from tinygrad_nn.viz import draw

    draw(t["J"], show_data=True, notation="math", max_nodes=5)
    check_graph(t["J"])
    for u, op, saved, released in ops_before:
        assert u._op is op and getattr(op, "saved", None) is saved and op.released == released
    for k, v in t.items():
        np.testing.assert_array_equal(v.data, data_before[k])
        assert v.grad is None
    t["J"].backward()  # the graph is still usable
    assert t["W1"].grad is not None
    del rec
