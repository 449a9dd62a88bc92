"""Tensor construction, the backward sweep's rules, and the errors users see."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import tinygrad_nn as tn
from tinygrad_nn import Tensor, nn, optim
from tinygrad_nn.autograd import backward_steps

# ------------------------------------------------------------------------- construction


def test_python_numbers_and_lists_get_the_default_dtype() -> None:
    assert Tensor(1.5).dtype == np.float32
    assert Tensor([[1.0, 2], [3, 4]]).dtype == np.float32
    assert Tensor([[1, 2], [3, 4]]).dtype == np.int64  # as torch.tensor: class labels
    tn.set_default_dtype(np.float64)
    try:
        assert Tensor([1.0]).dtype == np.float64
        assert Tensor.zeros(2, 3).dtype == np.float64
    finally:
        tn.set_default_dtype(np.float32)
    with pytest.raises(TypeError, match="floating dtype"):
        tn.set_default_dtype(np.int32)


def test_numpy_arrays_keep_their_dtype_without_a_copy() -> None:
    a = np.ones((2, 2), dtype=np.float64)
    t = Tensor(a)
    assert t.data is a and t.dtype == np.float64
    labels = Tensor(np.array([0, 2, 1]))
    assert labels.dtype.kind == "i" and not labels.requires_grad


def test_requires_grad_on_integer_data_says_why() -> None:
    with pytest.raises(TypeError, match="requires_grad=True needs floating data.*int64"):
        Tensor(np.array([1, 2]), requires_grad=True)
    t = Tensor(np.array([True, False]))
    with pytest.raises(TypeError, match="bool"):
        t.requires_grad = True


def test_attributes_and_conversions() -> None:
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="W")
    assert t.shape == (2, 2) and t.ndim == 2 and t.numel() == 4 and len(t) == 2
    assert t.is_leaf and t.op is None and t.name == "W"
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    y = (t * 2).sum()
    assert y.op == "sum" and not y.is_leaf and y.item() == 20.0
    assert "grad_fn=<SumBackward>" in repr(y) and "shape=()" in repr(y) and "float32" in repr(y)
    assert "name='W'" in repr(t) and "requires_grad=True" in repr(t)
    assert isinstance(t.numpy(), np.ndarray)
    assert np.asarray(t) is t.data and np.asarray(t, dtype=np.float64).dtype == np.float64


def test_constructors() -> None:
    assert Tensor.ones(2, 3).data.sum() == 6 and Tensor.zeros((2,)).shape == (2,)
    a = Tensor.randn(3, 4, rng=0, requires_grad=True)
    b = Tensor.randn(3, 4, rng=0)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.requires_grad and a.dtype == np.float32
    u = Tensor.uniform(1000, low=-2, high=3, rng=1, dtype=np.float64)
    assert u.dtype == np.float64 and -2 <= u.data.min() and u.data.max() < 3


def test_python_scalars_do_not_upcast_float32() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = ((x * 2.5 + 1) / 3.0 - np.float64(0.5)) ** 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float32


def test_comparisons_give_masks_without_grad() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert (x > 1.5).tolist() == [False, True, True]
    assert (x == Tensor([1.0, 0.0, 3.0])).tolist() == [True, False, True]
    assert not (x > 1.5).requires_grad
    assert {x: 1}[x] == 1  # still hashable by identity


# ------------------------------------------------------------------------- the sweep


def test_reused_node_accumulates_every_contribution() -> None:
    x = Tensor(3.0, requires_grad=True, dtype=np.float64)
    y = x * x + x  # x used three times
    y.backward()
    assert x.grad == 2 * 3.0 + 1
    a = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    b = a * 2
    c = b * b + b  # an intermediate used twice
    c.sum().backward()
    np.testing.assert_allclose(a.grad, (2 * b.data + 1) * 2)


def test_gradients_accumulate_across_backward_calls() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [3 + 2, 3 + 4])
    x.zero_grad()
    assert x.grad is None


def test_bias_broadcast_gradients_are_summed_back() -> None:
    W = Tensor(np.ones((3, 5)), requires_grad=True, dtype=np.float64)
    b_col = Tensor(np.zeros((3, 1)), requires_grad=True, dtype=np.float64)  # (n, 1) + (n, m)
    b_row = Tensor(np.zeros(5), requires_grad=True, dtype=np.float64)  # (n,) + (m, n)
    ((W + b_col) * 2).sum().backward()
    (W + b_row).sum().backward()
    assert b_col.grad.shape == (3, 1) and b_row.grad.shape == (5,)
    np.testing.assert_array_equal(b_col.grad, np.full((3, 1), 10.0))
    np.testing.assert_array_equal(b_row.grad, np.full(5, 3.0))


def test_only_leaves_keep_grad_unless_retained() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    k = h * 3
    k.retain_grad()
    (k * k).sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(k.grad, 2 * k.data)
    np.testing.assert_allclose(x.grad, 2 * k.data * 6)


def test_leaf_grads_never_share_a_buffer() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    seed = np.array([1.0, 1.0], dtype=np.float32)
    (a + b).backward(seed)  # add passes the same array to both inputs
    assert a.grad is not None and b.grad is not None
    assert not np.shares_memory(a.grad.data, b.grad.data)
    assert not np.shares_memory(a.grad.data, seed)
    a.grad *= 0  # in-place edits of one grad leave the other alone
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    c = Tensor(np.ones((2, 3)), requires_grad=True)
    c.sum().backward()  # sum's backward broadcasts (a read-only view)
    c.grad += 1
    np.testing.assert_array_equal(c.grad, np.full((2, 3), 2.0))


def test_grad_is_a_tensor_without_a_graph() -> None:
    w = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    (w * w).sum().backward()
    g = w.grad
    assert isinstance(g, Tensor) and g.is_leaf and not g.requires_grad
    assert g.shape == w.shape and g.dtype == w.dtype
    np.testing.assert_array_equal(g.data, [2.0, 4.0])
    (w * w).sum().backward()  # accumulates into the same Tensor, in place
    assert w.grad is g
    np.testing.assert_array_equal(g.data, [4.0, 8.0])


def test_grad_assignment_checks_type_shape_and_dtype() -> None:
    w = Tensor(np.zeros(2), requires_grad=True)
    w.grad = Tensor(np.ones(2))
    w.sum().backward()
    np.testing.assert_array_equal(w.grad.data, [2.0, 2.0])  # type: ignore[union-attr]
    w.grad = None
    assert w.grad is None
    with pytest.raises(TypeError, match="expected a Tensor or None, got ndarray"):
        w.grad = np.ones(2)  # type: ignore[assignment]
    with pytest.raises(ValueError, match=r"shape \(3,\) does not fit a tensor of shape \(2,\)"):
        w.grad = Tensor(np.ones(3))
    with pytest.raises(TypeError, match="dtype float32 does not fit"):
        w.grad = Tensor(np.ones(2, np.float32))


def test_pytorch_update_idioms() -> None:
    """w -= lr * w.grad under no_grad, p.data -= lr * p.grad, grad.zero_(), grad = None."""
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    data = w.data
    (w * w).sum().backward()
    with tn.no_grad():
        w -= 0.1 * w.grad
    assert w.requires_grad and w.is_leaf and w.data is data  # in place: same tensor, same buffer
    np.testing.assert_allclose(w.data, [0.8, 1.6])
    w.data -= 0.5 * w.grad  # ndarray -= Tensor: runs on the gradient's data
    np.testing.assert_allclose(w.data, [-0.2, -0.4])
    assert w.data is data
    w.grad.zero_()  # type: ignore[union-attr]
    np.testing.assert_array_equal(w.grad.data, [0.0, 0.0])  # type: ignore[union-attr]
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [3.0, 3.0])  # type: ignore[union-attr]


def test_backward_takes_gradient_or_grad() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 2).backward(gradient=Tensor(np.array([1.0, 10.0])))
    np.testing.assert_array_equal(x.grad.data, [2.0, 20.0])  # type: ignore[union-attr]
    (x * 2).backward(grad=np.array([1.0, 1.0]))
    np.testing.assert_array_equal(x.grad.data, [4.0, 22.0])  # type: ignore[union-attr]
    with pytest.raises(TypeError, match="not both"):
        (x * 2).backward(np.ones(2), grad=np.ones(2))


def test_inplace_rules_follow_pytorch() -> None:
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    leaf_reason = "a leaf Variable that requires grad is being used in an in-place operation"
    with pytest.raises(RuntimeError, match=leaf_reason):
        w += 1
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        w.zero_()
    h = w * 2
    with pytest.raises(RuntimeError, match=r"write the out-of-place form, e.g. x = x \+ y"):
        h *= 3
    c = Tensor(np.array([1.0, 2.0]))  # needs no grad: in place anywhere
    c += 1
    c /= 2
    c *= Tensor(np.array([2.0, 4.0]))
    c -= 1
    np.testing.assert_array_equal(c.data, [1.0, 5.0])
    with pytest.raises(RuntimeError, match="right-hand side requires grad"):
        c += w
    i = Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match="cannot be stored in this int64 tensor in place"):
        i *= 0.5
    with pytest.raises(ValueError, match=r"cannot broadcast shape \(3,\) into .* shape \(2,\)"):
        c += np.ones(3)
    with tn.no_grad():
        w.fill_(7.0)
        w *= 2
    np.testing.assert_array_equal(w.data, [14.0, 14.0])


def test_numpy_ufuncs_on_tensors() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = np.array([3.0, 4.0]) * x  # ndarray on the left still records the graph
    z = np.exp(x)
    assert isinstance(y, Tensor) and y.op == "mul" and isinstance(z, Tensor) and z.op == "exp"
    (y.sum() + (np.array([1.0, 1.0]) - x).sum()).backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 3.0])  # type: ignore[union-attr]
    assert np.isfinite(x.grad).all()  # no graph to lose: NumPy's answer on the data
    with pytest.raises(TypeError, match="would leave the graph"):
        np.arctan(x)
    assert isinstance(np.sin(x), Tensor) and np.sin(x).op == "sin"
    np.testing.assert_array_equal(np.arctan(x.detach()), np.arctan(x.data))
    with pytest.raises(TypeError, match="in-place operators"):
        np.add(np.ones(2), np.ones(2), out=(x,))


def test_saved_arrays_are_released_and_second_backward_raises() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    assert y._op is not None and y._op.released
    assert all(op.saved is None for op in (y._op, y._op.inputs[0]))
    with pytest.raises(RuntimeError, match="already released.*retain_graph=True"):
        y.backward()


def test_the_graph_does_not_keep_dropped_intermediates_alive() -> None:
    """Edges point at ops: an intermediate array nobody saved dies with its tensor."""
    import weakref

    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)))
    W = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    b = Tensor(rng.standard_normal(5), requires_grad=True)
    xw = x @ W.T  # (4, 5); add saves nothing, so only the program holds it
    z = xw + b
    y = z.tanh()  # tanh saves its output, not its input
    loss = (y * y).sum()
    dead = [weakref.ref(xw.data), weakref.ref(z.data)]
    kept = weakref.ref(y.data)
    del xw, z, y
    assert [r() for r in dead] == [None, None]
    assert kept() is not None  # saved by tanh (and mul) for backward
    loss.backward()
    a = np.tanh(x.data @ W.data.T + b.data)
    dZ = 2 * a * (1 - a * a)
    np.testing.assert_allclose(W.grad, dZ.T @ x.data, rtol=1e-6)
    np.testing.assert_allclose(b.grad, dZ.sum(axis=0), rtol=1e-6)


def test_an_op_keeps_the_name_but_not_the_tensor_the_program_dropped() -> None:
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True, name="x")
    h = x * 2
    z = h.exp()
    z.name = "z"
    loss = z.sum()
    z_op, h_op = z._op, h._op
    assert z_op is not None and h_op is not None and z_op.out() is z
    del h, z
    assert loss._op.inputs == (z_op,) and z_op.inputs == (h_op,)  # type: ignore[union-attr]
    assert z_op.label == "z" and z_op.out() is None and h_op.out() is None
    assert z_op.shape == (3,) and z_op.dtype == np.float32
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp(2 * x.data), rtol=1e-6)


def test_backward_steps_give_the_programs_own_tensors_while_they_live() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    loss = (h * h).sum()
    assert loss._op.inputs[0].inputs == (h._op, h._op)  # type: ignore[union-attr]
    steps = backward_steps(loss, retain_graph=True)
    assert steps[2].tensor is h and steps[2].op is h._op
    del h, steps
    assert backward_steps(loss)[2].tensor is None  # dropped: the step says so, nothing rebuilt


def test_the_core_has_no_rebuild_machinery() -> None:
    """Ops refer to their outputs weakly; nothing in the core re-runs forward."""
    import inspect

    from tinygrad_nn import autograd, ops

    assert not hasattr(autograd, "rebuild") and not hasattr(autograd, "_Kept")
    assert not any(hasattr(ops.Op, a) for a in ("fresh", "output", "parents", "kept"))
    source = inspect.getsource(ops)
    assert "tinygrad_nn.autograd" not in source and "from tinygrad_nn" not in source


def test_a_subclass_of_tensor_is_a_leaf_like_any_other() -> None:
    class Parameter(Tensor):
        __slots__ = ()

    w = Parameter([1.0, -2.0], requires_grad=True)
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [2.0, -4.0])


def test_retain_grad_on_a_dropped_tensor_is_harmless() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    loss = (h * h).sum()
    del h
    loss.backward()
    np.testing.assert_allclose(x.grad, 8 * x.data)


def test_retain_graph_allows_a_second_backward() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * (2 * x.data))


def test_no_grad_builds_nothing() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with tn.no_grad():
        y = (x * 2).exp().sum()
        assert not tn.is_grad_enabled()
    assert tn.is_grad_enabled()
    assert y._op is None and not y.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_detach_cuts_the_graph() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h.detach() * x).sum()  # only the direct use of x contributes
    y.backward()
    np.testing.assert_allclose(x.grad, h.data)
    assert h.detach().data is h.data


def test_chain_of_100_000_ops_has_no_recursion() -> None:
    x = Tensor(1.0, requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_backward_on_a_leaf_and_on_an_unconnected_input() -> None:
    x = Tensor([2.0], requires_grad=True)
    x.backward()
    np.testing.assert_array_equal(x.grad, [1.0])
    c = Tensor([5.0])  # needs no grad: gets none
    w = Tensor([3.0], requires_grad=True)
    (c * w).sum().backward()
    assert c.grad is None and w.grad.tolist() == [5.0]


def test_backward_steps_reports_each_op_in_reverse_order() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    h = x * x
    y = (h + x).sum()
    steps = backward_steps(y)
    assert [s.op.name for s in steps] == ["sum", "add", "mul"]
    add_step = steps[1]
    np.testing.assert_array_equal(add_step.input_grads[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad, 2 * x.data + 1)


def test_max_and_min_split_ties_equally() -> None:
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], requires_grad=True, dtype=np.float64)
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [0.5, 0, 0.5]])
    x.grad = None
    x.min().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0, 0], [0, 1, 0]])


def test_repeated_integer_indices_accumulate() -> None:
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3, 0, 1])


def test_integer_tensors_work_without_grad() -> None:
    i = Tensor(np.array([1, 2, 3]))
    j = i * 2 + 1
    assert j.dtype.kind == "i" and j.tolist() == [3, 5, 7] and j._op is None


# ---------------------------------------------------------------------------- errors


def test_incompatible_broadcast_names_op_and_shapes() -> None:
    a, b = Tensor(np.ones((3, 4))), Tensor(np.ones(5))
    with pytest.raises(ValueError, match=r"add: cannot broadcast shapes \(3, 4\) and \(5,\)"):
        _ = a + b
    with pytest.raises(ValueError, match=r"mul: cannot broadcast"):
        _ = a * b


def test_matmul_inner_size_error_suggests_transpose() -> None:
    W, X = Tensor(np.ones((8, 10))), Tensor(np.ones((100, 10)))
    with pytest.raises(
        ValueError,
        match=r"matmul: cannot multiply \(8, 10\) by \(100, 10\): "
        r"inner sizes 10 and 100 differ; did you mean A @ B.T",
    ):
        _ = W @ X
    with pytest.raises(ValueError, match=r"did you mean A.T @ B"):
        _ = Tensor(np.ones((10, 8))) @ Tensor(np.ones((10, 3)))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        _ = Tensor(2.0) @ W


def test_backward_on_non_scalar_without_grad() -> None:
    y = Tensor(np.ones((3, 4)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"one-element tensor.*shape \(3, 4\)"):
        y.backward()


def test_backward_with_grad_of_wrong_shape() -> None:
    y = Tensor(np.ones((3, 4)), requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"grad has shape \(4, 3\) but the tensor has shape"):
        y.backward(np.ones((4, 3)))


def test_reshape_to_impossible_shape() -> None:
    with pytest.raises(
        ValueError,
        match=r"reshape: cannot reshape \(3, 4\) \(12 elements\) "
        r"into \(5,\) \(5 elements\)",
    ):
        Tensor(np.ones((3, 4))).reshape(5)


def test_axis_out_of_range() -> None:
    x = Tensor(np.ones((3, 4)))
    for call in (
        lambda: x.sum(2),
        lambda: x.mean((0, -3)),
        lambda: x.softmax(5),
        lambda: x.max(axis=7),
    ):
        with pytest.raises(ValueError, match=r"axis -?\d is out of range for a tensor with 2"):
            call()
    with pytest.raises(ValueError, match="transpose: got 3 dims"):
        x.transpose(0, 1, 1)
    with pytest.raises(ValueError, match="permute: dims"):
        x.permute(0, 0)


def test_pow_needs_a_number_and_clip_needs_bounds() -> None:
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="pow: the exponent must be a number or a tensor"):
        _ = x ** "2"
    with pytest.raises(ValueError, match="clip: lo=1 is greater than hi=0"):
        x.clip(1, 0)


def test_detect_anomaly_names_the_forward_op() -> None:
    x = Tensor([1.0, -1.0], requires_grad=True)
    with tn.detect_anomaly(), pytest.raises(FloatingPointError, match=r"forward of 'log'"):
        with np.errstate(invalid="ignore"):
            x.log()
    with np.errstate(invalid="ignore"):  # outside the block nothing is checked
        assert np.isnan(x.log().data[1])


def test_detect_anomaly_names_the_backward_op() -> None:
    x = Tensor([0.0, 4.0], requires_grad=True)
    y = x.sqrt().sum()  # finite forward; d sqrt(x)/dx is inf at 0
    with tn.detect_anomaly(), pytest.raises(FloatingPointError, match=r"backward of 'sqrt'"):
        with np.errstate(divide="ignore"):
            y.backward()


def test_detect_anomaly_names_the_input_position() -> None:
    a = Tensor([1.0, np.inf])  # built outside the check: the forward's inf is allowed
    b = Tensor([1.0, 2.0], requires_grad=True)
    y = (a * b).sum()
    with tn.detect_anomaly(), pytest.raises(FloatingPointError, match=r"'mul'.*input 1 \(shape"):
        y.backward()


def test_weight_gradient_has_the_weights_memory_layout() -> None:
    """x @ W.T (as nn.Linear) gives a C-ordered W.grad, so updates run on matching layouts."""
    W = Tensor(np.ones((4, 3)), requires_grad=True)
    x = Tensor(np.ones((5, 3)))
    (x @ W.T).sum().backward()
    assert W.grad is not None and W.grad.data.flags.c_contiguous
    np.testing.assert_array_equal(W.grad, np.full((4, 3), 5.0))


def test_sweep_with_chains_and_branches_interleaved_matches_finite_differences() -> None:
    """The sweep takes a chain's next tensor without the heap; branches go through it."""

    def f(x: Tensor, w: Tensor) -> Tensor:
        a = x * w  # used five times, by ops on different branches
        b = a.exp()
        c = (a.tanh() * 3).sigmoid()  # a chain inside a branch
        d = (b + c) * a
        e = d.relu() + (d * d).tanh() + a
        return (e * b).sum()

    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True, dtype=np.float64)
    w = Tensor(rng.standard_normal(4), requires_grad=True, dtype=np.float64)
    assert tn.gradcheck(f, [x, w], atol=1e-8, rtol=1e-6)


