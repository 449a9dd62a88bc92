"""Tensor and the engine: data, grad, the op that made it; operator overloads; the backward sweep.

(Named autograd.py so that ``tinygrad_nn.tensor`` can be the constructor function, as in PyTorch.)
"""

from __future__ import annotations

import contextlib
import itertools
import weakref
from collections.abc import Callable, Iterator, Sequence
from heapq import heappop, heappush
from typing import Any, NamedTuple

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.ops import Array, Op, normalize_axes, unbroadcast
from tinygrad_nn.random import as_rng


class _State:
    """Process-wide engine switches (one instance, read on every op)."""

    __slots__ = ("grad_enabled", "anomaly", "scope", "default_dtype")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.scope: tuple[Any, ...] | None = None
        self.default_dtype = np.dtype(np.float32)


_state = _State()


def set_default_dtype(dtype: Any) -> None:
    """Dtype given to Python numbers and lists (float32 unless changed; float64 for checks)."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dt}")
    _state.default_dtype = dt


def get_default_dtype() -> np.dtype:
    return _state.default_dtype


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block ops record nothing: results have no graph and need no grad."""
    previous, _state.grad_enabled = _state.grad_enabled, False
    try:
        yield
    finally:
        _state.grad_enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    previous, _state.grad_enabled = _state.grad_enabled, True
    try:
        yield
    finally:
        _state.grad_enabled = previous


def is_grad_enabled() -> bool:
    return _state.grad_enabled


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise on the first op whose output (forward) or input gradient (backward) has NaN/Inf."""
    previous, _state.anomaly = _state.anomaly, True
    try:
        yield
    finally:
        _state.anomaly = previous


def enter_scope(obj: Any) -> tuple[Any, ...] | None:
    """Push ``obj`` (an nn.Module) so that ops created until ``exit_scope`` record it."""
    token = _state.scope
    _state.scope = (obj,) if token is None else token + (obj,)
    return token


def exit_scope(token: tuple[Any, ...] | None) -> None:
    _state.scope = token


def _nonfinite(x: Array) -> bool:
    return x.dtype.kind in "fc" and not np.isfinite(x).all()


def _describe(op: Op) -> str:
    shapes = ", ".join(str(v.shape) for v in op.inputs)
    return f"'{op.name}' (inputs of shape {shapes})"


def _new(data: Array, requires_grad: bool, op: Op | None) -> Tensor:
    """Make a tensor without the constructor's checks (the engine's fast path)."""
    t = Tensor.__new__(Tensor)
    t.data = data
    t.grad = None
    t._requires_grad = requires_grad
    t._name = None
    t._op = op
    return t


_op_counter = itertools.count()
_ndarray = np.ndarray
# How an op refers to its output tensor: weakly, so the graph never keeps a dropped
# intermediate alive. tinygrad_nn.viz.record() swaps in a keeping reference while it runs,
# and sets _on_step to record each backward step: an explicit opt-in, never the default.
_output_ref: Callable[[Tensor], Callable[[], Tensor | None]] = weakref.ref
_on_step: Callable[[BackwardStep], None] | None = None
_NO_KWARGS: dict[str, Any] = {}


def apply(op_class: type[Op], *inputs: Tensor, **kwargs: Any) -> Tensor:
    """Run ``op_class`` forward on the inputs' data and record a node if any input needs grad."""
    op = op_class()
    # This is the engine's hottest code: unary and binary ops get their arguments spelled
    # out, and ``**kwargs`` is passed on only when there are some, because building
    # argument lists costs about as much as a small op's arithmetic (benchmarks/icount.py).
    if len(inputs) == 1:
        a = inputs[0]
        out = op.forward(a.data, **kwargs) if kwargs else op.forward(a.data)
        needs: tuple[bool, ...] = (a._requires_grad,)
    elif len(inputs) == 2:
        a, b = inputs
        out = op.forward(a.data, b.data, **kwargs) if kwargs else op.forward(a.data, b.data)
        needs = (a._requires_grad, b._requires_grad)
    else:
        out = op.forward(*[t.data for t in inputs], **kwargs)
        needs = tuple([t._requires_grad for t in inputs])
    if type(out) is not _ndarray:  # a NumPy scalar, from a reduction or a 0-d input
        out = np.asarray(out)
    if _state.anomaly and _nonfinite(out):
        op.inputs = inputs
        raise FloatingPointError(f"detect_anomaly: forward of {_describe(op)} produced NaN/Inf")
    t = Tensor.__new__(Tensor)  # as _new(), written out
    t.data = out
    t.grad = None
    t._name = None
    if True in needs and _state.grad_enabled:
        # Edges point at the op that made each input (a leaf is its own vertex), so the
        # graph does not keep intermediate tensors, and their arrays, alive.
        if len(inputs) == 1:
            op.inputs = (a._op or a,)
        elif len(inputs) == 2:
            op.inputs = (a._op or a, b._op or b)
        else:
            op.inputs = tuple([x._op or x for x in inputs])
        op.needs_grad = needs
        op.kwargs = kwargs or _NO_KWARGS  # one shared empty dict: 64 bytes less per op
        op.released = False
        op.scope = _state.scope
        op.seq = next(_op_counter)
        op.shape = out.shape
        op.dtype = out.dtype
        op.retain = False
        op.out = _output_ref(t)
        t._requires_grad = True
        t._op = op
    else:
        t._requires_grad = False
        t._op = None
    return t


