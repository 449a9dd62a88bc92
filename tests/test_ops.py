"""Every op's gradient against central finite differences in float64, driven by one table."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_nn.functional as F
from tinygrad_nn import Tensor, gradcheck, ops
from tinygrad_nn.autograd import apply, where

# Zeros (one in row 0, two in row 1) for the gradient of prod where elements are 0.
ZEROS_MASK = np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]])


@dataclass(frozen=True)
class Case:
    """``fn(*tensors)`` on float64 inputs of ``shapes``, drawn from ``domain``."""

    name: str
    fn: Callable[..., Tensor]
    shapes: tuple[tuple[int, ...], ...]
    domain: str = "any"  # any | positive | away_from_zero | distinct

    def inputs(self, seed: int = 0) -> list[Tensor]:
        rng = np.random.default_rng(seed)
        arrays = []
        for shape in self.shapes:
            x = rng.standard_normal(shape)
            if self.domain == "positive":
                x = np.abs(x) + 0.5
            elif self.domain == "away_from_zero":  # kinks of relu/abs/clip at 0 and +-0.5
                x = np.sign(x) * (np.abs(x) % 0.4 + 0.05) + np.where(np.abs(x) > 1, 1.0, 0.0)
            elif self.domain == "distinct":  # no ties for max/min
                x = rng.permutation(np.arange(x.size, dtype=np.float64)).reshape(shape) / 7.0
            arrays.append(Tensor(x, requires_grad=True, dtype=np.float64))
        return arrays


BROADCAST_PAIRS = [
    ((), ()),
    ((4,), ()),
    ((), (4,)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((3, 4), (1, 4)),
    ((3, 1), (1, 4)),
    ((3, 4), (3, 1)),  # the tutorials' bias: (n, m) + (n, 1)
    ((2, 3, 4), (3, 1)),
    ((2, 1, 4), (3, 1)),
]

BINARY: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], str]] = {
    "add": (lambda a, b: a + b, "any"),
    "sub": (lambda a, b: a - b, "any"),
    "mul": (lambda a, b: a * b, "any"),
    "div": (lambda a, b: a / b, "positive"),
}

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((1, 3, 4), (2, 4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
]

M = (3, 4)
CUBE = (2, 3, 4)
LABELS = np.array([0, 3, 1])  # class indices for logits of shape (3, 4), axis -1
LABELS_AXIS0 = np.array([2, 0, 1, 2])  # for logits of shape (3, 4), classes along axis 0
PROBS = np.array([[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
BITS = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.5]])


def _cases() -> list[Case]:
    cases = [
        Case(f"{name} {sa}{sb}", fn, (sa, sb), domain)
        for name, (fn, domain) in BINARY.items()
        for sa, sb in BROADCAST_PAIRS
    ]
    cases += [Case(f"matmul {sa}@{sb}", lambda a, b: a @ b, (sa, sb)) for sa, sb in MATMUL_SHAPES]
    cases += [
        Case("rsub number", lambda a: 2.0 - a, (M,)),
        Case("rdiv number", lambda a: 2.0 / a, (M,), "positive"),
        Case("neg", lambda a: -a, (M,)),
        Case("pow 2", lambda a: a**2, (M,)),
        Case("pow 3", lambda a: a**3, (M,)),
        Case("pow -1.5", lambda a: a**-1.5, (M,), "positive"),
        Case("exp", lambda a: a.exp(), (M,)),
        Case("log", lambda a: a.log(), (M,), "positive"),
        Case("sqrt", lambda a: a.sqrt(), (M,), "positive"),
        Case("abs", lambda a: a.abs(), (M,), "away_from_zero"),
        Case("sigmoid", lambda a: a.sigmoid(), (M,)),
        Case("tanh", lambda a: a.tanh(), (M,)),
        Case("relu", lambda a: a.relu(), (M,), "away_from_zero"),
        Case("leaky_relu", lambda a: a.leaky_relu(0.1), (M,), "away_from_zero"),
        Case("clip", lambda a: a.clip(-0.5, 0.5), (M,), "away_from_zero"),
        Case("clip lo only", lambda a: a.clip(lo=0.0), (M,), "away_from_zero"),
        Case("gelu", lambda a: F.gelu(a * 2), (M,)),
        Case("gelu tails", lambda a: F.gelu(a * 4 + np.array([[-3.0], [0.0], [3.0]])), (M,)),
        Case("gelu tanh", lambda a: F.gelu(a * 2, approximate="tanh"), (M,)),
        Case("silu", lambda a: F.silu(a * 3), (M,)),
        Case("cast", lambda a: a.astype(np.longdouble).astype(np.float64), (M,)),
        Case("softmax axis -1", lambda a: a.softmax(), (M,)),
        Case("softmax axis 0", lambda a: a.softmax(axis=0), (M,)),
        Case("log_softmax axis -1", lambda a: a.log_softmax(), (M,)),
        Case("log_softmax axis 1 of 3-d", lambda a: a.log_softmax(axis=1), (CUBE,)),
        Case("reshape", lambda a: a.reshape(4, 6), (CUBE,)),
        Case("reshape -1", lambda a: a.reshape((-1, 2)), (CUBE,)),
        Case("flatten", lambda a: a.flatten(), (CUBE,)),
        Case("flatten 1", lambda a: a.flatten(1), (CUBE,)),
        Case("transpose", lambda a: a.transpose(2, 0, 1), (CUBE,)),
        Case("transpose(0, 1) swaps a 2-d", lambda a: a.transpose(0, 1), (M,)),
        Case("transpose(0, 2) of 3-d", lambda a: a.transpose(0, 2), (CUBE,)),
        Case("permute", lambda a: a.permute(1, 2, 0), (CUBE,)),
        Case("unsqueeze squeeze", lambda a: a.unsqueeze(1).squeeze(), (M,)),
        Case("view", lambda a: a.view(-1), (CUBE,)),
        Case("expand", lambda a: a.expand(2, 3, -1), ((3, 1),)),
        Case("expand_as", lambda a, b: a.expand_as(b) * b, ((4,), M)),
        Case("sin", lambda a: a.sin(), (M,)),
        Case("cos", lambda a: a.cos(), (M,)),
        Case("pow tensor exponent", lambda a, b: a**b, (M, (4,)), "positive"),
        Case("rpow", lambda a: 2.0**a, (M,)),
        Case("pow number base tensor", lambda a: a.pow(Tensor(np.full(4, 1.5))), (M,), "positive"),
        Case("maximum", lambda a, b: a.maximum(b), (M, (4,)), "distinct"),
        Case("minimum", lambda a, b: a.min(b), (M, M), "distinct"),
        Case("where", lambda a, b: where(a.data > 0, a, b), (M, (4,))),
        Case("Tensor.where scalar", lambda a: a.where(a.data < 0.3, 0.0), (M,)),
        Case("clamp", lambda a: a.clamp(-0.5, 0.5), (M,), "away_from_zero"),
        Case("clamp_min", lambda a: a.clamp_min(0.0), (M,), "away_from_zero"),
        Case("var", lambda a: a.var(), (CUBE,)),
        Case("var dim 1 keepdim", lambda a: a.var(1, keepdim=True), (CUBE,)),
        Case("var correction 0", lambda a: a.var(dim=(0, 2), correction=0), (CUBE,)),
        Case("std", lambda a: a.std(dim=-1), (CUBE,)),
        Case("max(dim) values", lambda a: a.max(dim=1).values, (CUBE,), "distinct"),
        Case("min(dim) keepdim", lambda a: a.min(0, keepdim=True)[0], (CUBE,), "distinct"),
        Case("gather", lambda a: a.gather(1, np.array([[0, 0], [3, 1], [2, 2]])), (M,)),
        Case("amax dim", lambda a: a.amax(dim=(0, 2)), (CUBE,), "distinct"),
        Case("sum dim keepdim", lambda a: a.sum(dim=1, keepdim=True), (CUBE,)),
        Case("mean dim", lambda a: a.mean(dim=-1), (CUBE,)),
        Case("remainder", lambda a, b: a % b, (M, (4,)), "positive"),
        Case("remainder by a number", lambda a: (3 * a) % 0.7 - 2.5 % a, (M,), "positive"),
        Case("fmod", lambda a, b: (a - 1).fmod(b) - (-2 * a).fmod(b), (M, (3, 1)), "positive"),
        Case("prod", lambda a: a.prod(), ((2, 3),)),
        Case("prod dim keepdim", lambda a: a.prod(1, keepdim=True), (CUBE,)),
        Case("prod with zeros", lambda a: (a * ZEROS_MASK).prod(dim=1), (M,)),
        Case("prod all zeros", lambda a: (a * ZEROS_MASK).prod(), (M,)),
        Case("cumsum", lambda a: a.cumsum(1), (CUBE,)),
        Case("cumsum dim -1", lambda a: a.cumsum(dim=-1) * a, (M,)),
        Case("norm", lambda a: a.norm(), (M,)),
        Case("norm dim keepdim", lambda a: a.norm(dim=1, keepdim=True), (CUBE,)),
        Case("norm p=3", lambda a: a.norm(3, dim=0), (M,), "away_from_zero"),
        Case("clone", lambda a: a.clone() * a, (M,)),
        Case("to(dtype)", lambda a: a.to(np.longdouble).to(dtype=np.float64), (M,)),
        Case(".T", lambda a: a.T, (CUBE,)),
        Case("getitem basic", lambda a: a[1:, ::2], (M,)),
        Case("getitem int", lambda a: a[1], (M,)),
        Case("getitem ellipsis", lambda a: a[..., 0], (CUBE,)),
        Case("getitem repeated rows", lambda a: a[np.array([0, 2, 0, 0])], (M,)),
        Case("getitem paired arrays", lambda a: a[[0, 0, 2], [1, 1, 3]], (M,)),
        Case("getitem bool mask", lambda a: a[a.data > 0], (M,)),
        Case("concatenate axis 0", lambda a, b: Tensor.concatenate([a, b, a], 0), (M, (2, 4))),
        Case("concatenate axis -1", lambda a, b: Tensor.concatenate([a, b], -1), (M, (3, 2))),
        Case("stack axis 0", lambda a, b: Tensor.stack([a, b]), (M, M)),
        Case("stack axis -1", lambda a, b: Tensor.stack([a, b, a], axis=-1), (M, M)),
        Case("mse_loss", lambda a, b: F.mse_loss(a, b), (M, M)),
        Case("mse_loss sum", lambda a, b: F.mse_loss(a, b, reduction="sum"), (M, M)),
        Case("mse_loss none", lambda a, b: F.mse_loss(a, b, reduction="none"), (M, M)),
        Case("l1_loss", lambda a, b: F.l1_loss(a, b), (M, M), "away_from_zero"),
        Case(
            "l1_loss sum", lambda a, b: F.l1_loss(a, b, reduction="sum"), (M, M), "away_from_zero"
        ),
        Case(
            "l1_loss none", lambda a: F.l1_loss(a, BITS, reduction="none"), (M,), "away_from_zero"
        ),
        Case("computed (no gradient)", lambda a: a * apply(ops.Computed, a, fn=np.sign), (M,),
             "away_from_zero"),
        Case("cross_entropy labels", lambda a: F.cross_entropy(a, LABELS), (M,)),
        Case("cross_entropy axis 0", lambda a: F.cross_entropy(a, LABELS_AXIS0, axis=0), (M,)),
        Case("cross_entropy probs", lambda a: F.cross_entropy(a, PROBS), (M,)),
        Case(
            "cross_entropy none",
            lambda a: F.cross_entropy(a, LABELS, reduction="none"),
            (M,),
        ),
        Case("cross_entropy sum", lambda a: F.cross_entropy(a, PROBS, reduction="sum"), (M,)),
        Case("nll_loss", lambda a: F.nll_loss(a.log_softmax(), LABELS), (M,)),
        Case("nll_loss none", lambda a: F.nll_loss(a, LABELS, reduction="none"), (M,)),
        Case("binary_cross_entropy", lambda a: F.binary_cross_entropy(a.sigmoid(), BITS), (M,)),
        Case(
            "binary_cross_entropy none",
            lambda a: F.binary_cross_entropy(a.sigmoid(), BITS, reduction="none"),
            (M,),
        ),
        Case(
            "binary_cross_entropy_with_logits",
            lambda a: F.binary_cross_entropy_with_logits(a, BITS),
            (M,),
        ),
        Case(
            "bce_with_logits sum",
            lambda a: F.binary_cross_entropy_with_logits(a, BITS, reduction="sum"),
            (M,),
        ),
    ]
    for reduce_name in ("sum", "mean", "max", "min"):
        for axis in (None, 0, 1, -1, (0, 2), (2, 0, 1)):
            for keepdims in (False, True):
                cases.append(
                    Case(
                        f"{reduce_name} axis={axis} keepdims={keepdims}",
                        lambda a, r=reduce_name, ax=axis, k=keepdims: getattr(a, r)(
                            axis=ax, keepdims=k
                        ),
                        (CUBE,),
                        "distinct",
                    )
                )
    return cases


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradient_matches_finite_differences(case: Case) -> None:
    assert gradcheck(case.fn, case.inputs(), eps=1e-6, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradient_has_input_shape_and_dtype(case: Case) -> None:
    inputs = case.inputs(seed=1)
    out = case.fn(*inputs)
    out.backward(np.ones(out.shape))
    for x in inputs:
        assert x.grad is not None and x.grad.shape == x.shape and x.grad.dtype == x.dtype
        assert type(x.grad.data) is np.ndarray  # not a NumPy scalar, even for a 0-d input


ELEMENTWISE_KWARGS: dict[str, dict[str, object]] = {
    "pow": {"exponent": 3.0},
    "leaky_relu": {"slope": 0.1},
    "clip": {"lo": -0.5, "hi": 0.5},
    "gelu": {"approximate": "none"},
}


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (1,), (3, 4), (2, 1, 3)])
def test_elementwise_ops_keep_their_input_shape_and_dtype(
    dtype: type, shape: tuple[int, ...]
) -> None:
    """The engine trusts ``Op.elementwise`` and skips its unbroadcast and cast checks."""
    flagged = [
        cls
        for _, cls in inspect.getmembers(ops, inspect.isclass)
        if issubclass(cls, ops.Op) and cls.elementwise
    ]
    assert len(flagged) >= 10
    x = (np.random.default_rng(0).uniform(0.1, 2.0, shape)).astype(dtype)
    for cls in flagged:
        kwargs = ELEMENTWISE_KWARGS.get(cls.name, {})
        assert len(inspect.signature(cls.forward).parameters) - len(kwargs) == 2, cls.name
        op = cls()
        op.needs_grad, op.kwargs = (True,), kwargs
        out = np.asarray(op.forward(x, **kwargs))
        assert out.shape == x.shape and out.dtype == x.dtype, cls.name
        (dA,) = op.backward(np.ones(out.shape, out.dtype))
        assert np.shape(dA) == x.shape and dA.dtype == x.dtype, cls.name


def _recorded_ops(t: Tensor) -> set[str]:
    seen, stack, names = set(), [t], set()
    while stack:
        node = stack.pop()
        op = node if isinstance(node, ops.Op) else node._op
        if op is not None and id(op) not in seen:
            seen.add(id(op))
            names.add(op.name)
            stack.extend(op.inputs)
    return names


def test_table_covers_every_op_class() -> None:
    """Adding an op to ops.py without a row here fails this test."""
    defined = {
        cls.name
        for _, cls in inspect.getmembers(ops, inspect.isclass)
        if issubclass(cls, ops.Op) and cls is not ops.Op
    }
    covered: set[str] = set()
    for case in CASES:
        covered |= _recorded_ops(case.fn(*case.inputs()))
    assert defined - covered == set()


DRAWING_ROLES = {"product", "sum", "activation", "loss", "transpose", ""}


def test_every_op_class_states_what_drawings_need() -> None:
    """Each op class in ops.py gives its own drawing facts (see ops.Op): adding an op
    without them fails here, as an op without a table row fails above."""
    import re

    for _, cls in inspect.getmembers(ops, inspect.isclass):
        if not issubclass(cls, ops.Op) or cls is ops.Op:
            continue
        missing = [
            a for a in ("arg_names", "broadcasts", "role", "grad_rule") if a not in vars(cls)
        ]
        assert not missing, f"{cls.__name__} lacks drawing facts {missing} (see ops.Op)"
        n_inputs = (
            len(inspect.signature(cls.forward).parameters)
            - 1
            - sum(
                p.kind is p.KEYWORD_ONLY for p in inspect.signature(cls.forward).parameters.values()
            )
        )
        variadic = any(
            p.kind is p.VAR_POSITIONAL for p in inspect.signature(cls.forward).parameters.values()
        )
        assert isinstance(cls.broadcasts, bool) and cls.role in DRAWING_ROLES, cls.__name__
        assert all(isinstance(a, str) and a for a in cls.arg_names), cls.__name__
        if variadic:
            assert cls.arg_names == ("#",) and len(cls.grad_rule) == 1, cls.__name__
            continue
        assert len(cls.arg_names) in (0, n_inputs), cls.__name__
        assert len(cls.grad_rule) == n_inputs, f"{cls.__name__}: one rule per input"
        keywords = {
            p.name
            for p in inspect.signature(cls.forward).parameters.values()
            if p.kind is p.KEYWORD_ONLY
        }
        for rule in cls.grad_rule:
            if rule is None:
                continue
            assert re.match(r"^d\{\d\} = ", rule), f"{cls.__name__}: {rule!r} must say dX = ..."
            assert rule.isascii(), f"{cls.__name__}: {rule!r} (ASCII, so renderers agree)"
            for word in re.findall(r"\{([^}]*)\}", rule):
                assert word in {"out", "in", "/m"} | keywords or word.isdigit(), (cls, word)
                assert not word.isdigit() or int(word) < n_inputs, (cls, word)


# ----------------------------------------------------------------------------- hypothesis

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
values = st.floats(-3, 3, allow_nan=False, width=64)


def _tensor(draw: st.DrawFn, shape: tuple[int, ...], elements: st.SearchStrategy) -> Tensor:
    data = draw(hnp.arrays(np.float64, shape, elements=elements))
    return Tensor(data, requires_grad=True)


SMOOTH_UNARY: dict[str, Callable[[Tensor], Tensor]] = {
    "exp": lambda x: x.exp(),
    "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(),
    "square": lambda x: x**2,
    "softmax": lambda x: x.softmax() if x.ndim else x.exp(),
    "log_softmax": lambda x: x.log_softmax() if x.ndim else x.exp(),
}


@settings(max_examples=40, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(SMOOTH_UNARY)), shape=shapes)
def test_property_elementwise(data: st.DataObject, name: str, shape: tuple[int, ...]) -> None:
    x = _tensor(data.draw, shape, values)
    assert gradcheck(SMOOTH_UNARY[name], [x], atol=1e-6, rtol=1e-4)


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    shapes_=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4),
    name=st.sampled_from(sorted(BINARY)),
)
def test_property_broadcasting_binary(
    data: st.DataObject, shapes_: hnp.BroadcastableShapes, name: str
) -> None:
    fn, domain = BINARY[name]
    elements = st.floats(0.5, 3) if domain == "positive" else values
    a, b = (_tensor(data.draw, s, elements) for s in shapes_.input_shapes)
    out = fn(a, b)
    assert out.shape == shapes_.result_shape
    assert gradcheck(fn, [a, b], atol=1e-6, rtol=1e-4)


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
    name=st.sampled_from(["sum", "mean", "max", "min"]),
    keepdims=st.booleans(),
)
def test_property_reductions(
    data: st.DataObject, shape: tuple[int, ...], name: str, keepdims: bool
) -> None:
    # distinct values: at a tie max/min is not differentiable, see test_tensor for ties
    n = int(np.prod(shape))
    flat = data.draw(st.permutations(list(range(n))))
    x = Tensor(np.array(flat, dtype=np.float64).reshape(shape) / 3, requires_grad=True)
    axis = data.draw(
        st.none()
        | st.integers(-len(shape), len(shape) - 1)
        | st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True).map(tuple)
    )
    expected = getattr(x.data, name)(axis=axis, keepdims=keepdims)
    out = getattr(x, name)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.data, expected)
    assert gradcheck(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), [x])


@settings(max_examples=40, deadline=None)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=4, max_side=3))
def test_property_shape_ops(data: st.DataObject, shape: tuple[int, ...]) -> None:
    x = _tensor(data.draw, shape, values)
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    fn = lambda t: (t.permute(*perm).reshape(-1) * np.arange(t.numel())).reshape(  # noqa: E731
        t.numel(), 1
    )
    np.testing.assert_array_equal(x.permute(*perm).data, x.data.transpose(perm))
    np.testing.assert_array_equal(x.transpose(perm).data, x.data.transpose(perm))
    assert gradcheck(fn, [x])