# ------------------------------------------------------------ the PyTorch-shaped surface


def _x(*shape: int, seed: int = 0) -> Tensor:
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "var", "std"])
def test_dim_keepdim_and_axis_keepdims_are_one_argument(name: str) -> None:
    x = _x(2, 3, 4)
    torch_style = getattr(x, name)(dim=1, keepdim=True)
    numpy_style = getattr(x, name)(axis=1, keepdims=True)
    assert torch_style.shape == (2, 1, 4)
    np.testing.assert_array_equal(torch_style.data, numpy_style.data)
    np.testing.assert_array_equal(getattr(x, name)(1).data, getattr(x, name)(axis=1).data)
    with pytest.raises(TypeError, match=f"{name}: give dim= or axis="):
        getattr(x, name)(dim=1, axis=1)
    with pytest.raises(TypeError, match="give keepdim= or keepdims="):
        getattr(x, name)(1, keepdim=True, keepdims=True)


def test_softmax_argmax_and_joins_take_dim() -> None:
    x = _x(3, 4)
    np.testing.assert_array_equal(x.softmax(dim=0).data, x.softmax(axis=0).data)
    np.testing.assert_array_equal(x.log_softmax(dim=0).data, x.log_softmax(0).data)
    assert not np.allclose(x.softmax(dim=0).data, x.softmax().data)
    np.testing.assert_array_equal(x.argmax(dim=1).data, x.data.argmax(axis=1))
    assert x.argmax(dim=1, keepdim=True).shape == (3, 1) and x.argmin().shape == ()
    assert x.argmax(1).dtype == np.int64
    assert Tensor.concatenate([x, x], dim=1).shape == (3, 8)
    assert Tensor.stack([x, x], dim=-1).shape == (3, 4, 2)
    with pytest.raises(TypeError, match="softmax: give dim= or axis="):
        x.softmax(dim=0, axis=0)