class BackwardStep(NamedTuple):
    """One step of the sweep: ``op`` made ``tensor``; ``input_grads`` flow to its parents."""

    tensor: Tensor | None  # None when the program no longer holds it
    op: Op
    grad_output: Array
    input_grads: tuple[Array | None, ...]


def backward_steps(
    root: Tensor, grad: Any = None, retain_graph: bool = False
) -> list[BackwardStep]:
    """Run ``root.backward`` and return its steps, one per op in the order they ran.

    Each step holds the op, the gradient of its output, and the gradients it sent to its
    inputs (already summed back to each input's shape; None where none was needed).
    """
    steps: list[BackwardStep] = []
    _sweep(root, grad, retain_graph, steps.append)
    return steps


def _sweep(
    root: Tensor,
    grad: Any,
    retain_graph: bool,
    on_step: Callable[[BackwardStep], None] | None = None,
) -> None:
    """The reverse topological sweep from ``root``, accumulating into ``.grad``.

    The graph's vertices are ops (one per intermediate tensor) and leaf tensors. An op is
    always created after its inputs, so taking ops newest first (a heap keyed by creation
    order) is a topological order: when an op comes off the queue, every op that used its
    output has already sent its gradient. Only ops that a gradient reached enter the
    queue; while the graph is a chain (the queue is empty and an op reaches one new op)
    that op is next for sure, and skips the heap. Gradients of intermediate tensors are
    summed in a dict keyed by their op and dropped once used; leaves (and tensors that
    called ``retain_grad``) get ``.grad`` accumulated with += when the sweep ends, so a
    sweep that raises changes no ``.grad``.
    """
    seed = _seed_gradient(root, grad)
    if root._op is None:  # backward on a leaf: its gradient is the seed itself
        _accumulate_grads({root: seed})
        return
    # Vertices are ops (intermediates) and leaf tensors; gradients of intermediates are
    # keyed by the op that made them.
    grads: dict[Op, Array] = {root._op: seed}
    finished: dict[Tensor, Array] = {}
    queue: list[tuple[int, Op]] = []
    chain: Op | None = root._op  # the next op, when it is known without the heap
    anomaly = _state.anomaly
    while chain is not None or queue:
        if chain is not None:
            op, chain = chain, None
        else:
            op = heappop(queue)[1]
        dZ = grads.pop(op)
        if op.released:
            raise RuntimeError(
                f"backward: the graph through '{op.name}' (output shape {op.shape}) was "
                "already released by an earlier backward(); pass retain_graph=True to the "
                "first call to backpropagate through it twice"
            )
        if op.retain and (out := op.out()) is not None:
            finished[out] = dZ
        sent: list[Array | None] | None = [] if on_step is not None else None
        # zip(strict=True) would cost a keyword-argument call per op; the op table's gradient
        # checks catch a backward that returns too few gradients.
        for v, need, g in zip(op.inputs, op.needs_grad, op.backward(dZ)):  # noqa: B905
            if g is None or not need:
                g = None
            else:
                is_op = isinstance(v, Op)
                if not op.elementwise:  # else g has the input's shape and dtype already
                    meta = v if is_op else v.data  # both have .shape and .dtype
                    if g.shape != meta.shape:
                        g = unbroadcast(g, meta.shape)
                    if g.dtype != meta.dtype:
                        g = g.astype(meta.dtype)
                if anomaly and _nonfinite(g):
                    raise FloatingPointError(
                        f"detect_anomaly: backward of {_describe(op)} produced NaN/Inf in the "
                        f"gradient of input {_position(op, v)} (shape {v.shape})"
                    )
                if not is_op:  # a leaf: its .grad is updated when the sweep ends
                    previous = finished.get(v)
                    finished[v] = g if previous is None else previous + g
                elif (previous := grads.get(v)) is not None:
                    grads[v] = previous + g
                else:  # the first gradient to reach this op's output: it waits for its turn
                    grads[v] = g
                    if chain is None and not queue:
                        chain = v
                    else:
                        if chain is not None:
                            heappush(queue, (-chain.seq, chain))
                            chain = None
                        heappush(queue, (-v.seq, v))
            if sent is not None:
                sent.append(g)
        if not retain_graph:  # drop what backward saved; the structure stays, for drawing
            op.saved = None
            op.released = True
        if on_step is not None:
            on_step(BackwardStep(op.out(), op, dZ, tuple(sent)))  # type: ignore[arg-type]
    _accumulate_grads(finished)