def test_transpose_swaps_two_dims_as_pytorch() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.transpose(0, 1).data, x.data.T)  # was a no-op: the trap
    np.testing.assert_array_equal(x.transpose(1, 0).data, x.data.T)
    np.testing.assert_array_equal(x.transpose(dim0=0, dim1=-1).data, x.data.T)
    np.testing.assert_array_equal(x.transpose().data, x.data.T)
    np.testing.assert_array_equal(x.t().data, x.data.T)
    c = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert c.transpose(0, 2).shape == (4, 3, 2)
    np.testing.assert_array_equal(c.transpose(0, 2).data, np.swapaxes(c.data, 0, 2))
    assert c.transpose(2, 0, 1).shape == (4, 2, 3)  # NumPy's full permutation
    assert c.transpose((1, 2, 0)).shape == (3, 4, 2)
    assert c.permute(2, 0, 1).shape == (4, 2, 3) and c.permute((0, 2, 1)).shape == (2, 4, 3)
    with pytest.raises(ValueError, match="t: expects a tensor with <= 2 dims"):
        c.t()


def test_max_min_with_dim_return_values_and_indices() -> None:
    x = Tensor(np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]]), requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.data, [5.0, 7.0])
    np.testing.assert_array_equal(indices.data, [1, 0])  # the first of tied maxima
    assert indices.dtype == np.int64 and not indices.requires_grad
    out = x.max(1)
    assert out.values is out[0] and out.indices is out[1]
    low = x.min(0, keepdim=True)
    assert low.values.shape == (1, 3) and low.indices.tolist() == [[0, 1, 0]]
    values.sum().backward()  # the gradient goes to the chosen index only, as in PyTorch
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [1, 0, 0]])  # type: ignore[union-attr]
    assert x.max().item() == 7.0 and x.min().item() == 0.0  # no dim: one value
    np.testing.assert_array_equal(x.max(axis=1).data, [5.0, 7.0])  # NumPy's spelling: values
    with pytest.raises(TypeError, match=r"take \.values"):
        _ = x + x.max(1)
    with pytest.raises(TypeError, match="write amax"):
        x.max(dim=(0, 1))


def test_max_of_two_tensors_is_elementwise() -> None:
    a = Tensor(np.array([1.0, 3.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([2.0, 1.0, 2.0]), requires_grad=True)
    (a.max(b) * Tensor(np.array([1.0, 10.0, 100.0]))).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0.0, 10.0, 50.0])  # type: ignore[union-attr]
    np.testing.assert_array_equal(b.grad.data, [1.0, 0.0, 50.0])  # type: ignore[union-attr]
    np.testing.assert_array_equal(a.min(b).data, [1.0, 1.0, 2.0])


def test_size_is_a_method_and_numel_counts() -> None:
    x = Tensor(np.zeros((2, 3, 4)))
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.numel() == 24 and x.dim() == 3
    with pytest.raises(ValueError, match="size: axis 3 is out of range"):
        x.size(3)


def test_shape_methods() -> None:
    x = _x(2, 1, 3)
    assert x.squeeze().shape == (2, 3) and x.squeeze(1).shape == (2, 3)
    assert x.squeeze(0).shape == (2, 1, 3)  # not of size 1: unchanged, as PyTorch
    assert x.unsqueeze(0).shape == (1, 2, 1, 3) and x.unsqueeze(-1).shape == (2, 1, 3, 1)
    assert x.view(3, 2).shape == (3, 2) and x.view(-1).shape == (6,)
    assert x.flatten(1).shape == (2, 3) and x.flatten(0, 1).shape == (2, 3)
    assert x.expand(4, 2, 5, 3).shape == (4, 2, 5, 3) and x.expand(-1, 2, -1).shape == (2, 2, 3)
    x.expand(4, 2, 5, 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 1, 3), 20.0))  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"expand: cannot expand shape \(2, 1, 3\) to"):
        x.expand(3, 3, 3)
    with pytest.raises(ValueError, match="unsqueeze: dim 4 is out of range"):
        x.unsqueeze(4)
    with pytest.raises(TypeError, match="to change the dtype write .to"):
        x.view(np.float32)
    with tn.no_grad(), pytest.raises(ValueError, match="read-only"):
        e = x.expand(2, 2, 3)
        e += 1