def _position(op: Op, vertex: Any) -> int:
    return next(i for i, v in enumerate(op.inputs) if v is vertex)  # identity, not ==


def _seed_gradient(root: Tensor, grad: Any) -> Array:
    if not root._requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no graph; create the "
            "inputs with requires_grad=True (and not inside no_grad())"
        )
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward: grad can be left out only for a one-element tensor (a loss), but "
                f"this tensor has shape {root.shape}; pass grad= of that shape, or reduce "
                "it first (e.g. .sum() or .mean())"
            )
        return np.ones(root.data.shape, dtype=root.data.dtype)
    seed = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=root.data.dtype)
    if seed.shape != root.data.shape:
        raise ValueError(
            f"backward: grad has shape {seed.shape} but the tensor has shape {root.shape}; "
            "they must be equal"
        )
    return seed


def _accumulate_grads(finished: dict[Tensor, Array]) -> None:
    """``t.grad += g`` for each finished tensor, never letting two .grad share one buffer."""
    taken: set[int] = set()
    for t, g in finished.items():
        if t.grad is not None:
            t.grad += g
            continue
        buffer = id(g if g.base is None else g.base)
        if buffer in taken or not g.flags.writeable:
            g = g.copy()
        else:
            taken.add(buffer)
        t.grad = g


def _as_array(data: Any, dtype: Any) -> Array:
    if isinstance(data, np.ndarray):
        if dtype is not None:
            return data.astype(dtype, copy=False)
        return data
    if isinstance(data, Tensor):
        return _as_array(data.data, dtype)
    arr = np.asarray(data, dtype=dtype)
    if dtype is None and arr.dtype.kind in "biuf" and not isinstance(data, np.generic):
        arr = arr.astype(_state.default_dtype)  # Python numbers and lists: the default dtype
    elif dtype is None and arr.dtype.kind not in "biufc":
        raise TypeError(f"Tensor: cannot make a numeric tensor from {type(data).__name__}")
    return arr