def test_dtype_conversions_and_devices() -> None:
    x = Tensor(np.array([1.5, -2.0]), requires_grad=True)
    assert x.float().dtype == np.float32 and x.double().dtype == np.float64
    assert x.half().dtype == np.float16 and x.long().dtype == np.int64
    assert x.int().dtype == np.int32 and x.bool().dtype == np.bool_
    assert x.to(np.float32).dtype == np.float32 and x.to(dtype=np.float32).dtype == np.float32
    assert x.type(np.float32).dtype == np.float32 and x.type() == "tinygrad_nn.DoubleTensor"
    assert x.to("cpu") is x and x.cpu() is x and x.device == "cpu"
    assert x.to(Tensor(np.zeros(1, np.float32))).dtype == np.float32
    assert x.to("cpu", np.float32).dtype == np.float32
    assert x.long().tolist() == [1, -2] and not x.long().requires_grad
    x.float().sum().backward()  # between floats the gradient flows, in the input's dtype
    assert x.grad is not None and x.grad.dtype == np.float64
    for call in (
        lambda: x.to("cuda"),
        lambda: x.cuda(),
        lambda: x.to(device="cuda:0"),
        lambda: Tensor([1.0], device="cuda"),
        lambda: Tensor.zeros(2, device="cuda"),
    ):
        with pytest.raises(RuntimeError, match="tinygrad_nn runs on NumPy on the CPU"):
            call()


def test_grad_fn_is_leaf_and_requires_grad_() -> None:
    x = Tensor(np.ones(2))
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf and x.grad_fn is None
    y = x * 2
    assert repr(y.grad_fn) == "<MulBackward>" and not y.is_leaf and y.grad_fn is y._op
    assert repr((y + 1).grad_fn) == "<AddBackward>"
    assert x.detach().grad_fn is None
    assert x.requires_grad_(False) is x and not x.requires_grad
    with pytest.raises(TypeError, match="needs floating data"):
        Tensor([1, 2]).requires_grad_()
    with pytest.raises(TypeError, match="needs floating data"):
        Tensor([1, 2], requires_grad=True)


def test_comparison_methods_match_operators() -> None:
    a, b = Tensor(np.array([1.0, 2.0, 3.0])), Tensor(np.array([2.0, 2.0, 2.0]))
    for method, op in [("eq", "__eq__"), ("ne", "__ne__"), ("lt", "__lt__"),
                       ("le", "__le__"), ("gt", "__gt__"), ("ge", "__ge__")]:  # fmt: skip
        np.testing.assert_array_equal(getattr(a, method)(b).data, getattr(a, op)(b).data)
    assert a.lt(b).tolist() == [True, False, False] and a.ge(2.0).tolist() == [False, True, True]
    assert (~a.lt(b)).tolist() == [False, True, True]