class Tensor:
    """An n-dimensional array that remembers the operation that produced it."""

    __slots__ = ("data", "grad", "_requires_grad", "_name", "_op", "__weakref__")
    __array_ufunc__ = None  # so that ndarray (op) Tensor defers to Tensor's reflected ops
    __hash__ = object.__hash__  # identity; == is elementwise like NumPy and PyTorch

    data: Array
    grad: Array | None
    _op: Op | None

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        self.data = _as_array(data, dtype)
        self.grad = None
        self._requires_grad = False
        self._op = None
        self.name = name
        self.requires_grad = requires_grad

    # ---------------------------------------------------------------------- attributes

    @property
    def name(self) -> str | None:
        """A label for drawings (kept by its op: drawings show it after the tensor is dropped)."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value
        if self._op is not None:
            self._op.label = value

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind not in "fc":
            raise TypeError(
                f"requires_grad=True needs floating data, but this tensor has dtype "
                f"{self.data.dtype}: gradients of integer or bool values (labels, masks) are "
                "not defined; convert with .astype(np.float32) if it is a real quantity"
            )
        if not value and self._op is not None:
            raise RuntimeError("requires_grad: use .detach() to cut a non-leaf from its graph")
        self._requires_grad = bool(value)

    def requires_grad_(self, value: bool = True) -> Tensor:
        self.requires_grad = value
        return self

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def op(self) -> str | None:
        """Name of the operation that produced this tensor (None for a leaf)."""
        return None if self._op is None else self._op.name

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this intermediate tensor after ``backward``."""
        if self._op is not None:  # leaves keep .grad anyway
            self._op.retain = True

    # --------------------------------------------------------------------- conversions

    def numpy(self) -> Array:
        return self.data

    def item(self) -> Any:
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no grad)."""
        return _new(self.data, False, None)

    def astype(self, dtype: Any) -> Tensor:
        dt = np.dtype(dtype)
        return self if dt == self.data.dtype else apply(ops.Cast, self, dtype=dt)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Array:
        """np.asarray(t) gives the data (so NumPy and matplotlib accept tensors)."""
        if copy:
            return np.array(self.data, dtype=dtype)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", threshold=50)
        extra = f", shape={self.shape}, dtype={self.dtype}"
        if self._op is not None:
            extra += f", op={self._op.name}"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"Tensor({body}{extra})"

    # -------------------------------------------------------------------- constructors

    @staticmethod
    def zeros(*shape: int, requires_grad: bool = False, dtype: Any = None) -> Tensor:
        return Tensor(np.zeros(_shape(shape), dtype or _state.default_dtype), requires_grad)

    @staticmethod
    def ones(*shape: int, requires_grad: bool = False, dtype: Any = None) -> Tensor:
        return Tensor(np.ones(_shape(shape), dtype or _state.default_dtype), requires_grad)

    @staticmethod
    def randn(
        *shape: int,
        rng: np.random.Generator | int | None = None,
        requires_grad: bool = False,
        dtype: Any = None,
    ) -> Tensor:
        data = as_rng(rng).standard_normal(_shape(shape))
        return Tensor(data.astype(dtype or _state.default_dtype), requires_grad)

    @staticmethod
    def uniform(
        *shape: int,
        low: float = 0.0,
        high: float = 1.0,
        rng: np.random.Generator | int | None = None,
        requires_grad: bool = False,
        dtype: Any = None,
    ) -> Tensor:
        data = as_rng(rng).uniform(low, high, _shape(shape))
        return Tensor(data.astype(dtype or _state.default_dtype), requires_grad)

    @staticmethod
    def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
        if not tensors:
            raise ValueError("concatenate: expected at least one tensor")
        items = [_lift(tensors[0], t) for t in tensors]
        axis = normalize_axes("concatenate", axis, items[0].ndim)[0]
        return apply(ops.Concatenate, *items, axis=axis)

    @staticmethod
    def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
        if not tensors:
            raise ValueError("stack: expected at least one tensor")
        items = [_lift(tensors[0], t) for t in tensors]
        axis = normalize_axes("stack", axis, items[0].ndim + 1)[0]
        return apply(ops.Stack, *items, axis=axis)

    # ---------------------------------------------------------------------- arithmetic

    def __add__(self, other: Any) -> Tensor:
        return apply(ops.Add, self, _lift(self, other))

    def __radd__(self, other: Any) -> Tensor:
        return apply(ops.Add, _lift(self, other), self)

    def __sub__(self, other: Any) -> Tensor:
        return apply(ops.Sub, self, _lift(self, other))

    def __rsub__(self, other: Any) -> Tensor:
        return apply(ops.Sub, _lift(self, other), self)

    def __mul__(self, other: Any) -> Tensor:
        return apply(ops.Mul, self, _lift(self, other))

    def __rmul__(self, other: Any) -> Tensor:
        return apply(ops.Mul, _lift(self, other), self)

    def __truediv__(self, other: Any) -> Tensor:
        return apply(ops.Div, self, _lift(self, other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return apply(ops.Div, _lift(self, other), self)

    def __neg__(self) -> Tensor:
        return apply(ops.Neg, self)

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, Tensor) or np.ndim(exponent) != 0:
            raise TypeError(
                f"pow: the exponent must be a number, got {type(exponent).__name__}; for a "
                "tensor exponent write (b * x.log()).exp()"
            )
        return apply(ops.Pow, self, exponent=float(exponent))

    def __matmul__(self, other: Any) -> Tensor:
        return apply(ops.MatMul, self, _lift(self, other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return apply(ops.MatMul, _lift(self, other), self)

    def matmul(self, other: Any) -> Tensor:
        return self @ other

    # Comparisons give bool tensors without grad (for masks and accuracy), like NumPy.
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _new(np.asarray(self.data == _data(other)), False, None)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _new(np.asarray(self.data != _data(other)), False, None)

    def __lt__(self, other: Any) -> Tensor:
        return _new(np.asarray(self.data < _data(other)), False, None)

    def __le__(self, other: Any) -> Tensor:
        return _new(np.asarray(self.data <= _data(other)), False, None)

    def __gt__(self, other: Any) -> Tensor:
        return _new(np.asarray(self.data > _data(other)), False, None)

    def __ge__(self, other: Any) -> Tensor:
        return _new(np.asarray(self.data >= _data(other)), False, None)

    def argmax(self, axis: int | None = None) -> Tensor:
        return _new(np.asarray(self.data.argmax(axis=axis)), False, None)

    def argmin(self, axis: int | None = None) -> Tensor:
        return _new(np.asarray(self.data.argmin(axis=axis)), False, None)

    # --------------------------------------------------------------------- elementwise

    def exp(self) -> Tensor:
        return apply(ops.Exp, self)

    def log(self) -> Tensor:
        return apply(ops.Log, self)

    def sqrt(self) -> Tensor:
        return apply(ops.Sqrt, self)

    def abs(self) -> Tensor:
        return apply(ops.Abs, self)

    def sigmoid(self) -> Tensor:
        return apply(ops.Sigmoid, self)

    def tanh(self) -> Tensor:
        return apply(ops.Tanh, self)

    def relu(self) -> Tensor:
        return apply(ops.ReLU, self)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        return apply(ops.LeakyReLU, self, slope=float(slope))

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        if lo is None and hi is None:
            raise ValueError("clip: give at least one of lo and hi")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip: lo={lo} is greater than hi={hi}")
        return apply(ops.Clip, self, lo=lo, hi=hi)

    # ---------------------------------------------------------------------- reductions

    def _reduce(self, op_class: type[Op], axis: Any, keepdims: bool) -> Tensor:
        axes = normalize_axes(op_class.name, axis, self.data.ndim)
        return apply(op_class, self, axis=axes, keepdims=keepdims)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return self._reduce(ops.Sum, axis, keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return self._reduce(ops.Mean, axis, keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum; where several elements tie, the gradient is split equally among them."""
        if self.data.size == 0:
            raise ValueError("max: the tensor is empty")
        return self._reduce(ops.Max, axis, keepdims)

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Minimum; where several elements tie, the gradient is split equally among them."""
        if self.data.size == 0:
            raise ValueError("min: the tensor is empty")
        return self._reduce(ops.Min, axis, keepdims)

    # --------------------------------------------------------------------------- shape

    def reshape(self, *shape: Any) -> Tensor:
        return apply(ops.Reshape, self, shape=_shape(shape))

    def transpose(self, *axes: Any) -> Tensor:
        perm = _shape(axes) if axes else None
        if perm is not None and len(perm) != self.data.ndim:
            raise ValueError(
                f"transpose: axes {perm} do not match the {self.data.ndim} axes of {self.shape}"
            )
        return apply(ops.Transpose, self, axes=perm)

    @property
    def T(self) -> Tensor:
        return apply(ops.Transpose, self, axes=None)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.data.ndim == 0:
            return self.reshape(1)
        start, end = (normalize_axes("flatten", a, self.data.ndim)[0] for a in (start_dim, end_dim))
        shape = self.shape
        return self.reshape(*shape[:start], -1, *shape[end + 1 :])

    def __getitem__(self, index: Any) -> Tensor:
        return apply(ops.GetItem, self, index=_index(index))

    # --------------------------------------------------------------------- probability

    def softmax(self, axis: int = -1) -> Tensor:
        return apply(ops.Softmax, self, axis=normalize_axes("softmax", axis, self.ndim)[0])

    def log_softmax(self, axis: int = -1) -> Tensor:
        return apply(ops.LogSoftmax, self, axis=normalize_axes("log_softmax", axis, self.ndim)[0])

    # ------------------------------------------------------------------------ autograd

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(x) into ``x.grad`` for every tensor x with requires_grad."""
        _sweep(self, grad, retain_graph, _on_step)

    def zero_grad(self) -> None:
        self.grad = None

    def draw(self, **kwargs: Any) -> Any:
        """Same as ``tinygrad_nn.draw(self, **kwargs)`` (a graphviz.Digraph)."""
        from tinygrad_nn.viz import draw

        return draw(self, **kwargs)


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept both f(2, 3) and f((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _index(index: Any) -> Any:
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _lift(like: Tensor, x: Any) -> Tensor:
    """A Tensor as is; an array keeps its dtype; a number takes ``like``'s dtype where it fits."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return _new(x, False, None)
    kind = like.data.dtype.kind
    if kind == "f" or (kind in "iu" and isinstance(x, (int, np.integer))):
        dtype = like.data.dtype
    else:
        dtype = _state.default_dtype
    try:
        return _new(np.asarray(x, dtype=dtype), False, None)
    except (TypeError, ValueError):
        raise TypeError(
            f"cannot combine a Tensor with {type(x).__name__}; expected a Tensor, number or array"
        ) from None