def test_where_is_differentiable() -> None:
    from tinygrad_nn.autograd import where

    a, b = _x(3), _x(3, seed=1)
    cond = np.array([True, False, True])
    out = where(cond, a, b)
    np.testing.assert_array_equal(out.data, np.where(cond, a.data, b.data))
    (out * Tensor(np.array([1.0, 2.0, 3.0]))).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [1.0, 0.0, 3.0])  # type: ignore[union-attr]
    np.testing.assert_array_equal(b.grad.data, [0.0, 2.0, 0.0])  # type: ignore[union-attr]
    np.testing.assert_array_equal(a.where(a > 0, 0.0).data, np.where(a.data > 0, a.data, 0.0))
    with pytest.raises(TypeError, match="where: condition must be a bool tensor"):
        where(a, a, b)
    labels = Tensor([1, 2, 3])
    assert where(labels > 1, labels, 0).dtype == np.int64
    mixed = where(labels > 1, labels, 0.5)  # an int tensor and a float: float32, as torch
    assert mixed.dtype == np.float32 and mixed.tolist() == [0.5, 2.0, 3.0]


def test_var_std_are_unbiased_by_default() -> None:
    data = np.random.default_rng(0).standard_normal((4, 5))
    x = Tensor(data)
    np.testing.assert_allclose(x.var().item(), data.var(ddof=1))
    np.testing.assert_allclose(x.std(dim=0).data, data.std(axis=0, ddof=1))
    np.testing.assert_allclose(x.var(1, unbiased=False).data, data.var(axis=1))
    np.testing.assert_allclose(x.var(1, correction=0).data, data.var(axis=1))
    np.testing.assert_allclose(
        x.std(axis=1, ddof=0, keepdims=True).data, data.std(1, keepdims=True)
    )
    np.testing.assert_allclose(x.var(False).item(), data.var())
    with pytest.raises(ValueError, match="leaves 0 degrees of freedom"):
        Tensor(np.ones((3, 1))).var(1)
    with pytest.raises(TypeError, match="one of unbiased=, correction= and ddof="):
        x.var(unbiased=True, correction=1)


def test_clamp_and_pow_with_tensor_exponents() -> None:
    x = Tensor(np.array([-2.0, 0.5, 3.0]))
    assert x.clamp(-1, 1).tolist() == [-1.0, 0.5, 1.0] and x.clamp(min=0).tolist()[0] == 0.0
    assert x.clamp_min(0.0).tolist() == [0.0, 0.5, 3.0]
    assert x.clamp_max(0.0).tolist() == [-2.0, 0.0, 0.0]
    assert x.clamp(2, 1).tolist() == [1.0, 1.0, 1.0]  # min > max: every element is max
    assert x.clip(min=0.0, max=1.0).tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match="clamp: give at least one"):
        x.clamp()
    with pytest.raises(TypeError, match="x.maximum"):
        x.clamp(Tensor(np.zeros(3)))
    b = Tensor(np.array([2.0, 3.0]), requires_grad=True)
    e = Tensor(np.array([3.0, 0.5]), requires_grad=True)
    (b**e).sum().backward()
    np.testing.assert_allclose(b.grad.data, [3 * 4.0, 0.5 / np.sqrt(3.0)])  # type: ignore[union-attr]
    np.testing.assert_allclose(e.grad.data, [8 * np.log(2.0), np.sqrt(3.0) * np.log(3.0)])  # type: ignore[union-attr]
    np.testing.assert_allclose((2.0**b).data, [4.0, 8.0])
    assert Tensor([1, 2]).pow(2).dtype == np.int64


# --------------------------------------------------------- dtype inference and promotion


def test_python_data_is_typed_as_torch_tensor() -> None:
    assert Tensor([0, 2, 1]).dtype == np.int64  # class labels
    assert Tensor(3).dtype == np.int64
    assert Tensor([1.0, 2]).dtype == np.float32 and Tensor(2.5).dtype == np.float32
    assert Tensor([True, False]).dtype == np.bool_
    assert Tensor(np.array([1, 2], np.int32)).dtype == np.int32  # arrays keep theirs


def test_masked_fill_square_iteration_and_unsupported_backward_options() -> None:
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    y = x.masked_fill(x < 0, 0.0) * x.square()
    np.testing.assert_array_equal(y.data, [1.0, 0.0, 27.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0, 27.0])  # type: ignore[union-attr]
    rows = list(Tensor(np.arange(6.0).reshape(3, 2)))
    assert len(rows) == 3 and rows[2].tolist() == [4.0, 5.0]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(Tensor(1.0))
    loss = (x * x).sum()
    with pytest.raises(NotImplementedError, match="gradients of gradients are not supported"):
        loss.backward(create_graph=True)
    with pytest.raises(NotImplementedError, match="backward\\(inputs=...\\)"):
        loss.backward(inputs=[x])


def test_repr_shows_the_grad_function() -> None:
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert repr(x * 2).endswith("dtype=float64, grad_fn=<MulBackward>)")
    assert repr(x).endswith("requires_grad=True)")


def test_mean_var_std_of_integers_say_to_convert() -> None:
    labels = Tensor([0, 2, 1])
    for name in ("mean", "var", "std"):
        with pytest.raises(TypeError, match=rf"{name}: needs a floating tensor, got dtype int64"):
            getattr(labels, name)()
    assert labels.float().mean().item() == 1.0 and (labels == 2).float().mean().dtype == np.float32


def test_scalar_promotion_as_pytorch() -> None:
    i = Tensor([1, 2, 3])
    f = Tensor([1.0, 2.0])
    b = Tensor([True, False])
    assert (i * 0.5).dtype == np.float32 and (0.5 * i).dtype == np.float32
    assert (i + 1).dtype == np.int64 and (1 - i).dtype == np.int64
    assert (i / 2).dtype == np.float32 and (2 / i).dtype == np.float32
    assert (i**0.5).dtype == np.float32 and (f * 2.0).dtype == np.float32
    assert (b + 1).dtype == np.int64 and (b * 1.5).dtype == np.float32
    np.testing.assert_allclose((i * 0.5).data, [0.5, 1.0, 1.5])
    assert (f + Tensor(np.ones(2))).dtype == np.float64
    tn.set_default_dtype(np.float64)
    try:
        assert (i * 0.5).dtype == np.float64
    finally:
        tn.set_default_dtype(np.float32)


# ----------------------------------------------- PyTorch programs that were silent traps


def _program_transpose(T: object) -> tuple[object, object]:
    """A 2-D transpose written PyTorch's way, and its gradient."""
    x = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)  # type: ignore[attr-defined]
    w = T.tensor([[1.0, -1.0], [0.5, 2.0], [3.0, 0.0]])  # type: ignore[attr-defined]
    y = x.transpose(0, 1)  # (3, 2)
    loss = (y * w).sum()
    loss.backward()
    return y.detach().numpy(), x.grad.numpy()


def _program_max_dim(T: object) -> tuple[object, ...]:
    """Predicted classes from max(dim=1) on a batch of 2, and the accuracy."""
    logits = T.tensor([[0.1, 2.0, -1.0], [3.0, 0.2, 0.3]], requires_grad=True)  # type: ignore[attr-defined]
    labels = T.tensor([1, 2])  # type: ignore[attr-defined]
    values, indices = logits.max(1)
    accuracy = (indices == labels).float().mean()
    values.sum().backward()
    return values.detach().numpy(), indices.numpy(), accuracy.item(), logits.grad.numpy()


def _program_manual_sgd(T: object) -> tuple[object, ...]:
    """'Learning PyTorch with Examples': update weights by hand inside no_grad()."""
    x = T.tensor([[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0]])  # type: ignore[attr-defined]
    y = T.tensor([[1.0], [-1.0], [0.5]])  # type: ignore[attr-defined]
    w = T.tensor([[0.1], [-0.2]], requires_grad=True)  # type: ignore[attr-defined]
    b = T.tensor([0.05], requires_grad=True)  # type: ignore[attr-defined]
    losses = []
    for _ in range(5):
        loss = (x @ w + b - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with T.no_grad():  # type: ignore[attr-defined]
            w -= 0.05 * w.grad
            b.data -= 0.05 * b.grad
            w.grad.zero_()
            b.grad = None
    return w.detach().numpy(), b.detach().numpy(), losses


@pytest.mark.parametrize("program", [_program_transpose, _program_max_dim, _program_manual_sgd])
def test_pytorch_programs_give_pytorchs_result(program: object) -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = program(tn), program(torch)  # type: ignore[operator]
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)


def _changed_in_place_after_forward() -> list[tuple[str, Callable[[], None]]]:
    """(name, backward) pairs where a tensor the graph saved was changed in place before
    backward: each would give a wrong gradient silently, so each must raise."""
    cases = []
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    z = (y * y).sum()
    with tn.no_grad():
        y += 1
    cases.append(("intermediate += under no_grad", z.backward))
    x = Tensor([1.0, 2.0], requires_grad=True)
    e = x.exp()
    z = e.sum()
    with tn.no_grad():
        e *= 0
    cases.append(("saved output *= 0", z.backward))
    w = Tensor([3.0], requires_grad=True)
    loss = (w * w).sum()
    with tn.no_grad():
        w -= 1
    cases.append(("leaf -= before backward", loss.backward))
    model = nn.Linear(2, 1, rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = model(Tensor(np.ones((3, 2), np.float32))).sum()
    loss.backward(retain_graph=True)
    opt.step()
    cases.append(("optimiser step before a second backward", loss.backward))
    return cases


@pytest.mark.parametrize("case", range(4))
def test_backward_after_an_in_place_change_of_saved_values_raises(case: int) -> None:
    """As PyTorch's version check: the gradient would use the changed values."""
    name, backward = _changed_in_place_after_forward()[case]
    with pytest.raises(RuntimeError, match="changed in place after the forward pass"):
        backward()


def test_in_place_updates_between_steps_are_fine() -> None:
    w = Tensor([3.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with tn.no_grad():
            w -= 0.1 * w.grad
        w.grad = None
    np.testing.assert_allclose(w.data, [3.0 * 0.8**3], rtol=1e-6)
    x = Tensor([1.0, 2.0], requires_grad=True)
    with tn.no_grad():
        x *= 2  # changed before the forward pass: the graph sees the new values
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 8.0])
