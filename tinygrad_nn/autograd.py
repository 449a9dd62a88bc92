"""Tensor and the engine: data, grad, the op that made it; operator overloads; the backward sweep.

(Named autograd.py so that ``tinygrad_nn.tensor`` can be the constructor function, as in PyTorch.)
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import operator
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from heapq import heappop, heappush
from typing import Any, NamedTuple

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.ops import Array, Op, normalize_axes, unbroadcast
from tinygrad_nn.random import as_rng


class _State:
    """One thread's engine switches (read once per op, through ``_local.state``)."""

    __slots__ = ("grad_enabled", "anomaly", "scope", "tracer", "hooked")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.scope: tuple[Any, ...] | None = None
        # A compiled step being recorded (tinygrad_nn.compiler): it sees every op and effect.
        self.tracer: Any = None
        # anomaly or tracer: the one flag apply() reads, so that neither costs the fast path
        self.hooked = False


class _PerThread(threading.local):
    """Each thread's own ``_State``, as PyTorch keeps grad mode per thread.

    Grad mode, anomaly mode and the module scope are per thread: a ``no_grad()`` block or a
    module call in one thread never changes what another thread records, and every thread
    starts with grad enabled, anomaly detection off and no scope. The default dtype is
    process-wide (``torch.set_default_dtype`` is too).
    """

    def __init__(self) -> None:  # runs once in each thread, on its first read
        self.state = _State()


_local = _PerThread()
_default_dtype = np.dtype(np.float32)  # process-wide, as in PyTorch


def _state() -> _State:
    """This thread's switches."""
    return _local.state


def set_default_dtype(dtype: Any) -> None:
    """Dtype given to Python numbers and lists (float32 unless changed; float64 for checks).

    Process-wide, as in PyTorch: every thread sees the change.
    """
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dt}")
    global _default_dtype
    _default_dtype = dt


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become (float32 unless set_default_dtype changed it)."""
    return _default_dtype


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block ops record nothing: results have no graph and need no grad.

    Only in this thread: other threads go on recording.
    """
    state = _local.state
    previous, state.grad_enabled = state.grad_enabled, False
    try:
        yield
    finally:
        state.grad_enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Record ops again, e.g. inside a ``no_grad()`` block (this thread only)."""
    state = _local.state
    previous, state.grad_enabled = state.grad_enabled, True
    try:
        yield
    finally:
        state.grad_enabled = previous


def is_grad_enabled() -> bool:
    """True unless inside no_grad() / inference_mode() (per thread, as in PyTorch)."""
    return _local.state.grad_enabled


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise on the first op whose output (forward) or input gradient (backward) has NaN/Inf.

    Only in this thread. NumPy's own floating-point warnings for the engine's ops are
    silenced inside the block, so the engine's error (which names the op) comes alone.
    """
    state = _local.state
    previous, state.anomaly = state.anomaly, True
    state.hooked = True
    try:
        yield
    finally:
        state.anomaly = previous
        state.hooked = previous or state.tracer is not None


def traced(method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a method whose effect a compiled step replays (an optimiser step, an in-place
    change, ``.grad = None``): while ``tinygrad_nn.compile`` records a step, calls to it are
    recorded (with their arguments) instead of going unseen; otherwise it runs as written."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _recording:  # some thread records a compiled step: is it this one?
            tracer = _local.state.tracer
            if tracer is not None:
                return tracer.call(method, args, kwargs)
        return method(*args, **kwargs)

    return wrapper


_recording = 0  # compiled steps being recorded, in any thread (tinygrad_nn.compiler counts)


def reads_value(method: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a method that hands a tensor's values to Python (``item()``, ``float(t)``, ...):
    a compiled step that reads a value it computed is refused, since its Python code may
    then depend on the data, which a replayed plan cannot follow."""

    @functools.wraps(method)
    def wrapper(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        if _recording and _local.state.tracer is not None:
            _local.state.tracer.read(self, method.__name__)
        return method(self, *args, **kwargs)

    return wrapper


def enter_scope(obj: Any) -> tuple[Any, ...] | None:
    """Push ``obj`` (an nn.Module): ops this thread creates until ``exit_scope`` record it."""
    state = _local.state
    token = state.scope
    state.scope = (obj,) if token is None else token + (obj,)
    return token


def exit_scope(token: tuple[Any, ...] | None) -> None:
    _local.state.scope = token


def _nonfinite(x: Array) -> bool:
    return x.dtype.kind in "fc" and not np.isfinite(x).all()


def _describe(op: Op) -> str:
    shapes = ", ".join(str(v.shape) for v in op.inputs)
    return f"'{op.name}' (inputs of shape {shapes})"


def _new(data: Array, requires_grad: bool, op: Op | None) -> Tensor:
    """Make a tensor without the constructor's checks (the engine's fast path)."""
    t = Tensor.__new__(Tensor)
    t.data = data
    t._grad = None
    t._requires_grad = requires_grad
    t._name = None
    t._op = op
    return t


_op_counter = itertools.count()
_last_inplace = -1  # the stamp of the latest in-place change of a tensor (mark_modified)


def mark_modified(*tensors: Tensor) -> None:
    """Record that the tensors' data are changed in place (in-place ops and optimiser steps).

    A graph recorded before the change may have saved the old values, so backward through
    it raises instead of computing a wrong gradient (PyTorch's version check does the same).
    The stamp comes from the op counter: ops recorded after the change are newer and unaffected.
    """
    global _last_inplace
    _last_inplace = stamp = next(_op_counter)
    for t in tensors:
        if t._op is not None:
            t._op.modified = stamp
        else:
            t._modified = stamp


def _check_unmodified(op: Op) -> None:
    """Raise if ``op``'s output or one of its inputs was changed in place after ``op`` was made."""
    for v in (op, *op.inputs):
        stamp = getattr(v, "modified", -1) if isinstance(v, Op) else getattr(v, "_modified", -1)
        if stamp > op.seq:
            raise RuntimeError(
                f"backward: a tensor that '{op.name}' (output shape {op.shape}) used was changed "
                "in place after the forward pass recorded it (an optimiser step, or x -= ... "
                "inside no_grad(), before backward()); backward would use the new values and "
                "give a wrong gradient. Call backward() before changing it, or change a clone()"
            )
_ndarray = np.ndarray
# How an op refers to its output tensor: weakly, so the graph never keeps a dropped
# intermediate alive. tinygrad_nn.viz.record() swaps in a keeping reference while it runs,
# and sets _on_step to record each backward step: an explicit opt-in, never the default.
_output_ref: Callable[[Tensor], Callable[[], Tensor | None]] = weakref.ref
_on_step: Callable[[BackwardStep], None] | None = None
_NO_KWARGS: dict[str, Any] = {}


def apply(op_class: type[Op], *inputs: Tensor, **kwargs: Any) -> Tensor:
    """Run ``op_class`` forward on the inputs' data and record a node if any input needs grad."""
    state = _local.state  # this thread's switches, read once
    if state.hooked:  # detect_anomaly, or a compiled step being recorded
        return _apply_hooked(state, op_class, inputs, kwargs)
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
    t = Tensor.__new__(Tensor)  # as _new(), written out
    t.data = out
    t._grad = None
    t._name = None
    if True in needs and state.grad_enabled:
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
        op.scope = state.scope
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


def _apply_hooked(
    state: _State, op_class: type[Op], inputs: tuple[Tensor, ...], kwargs: dict[str, Any]
) -> Tensor:
    """``apply`` under ``detect_anomaly`` (NumPy's warnings off, a clear error on NaN/Inf)
    or while a compiled step records (the tracer is told of the op and its output)."""
    state.hooked = False  # run the ordinary path once, then check or record its output
    try:
        if state.anomaly:
            with np.errstate(all="ignore"):
                t = apply(op_class, *inputs, **kwargs)
        else:
            t = apply(op_class, *inputs, **kwargs)
    finally:
        state.hooked = True
    if state.anomaly and _nonfinite(t.data):
        shapes = ", ".join(str(x.shape) for x in inputs)
        raise FloatingPointError(
            f"detect_anomaly: forward of '{op_class.name}' (inputs of shape {shapes}) "
            "produced NaN/Inf"
        )
    if state.tracer is not None:
        state.tracer.op(op_class, inputs, kwargs, t)
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
    if _local.state.anomaly:  # the anomaly error names the op; NumPy's warnings would not
        with np.errstate(all="ignore"):
            _sweep_graph(root, grad, retain_graph, on_step)
    else:
        _sweep_graph(root, grad, retain_graph, on_step)


def _sweep_graph(
    root: Tensor,
    grad: Any,
    retain_graph: bool,
    on_step: Callable[[BackwardStep], None] | None,
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
    anomaly = _local.state.anomaly
    while chain is not None or queue:
        if chain is not None:
            op, chain = chain, None
        else:
            op = heappop(queue)[1]
        dZ = grads.pop(op)
        if op.seq < _last_inplace:  # something changed in place since this op was recorded
            _check_unmodified(op)
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
    """``t.grad += g`` for each finished tensor, never letting two .grad share one buffer.

    A first gradient becomes ``t.grad``, a Tensor without a graph; later ones are added in
    place to its ``.data``.
    """
    taken: set[int] = set()
    new = Tensor.__new__
    for t, g in finished.items():
        old = t._grad
        if old is not None:
            old.data += g
            continue
        if type(g) is not np.ndarray:  # a NumPy scalar: arithmetic on 0-d arrays returns them
            g = np.array(g)
        buffer = id(g if g.base is None else g.base)
        if buffer in taken or not g.flags.writeable:
            g = g.copy()
        else:
            taken.add(buffer)
        grad = new(Tensor)  # as _new(g, False, None), written out: this runs once per leaf
        grad.data = g
        grad._grad = grad._name = grad._op = None
        grad._requires_grad = False
        t._grad = grad


def _as_array(data: Any, dtype: Any) -> Array:
    if isinstance(data, np.ndarray):
        if dtype is not None:
            data = data.astype(dtype, copy=False)
        if data.dtype.kind not in "biufc":
            raise TypeError(
                f"Tensor: cannot make a numeric tensor from an array of dtype {data.dtype}; "
                "expected numbers or bools"
            )
        return data
    if isinstance(data, Tensor):
        return _as_array(data.data, dtype)
    try:
        arr = np.asarray(data, dtype=dtype)
    except ValueError as e:
        if "inhomogeneous" not in str(e):
            raise
        raise ValueError(
            f"Tensor: cannot make a tensor from a ragged nested list ({e}); every row must "
            "have the same length"
        ) from None
    if dtype is None and not isinstance(data, np.generic):  # Python data, typed as torch.tensor
        if arr.dtype.kind == "f":
            arr = arr.astype(_default_dtype)  # floats: the default dtype
        elif arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)  # ints: int64, as class labels need
    if dtype is None and arr.dtype.kind not in "biufc":
        raise TypeError(f"Tensor: cannot make a numeric tensor from {type(data).__name__}")
    return arr


class NotAScalarError(RuntimeError, ValueError):
    """``item()`` of a tensor with more or fewer than one element.

    A RuntimeError as in PyTorch, and a ValueError as in NumPy, so either ``except`` works.
    """


class IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """``//`` or ``%`` of integer tensors by 0: a RuntimeError as in PyTorch, and Python's
    ZeroDivisionError, so either ``except`` works."""


class Tensor:
    """An n-dimensional array that remembers the operation that produced it."""

    # _modified: set (a creation-order stamp) only once a leaf is changed in place
    __slots__ = ("data", "_grad", "_requires_grad", "_name", "_op", "_modified", "__weakref__")
    __hash__ = object.__hash__  # identity; == is elementwise like NumPy and PyTorch

    data: Array
    _grad: Tensor | None
    _op: Op | None
    _modified: int

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
        device: Any = None,
    ) -> None:
        _check_device(device)
        self.data = _as_array(data, dtype)
        self._grad = None
        self._requires_grad = False
        self._op = None
        self.name = name
        self.requires_grad = requires_grad

    # ---------------------------------------------------------------------- attributes

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient: a Tensor without a graph (``.data`` is the array), or None."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if _recording and _local.state.tracer is not None:  # a compiled step replays it
            _local.state.tracer.call(Tensor.grad.fset, (self, value), {})  # type: ignore[attr-defined]
            return
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"grad: expected a Tensor or None, got {type(value).__name__}; write "
                    "t.grad = Tensor(array) (or t.grad = None to forget it)"
                )
            if value.data.shape != self.data.shape:
                raise ValueError(
                    f"grad: a gradient of shape {value.data.shape} does not fit a tensor of "
                    f"shape {self.data.shape}; they must be equal"
                )
            if value.data.dtype != self.data.dtype:
                raise TypeError(
                    f"grad: a gradient of dtype {value.data.dtype} does not fit a tensor of "
                    f"dtype {self.data.dtype}; convert it with .to({self.data.dtype})"
                )
        self._grad = value

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
                "not defined; convert with .float() (or .astype(np.float32)) if it is a real "
                "quantity"
            )
        if not value and self._op is not None:
            raise RuntimeError("requires_grad: use .detach() to cut a non-leaf from its graph")
        self._requires_grad = bool(value)

    def requires_grad_(self, value: bool = True) -> Tensor:
        """Set requires_grad in place; return self."""
        self.requires_grad = value
        return self

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

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

    @property
    def grad_fn(self) -> Op | None:
        """The op that produced this tensor (shown as ``<MulBackward>``); None for a leaf."""
        return self._op

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this intermediate tensor after ``backward``."""
        if self._op is not None:  # leaves keep .grad anyway
            self._op.retain = True

    # --------------------------------------------------------------------- conversions

    @reads_value
    def numpy(self) -> Array:
        """The data array itself (no copy)."""
        return self.data

    @reads_value
    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise NotAScalarError(
                f"item: only a one-element tensor has a single value, but this tensor has shape "
                f"{self.shape} ({self.data.size} elements); index it (t[0].item()) or reduce "
                "it (t.sum().item()) first"
            )
        return self.data.item()

    @reads_value
    def tolist(self) -> Any:
        """The data as nested Python lists."""
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no grad)."""
        return _new(self.data, False, None)

    def astype(self, dtype: Any) -> Tensor:
        """A copy in another dtype (self when it has it); the gradient flows between floats."""
        dt = np.dtype(dtype)
        if dt == self.data.dtype:
            return self
        if dt.kind not in "fc":  # integers and bools have no gradient
            return _made(_astype, self, dtype=dt)
        return apply(ops.Cast, self, dtype=dt)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to("cpu")``, ``to(other)`` (its dtype), ``to(device, dtype)``."""
        dtype = kwargs.pop("dtype", None)
        _check_device(kwargs.pop("device", None))
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.data.dtype
            elif isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "mps", "xla", "meta"):
                _check_device(a)
            else:
                dtype = a
        out = self if dtype is None else self.astype(dtype)
        return out.detach().clone() if copy and out is self else out

    def is_floating_point(self) -> bool:
        """True if the dtype is a floating-point type."""
        return self.data.dtype.kind == "f"

    def clone(self) -> Tensor:
        """A copy of the data; the gradient flows back to self."""
        if self._requires_grad and _local.state.grad_enabled:
            return apply(ops.Cast, self, dtype=self.data.dtype)
        return _made(np.copy, self)

    def cpu(self) -> Tensor:
        """Return self: tensors live in host memory."""
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        """Raise: tinygrad_nn runs on NumPy, on the CPU only."""
        _check_device("cuda")
        return self

    @property
    def device(self) -> str:
        return "cpu"

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy ufuncs that meet a Tensor.

        Into an ndarray (``p.data -= lr * p.grad``, ``np.add(a, t, out=a)``) the ufunc runs
        on the tensors' data. Otherwise the matching Tensor operation runs, so that
        ``array * t`` and ``np.exp(t)`` record a graph like ``t * array`` and ``t.exp()``.
        Any other ufunc gives NumPy's result on the data (``np.isfinite(t.grad)``), and is
        refused on a tensor that requires grad, whose graph it would silently leave.
        """
        out = kwargs.get("out")
        if out is not None:
            if any(isinstance(o, Tensor) for o in out):
                raise TypeError(
                    f"np.{ufunc.__name__}(..., out=tensor): write into the tensor with its "
                    "in-place operators (t += x, t -= x, ...) or into t.data"
                )
            arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
            return getattr(ufunc, method)(*arrays, **kwargs)
        if method == "__call__" and not kwargs:
            if len(inputs) == 1 and ufunc in _UNARY_UFUNCS:
                return getattr(inputs[0], _UNARY_UFUNCS[ufunc])()
            if len(inputs) == 2 and ufunc in _BINARY_UFUNCS:
                a, b = inputs
                forward, reflected = _BINARY_UFUNCS[ufunc]
                if isinstance(a, Tensor):
                    return getattr(a, forward)(b)
                return getattr(b, reflected)(a)
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        tracked = any(isinstance(x, Tensor) and x._requires_grad for x in inputs)
        if not (tracked and _local.state.grad_enabled):
            return getattr(ufunc, method)(*arrays, **kwargs)  # no graph to lose: NumPy's result
        raise TypeError(
            f"np.{ufunc.__name__}{'' if method == '__call__' else '.' + method} on a tensor "
            "that requires grad would leave the graph; use the Tensor method of the same "
            "name, or apply it to t.detach() / t.data"
        )

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Array:
        """np.asarray(t) gives the data (so NumPy and matplotlib accept tensors)."""
        if copy:
            return np.array(self.data, dtype=dtype)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        """The rows (``t[0], t[1], ...``), each recording its indexing op."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    @reads_value
    def __bool__(self) -> bool:
        return bool(self.data)

    @reads_value
    def __float__(self) -> float:
        return float(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", threshold=50)
        extra = f", shape={self.shape}, dtype={self.dtype}"
        if self._op is not None:
            extra += f", grad_fn={self._op!r}"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"Tensor({body}{extra})"

    # -------------------------------------------------------------------- constructors

    @staticmethod
    def zeros(
        *shape: int, requires_grad: bool = False, dtype: Any = None, device: Any = None
    ) -> Tensor:
        """A tensor of zeros of the given shape."""
        _check_device(device)
        size = check_allocatable("zeros", _shape(shape, "zeros"))
        return Tensor(np.zeros(size, dtype or _default_dtype), requires_grad)

    @staticmethod
    def ones(
        *shape: int, requires_grad: bool = False, dtype: Any = None, device: Any = None
    ) -> Tensor:
        """A tensor of ones of the given shape."""
        _check_device(device)
        size = check_allocatable("ones", _shape(shape, "ones"))
        return Tensor(np.ones(size, dtype or _default_dtype), requires_grad)

    @staticmethod
    def randn(
        *shape: int,
        rng: np.random.Generator | int | None = None,
        requires_grad: bool = False,
        dtype: Any = None,
        device: Any = None,
    ) -> Tensor:
        """Standard normal values from rng (a seed or Generator; None: the default generator)."""
        _check_device(device)
        data = as_rng(rng).standard_normal(check_allocatable("randn", _shape(shape, "randn")))
        return Tensor(data.astype(dtype or _default_dtype), requires_grad)

    @staticmethod
    def uniform(
        *shape: int,
        low: float = 0.0,
        high: float = 1.0,
        rng: np.random.Generator | int | None = None,
        requires_grad: bool = False,
        dtype: Any = None,
    ) -> Tensor:
        """Uniform values in [low, high) from rng (a seed or Generator; None: the default one)."""
        size = check_allocatable("uniform", _shape(shape, "uniform"))
        data = as_rng(rng).uniform(low, high, size)
        return Tensor(data.astype(dtype or _default_dtype), requires_grad)

    @staticmethod
    def concatenate(
        tensors: Sequence[Tensor], axis: int | None = None, *, dim: int | None = None
    ) -> Tensor:
        """Join along an existing dim (``axis`` or PyTorch's ``dim``; 0 by default)."""
        if not tensors:
            raise ValueError("concatenate: expected at least one tensor")
        d = _dim_arg("concatenate", dim, axis)
        items = [_lift(tensors[0], t) for t in tensors]
        d = normalize_axes("concatenate", 0 if d is None else d, items[0].ndim)[0]
        return apply(ops.Concatenate, *items, axis=d)

    @staticmethod
    def stack(
        tensors: Sequence[Tensor], axis: int | None = None, *, dim: int | None = None
    ) -> Tensor:
        """Join along a new dim (``axis`` or PyTorch's ``dim``; 0 by default)."""
        if not tensors:
            raise ValueError("stack: expected at least one tensor")
        d = _dim_arg("stack", dim, axis)
        items = [_lift(tensors[0], t) for t in tensors]
        d = normalize_axes("stack", 0 if d is None else d, items[0].ndim + 1)[0]
        return apply(ops.Stack, *items, axis=d)

    # ---------------------------------------------------------------------- arithmetic

    def __add__(self, other: Any) -> Tensor:
        try:
            return apply(ops.Add, self, _lift(self, other))
        except _Promote:  # an integer tensor + a float: in the default float dtype
            return self.astype(_default_dtype) + other

    def __radd__(self, other: Any) -> Tensor:
        try:
            return apply(ops.Add, _lift(self, other), self)
        except _Promote:
            return other + self.astype(_default_dtype)

    def __sub__(self, other: Any) -> Tensor:
        try:
            return apply(ops.Sub, self, _lift(self, other))
        except _Promote:  # an integer tensor - a float: in the default float dtype
            return self.astype(_default_dtype) - other

    def __rsub__(self, other: Any) -> Tensor:
        try:
            return apply(ops.Sub, _lift(self, other), self)
        except _Promote:
            return other - self.astype(_default_dtype)

    def __mul__(self, other: Any) -> Tensor:
        try:
            return apply(ops.Mul, self, _lift(self, other))
        except _Promote:  # an integer tensor * a float: in the default float dtype
            return self.astype(_default_dtype) * other

    def __rmul__(self, other: Any) -> Tensor:
        try:
            return apply(ops.Mul, _lift(self, other), self)
        except _Promote:
            return other * self.astype(_default_dtype)

    def __truediv__(self, other: Any) -> Tensor:
        try:
            return apply(ops.Div, self, _lift(self, other, True))
        except _Promote:  # an integer tensor / a float: in the default float dtype
            return self.astype(_default_dtype) / other

    def __rtruediv__(self, other: Any) -> Tensor:
        try:
            return apply(ops.Div, _lift(self, other, True), self)
        except _Promote:
            return other / self.astype(_default_dtype)

    def __neg__(self) -> Tensor:
        return apply(ops.Neg, self)

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, (Tensor, np.ndarray, list)):
            b = Tensor(exponent) if isinstance(exponent, list) else _lift(self, exponent)
            return apply(ops.PowTensor, self, b)
        if not isinstance(exponent, (int, float, np.number)):
            raise TypeError(
                f"pow: the exponent must be a number or a tensor, got {type(exponent).__name__}"
            )
        if self.data.dtype.kind != "f":
            if isinstance(exponent, (int, np.integer)):
                return apply(ops.Pow, self, exponent=int(exponent))  # int ** int stays int
            return self.astype(_default_dtype) ** exponent  # int ** 0.5 is float32
        return apply(ops.Pow, self, exponent=float(exponent))

    def __rpow__(self, base: Any) -> Tensor:
        try:
            return apply(ops.PowTensor, _lift(self, base), self)
        except _Promote:
            return base ** self.astype(_default_dtype)

    def pow(self, exponent: Any) -> Tensor:
        """``self ** exponent``; the exponent may be a number or a tensor."""
        return self**exponent

    def __matmul__(self, other: Any) -> Tensor:
        return apply(ops.MatMul, self, _lift(self, other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return apply(ops.MatMul, _lift(self, other), self)

    def matmul(self, other: Any) -> Tensor:
        """self @ other (1-D and batched as np.matmul)."""
        return self @ other

    def add(self, other: Any) -> Tensor:
        """self + other, broadcasting (PyTorch's method form)."""
        return self + other

    def sub(self, other: Any) -> Tensor:
        """self - other, broadcasting."""
        return self - other

    def mul(self, other: Any) -> Tensor:
        """self * other, broadcasting."""
        return self * other

    def div(self, other: Any) -> Tensor:
        """self / other, broadcasting."""
        return self / other

    def neg(self) -> Tensor:
        """-self."""
        return -self

    def __abs__(self) -> Tensor:
        return apply(ops.Abs, self)

    # Comparisons give bool tensors without grad (for masks and accuracy), like NumPy.
    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _compare(np.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _compare(np.not_equal, self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _compare(np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return _compare(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _compare(np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _compare(np.greater_equal, self, other)

    def __invert__(self) -> Tensor:
        if self.data.dtype.kind not in "biu":
            raise TypeError(f"~: needs a bool or integer tensor, got dtype {self.data.dtype}")
        return _made(np.invert, self)

    # Floor division and the bitwise operators have no gradient: results carry no graph, and
    # an operand that requires grad is refused (see _no_grad_binary); % and fmod of an operand
    # that requires grad record the Remainder op, as torch's are differentiable.
    def __floordiv__(self, other: Any) -> Tensor:
        return _no_grad_binary("floor_divide (//)", np.floor_divide, self, other, False)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _no_grad_binary("floor_divide (//)", np.floor_divide, self, other, True)

    def __mod__(self, other: Any) -> Tensor:
        return _no_grad_binary("remainder (%)", np.remainder, self, other, False)

    def __rmod__(self, other: Any) -> Tensor:
        return _no_grad_binary("remainder (%)", np.remainder, self, other, True)

    def __and__(self, other: Any) -> Tensor:
        return _no_grad_binary("bitwise_and (&)", np.bitwise_and, self, other, False)

    def __rand__(self, other: Any) -> Tensor:
        return _no_grad_binary("bitwise_and (&)", np.bitwise_and, self, other, True)

    def __or__(self, other: Any) -> Tensor:
        return _no_grad_binary("bitwise_or (|)", np.bitwise_or, self, other, False)

    def __ror__(self, other: Any) -> Tensor:
        return _no_grad_binary("bitwise_or (|)", np.bitwise_or, self, other, True)

    def __xor__(self, other: Any) -> Tensor:
        return _no_grad_binary("bitwise_xor (^)", np.bitwise_xor, self, other, False)

    def __rxor__(self, other: Any) -> Tensor:
        return _no_grad_binary("bitwise_xor (^)", np.bitwise_xor, self, other, True)

    def floor_divide(self, other: Any) -> Tensor:
        """floor(self / other) (``self // other``); no gradient, as in PyTorch."""
        return self // other

    def remainder(self, other: Any) -> Tensor:
        """self - other * floor(self / other) (``self % other``), with the sign of ``other``."""
        return self % other

    def fmod(self, other: Any) -> Tensor:
        """C's remainder: the sign of the dividend (``%`` takes the divisor's), as torch.fmod."""
        return _no_grad_binary("fmod", np.fmod, self, other, False)

    def bitwise_and(self, other: Any) -> Tensor:
        """Elementwise AND of bool or integer tensors (``self & other``); no graph."""
        return self & other

    def bitwise_or(self, other: Any) -> Tensor:
        """Elementwise OR of bool or integer tensors (``self | other``); no graph."""
        return self | other

    def bitwise_xor(self, other: Any) -> Tensor:
        """Elementwise XOR of bool or integer tensors (``self ^ other``); no graph."""
        return self ^ other

    def logical_and(self, other: Any) -> Tensor:
        """A bool tensor: both nonzero; no graph."""
        return _compare(np.logical_and, self, other)

    def logical_or(self, other: Any) -> Tensor:
        """A bool tensor: either nonzero; no graph."""
        return _compare(np.logical_or, self, other)

    def logical_xor(self, other: Any) -> Tensor:
        """A bool tensor: exactly one nonzero; no graph."""
        return _compare(np.logical_xor, self, other)

    def logical_not(self) -> Tensor:
        """A bool tensor: True where zero; no graph."""
        return _made(np.logical_not, self)

    def eq(self, other: Any) -> Tensor:
        """self == other, elementwise: a bool tensor without grad."""
        return self == other

    def ne(self, other: Any) -> Tensor:
        """self != other, elementwise: a bool tensor without grad."""
        return self != other

    def lt(self, other: Any) -> Tensor:
        """self < other, elementwise: a bool tensor without grad."""
        return self < other

    def le(self, other: Any) -> Tensor:
        """self <= other, elementwise: a bool tensor without grad."""
        return self <= other

    def gt(self, other: Any) -> Tensor:
        """self > other, elementwise: a bool tensor without grad."""
        return self > other

    def ge(self, other: Any) -> Tensor:
        """self >= other, elementwise: a bool tensor without grad."""
        return self >= other

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (PyTorch's ``x.where(c, y)``)."""
        return where(condition, self, other)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """``value`` where ``mask`` (bool) holds, else self; the gradient flows where not masked."""
        return where(mask, value, self)

    def square(self) -> Tensor:
        return apply(ops.Pow, self, exponent=2.0) if self.data.dtype.kind == "f" else self**2

    def maximum(self, other: Any) -> Tensor:
        """Elementwise max; where the two tie, each gets half the gradient (as PyTorch)."""
        try:
            return apply(ops.Maximum, self, _lift(self, other))
        except _Promote:
            return self.astype(_default_dtype).maximum(other)

    def minimum(self, other: Any) -> Tensor:
        """Elementwise min; where the two tie, each gets half the gradient (as PyTorch)."""
        try:
            return apply(ops.Minimum, self, _lift(self, other))
        except _Promote:
            return self.astype(_default_dtype).minimum(other)

    def argmax(
        self,
        dim: int | None = None,
        keepdim: bool | None = None,
        *,
        axis: int | None = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Index of the maximum (first one on ties) along ``dim``; of the flattened tensor
        without ``dim``. An int64 tensor without grad."""
        return self._arg_reduce("argmax", np.argmax, dim, keepdim, axis, keepdims)

    def argmin(
        self,
        dim: int | None = None,
        keepdim: bool | None = None,
        *,
        axis: int | None = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Index of the minimum (first one on ties) along ``dim``, as argmax."""
        return self._arg_reduce("argmin", np.argmin, dim, keepdim, axis, keepdims)

    def _arg_reduce(
        self, name: str, fn: Any, dim: Any, keepdim: Any, axis: Any, keepdims: Any
    ) -> Tensor:
        dim, keep = _dim_arg(name, dim, axis), _keep_arg(name, keepdim, keepdims)
        if self.data.size == 0:
            raise ValueError(f"{name}: the tensor is empty")
        if dim is not None:
            if not isinstance(dim, (int, np.integer)):
                raise TypeError(f"{name}: dim must be one int or None, got {dim!r}")
            dim = normalize_axes(name, int(dim), self.data.ndim)[0] if self.data.ndim else None
        return _made(_arg_reduced, self, reduce=fn, axis=dim, keepdims=keep)

    # --------------------------------------------------------------------- elementwise

    def exp(self) -> Tensor:
        return apply(ops.Exp, self)

    def log(self) -> Tensor:
        return apply(ops.Log, self)

    def sin(self) -> Tensor:
        return apply(ops.Sin, self)

    def cos(self) -> Tensor:
        return apply(ops.Cos, self)

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

    def clip(
        self,
        lo: float | None = None,
        hi: float | None = None,
        *,
        min: float | None = None,  # noqa: A002 (PyTorch's names)
        max: float | None = None,  # noqa: A002
    ) -> Tensor:
        """Clamp to [lo, hi] (NumPy's spelling; ``min=``/``max=`` as PyTorch's clip)."""
        if min is not None or max is not None:
            if lo is not None or hi is not None:
                raise TypeError("clip: give lo/hi or min=/max=, not both")
            return self.clamp(min, max)
        if lo is None and hi is None:
            raise ValueError("clip: give at least one of lo and hi")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip: lo={lo} is greater than hi={hi}")
        return apply(ops.Clip, self, lo=lo, hi=hi)

    def clamp(
        self,
        min: float | None = None,  # noqa: A002 (PyTorch's names)
        max: float | None = None,  # noqa: A002
    ) -> Tensor:
        """min(max(self, min), max), as PyTorch (where min > max every element is max)."""
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        for bound in (min, max):
            if bound is not None and not isinstance(bound, (int, float, np.number)):
                raise TypeError(
                    f"clamp: bounds must be numbers, got {type(bound).__name__}; for tensor "
                    "bounds write x.maximum(lo).minimum(hi)"
                )
        return apply(ops.Clip, self, lo=min, hi=max)

    def clamp_min(self, min: float) -> Tensor:  # noqa: A002
        """max(self, min), elementwise (clamp(min=min))."""
        return self.clamp(min=min)

    def clamp_max(self, max: float) -> Tensor:  # noqa: A002
        """min(self, max), elementwise (clamp(max=max))."""
        return self.clamp(max=max)

    # ---------------------------------------------------------------------- reductions
    # dim=/keepdim= (PyTorch) and axis=/keepdims= (NumPy) are the same arguments here.

    def _reduce(
        self,
        op_class: type[Op],
        dim: Any,
        keepdim: Any,
        axis: Any,
        keepdims: Any,
        name: str | None = None,
    ) -> Tensor:
        name = name or op_class.name
        axes = normalize_axes(name, _dim_arg(name, dim, axis), self.data.ndim)
        return apply(op_class, self, axis=axes, keepdims=_keep_arg(name, keepdim, keepdims))

    def sum(
        self,
        dim: int | tuple[int, ...] | None = None,
        keepdim: bool | None = None,
        *,
        axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        return self._reduce(ops.Sum, dim, keepdim, axis, keepdims)

    def mean(
        self,
        dim: int | tuple[int, ...] | None = None,
        keepdim: bool | None = None,
        *,
        axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        if self.data.dtype.kind not in "fc":
            _needs_float("mean", self)
        return self._reduce(ops.Mean, dim, keepdim, axis, keepdims)

    def var(
        self,
        dim: int | tuple[int, ...] | None = None,
        unbiased: bool | None = None,
        keepdim: bool | None = None,
        *,
        correction: float | None = None,
        axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None,
        ddof: float | None = None,
    ) -> Tensor:
        """sum((x - mean)^2) / (n - correction): unbiased (correction=1) by default, as PyTorch.

        ``unbiased=False`` or ``correction=0`` (NumPy's ``ddof=0``) divides by n.
        """
        return self._variance("var", dim, unbiased, keepdim, correction, axis, keepdims, ddof)

    def _variance(
        self,
        name: str,
        dim: Any,
        unbiased: Any,
        keepdim: Any,
        correction: Any,
        axis: Any,
        keepdims: Any,
        ddof: Any,
    ) -> Tensor:
        if self.data.dtype.kind not in "fc":
            _needs_float(name, self)
        if isinstance(dim, bool):  # var(False): PyTorch's older (unbiased) form
            dim, unbiased = None, dim
        given = [c for c in (unbiased, correction, ddof) if c is not None]
        if len(given) > 1:
            raise TypeError(f"{name}: give one of unbiased=, correction= and ddof=")
        c = float(correction if correction is not None else ddof if ddof is not None else 1)
        if unbiased is not None:
            c = 1.0 if unbiased else 0.0
        axes = normalize_axes(name, _dim_arg(name, dim, axis), self.data.ndim)
        n = int(np.prod([self.data.shape[i] for i in axes]))
        if n - c <= 0:
            raise ValueError(
                f"{name}: {n} element(s) over dim {axes} with correction={c:g} leaves {n - c:g} "
                "degrees of freedom (the result would be inf or nan); reduce over more "
                "elements or pass correction=0 (unbiased=False)"
            )
        return apply(
            ops.Var, self, axis=axes, keepdims=_keep_arg(name, keepdim, keepdims), correction=c
        )

    def std(
        self,
        dim: int | tuple[int, ...] | None = None,
        unbiased: bool | None = None,
        keepdim: bool | None = None,
        *,
        correction: float | None = None,
        axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None,
        ddof: float | None = None,
    ) -> Tensor:
        """sqrt(var(...)): unbiased by default, as PyTorch (see ``var``)."""
        v = self._variance("std", dim, unbiased, keepdim, correction, axis, keepdims, ddof)
        return v.sqrt()

    def prod(
        self,
        dim: int | None = None,
        keepdim: bool | None = None,
        *,
        axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Product over ``dim`` (all when None); the gradient is right where elements are 0."""
        return self._reduce(ops.Prod, dim, keepdim, axis, keepdims)

    def cumsum(self, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        """Running sum along ``dim``: Z_i = A_0 + ... + A_i, as PyTorch (dim is required)."""
        d = _dim_arg("cumsum", dim, axis)
        if d is None:
            raise TypeError(
                "cumsum: give the dim to sum along, e.g. x.cumsum(0) (for the flattened "
                "tensor write x.flatten().cumsum(0))"
            )
        return apply(ops.Cumsum, self, axis=normalize_axes("cumsum", d, max(self.ndim, 1))[0])

    def all(
        self,
        dim: int | tuple[int, ...] | None = None,
        keepdim: bool | None = None,
        *,
        axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """True where every element over ``dim`` (all when None) is nonzero; a bool tensor."""
        axes = normalize_axes("all", _dim_arg("all", dim, axis), self.data.ndim)
        keep = _keep_arg("all", keepdim, keepdims)
        return _made(_all, self, axis=axes, keepdims=keep)

    def any(
        self,
        dim: int | tuple[int, ...] | None = None,
        keepdim: bool | None = None,
        *,
        axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """True where some element over ``dim`` (all when None) is nonzero; a bool tensor."""
        axes = normalize_axes("any", _dim_arg("any", dim, axis), self.data.ndim)
        keep = _keep_arg("any", keepdim, keepdims)
        return _made(_any, self, axis=axes, keepdims=keep)

    def norm(
        self,
        p: Any = 2,
        dim: int | tuple[int, ...] | None = None,
        keepdim: bool = False,
    ) -> Tensor:
        """The vector p-norm over ``dim`` (all elements when None), as PyTorch's ``norm``.

        p=2: sqrt(sum x^2); p=1: sum |x|; p=inf: max |x|; other p > 0: (sum |x|^p)^(1/p).
        At x = 0 the gradient of the 2-norm is 0, as PyTorch's (not 0/0).
        """
        if self.data.dtype.kind not in "fc":
            _needs_float("norm", self)
        if p == "fro":
            p = 2
        if not isinstance(p, (int, float, np.number)) or isinstance(p, bool) or not p > 0:
            raise ValueError(
                f"norm: p must be a positive number, 'fro' or inf, got {p!r} (matrix norms "
                "such as 'nuc' are not supported)"
            )
        if p == float("inf"):
            return self.abs().amax(dim, keepdim)
        if p == 1:
            return self.abs().sum(dim, keepdim)
        if p == 2:
            return self._reduce(ops.Norm2, dim, keepdim, None, None, "norm")
        return (self.abs() ** float(p)).sum(dim, keepdim) ** (1.0 / float(p))

    def dot(self, other: Any) -> Tensor:
        """sum_i self_i * other_i of two 1-D tensors of one length, as PyTorch's ``dot``."""
        o = other if isinstance(other, Tensor) else Tensor(other)
        if self.data.ndim != 1 or o.data.ndim != 1 or self.data.shape != o.data.shape:
            raise ValueError(
                f"dot: needs two 1-D tensors of the same length, got shapes {self.shape} and "
                f"{o.shape}; for matrices write a @ b"
            )
        return self @ o

    def amax(
        self,
        dim: int | tuple[int, ...] | None = None,
        keepdim: bool | None = None,
        *,
        axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Maximum over ``dim`` (all when None); ties split the gradient equally."""
        if self.data.size == 0:
            raise ValueError("amax: the tensor is empty")
        return self._reduce(ops.Max, dim, keepdim, axis, keepdims, "amax")

    def amin(
        self,
        dim: int | tuple[int, ...] | None = None,
        keepdim: bool | None = None,
        *,
        axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Minimum over ``dim`` (all when None); ties split the gradient equally."""
        if self.data.size == 0:
            raise ValueError("amin: the tensor is empty")
        return self._reduce(ops.Min, dim, keepdim, axis, keepdims, "amin")

    def max(
        self,
        dim: Any = None,
        keepdim: bool | None = None,
        *,
        axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None,
    ) -> Any:
        """As PyTorch: ``max()`` the single largest value (ties split the gradient);
        ``max(dim)`` a ``(values, indices)`` named tuple (the gradient goes to the index);
        ``max(other)`` the elementwise maximum. NumPy's ``max(axis=...)`` gives values only.
        """
        return self._max_min("max", ops.Max, np.argmax, dim, keepdim, axis, keepdims)

    def min(
        self,
        dim: Any = None,
        keepdim: bool | None = None,
        *,
        axis: int | tuple[int, ...] | None = None,
        keepdims: bool | None = None,
    ) -> Any:
        """As ``max``: ``min()``, ``min(dim)`` -> ``(values, indices)``, ``min(other)``."""
        return self._max_min("min", ops.Min, np.argmin, dim, keepdim, axis, keepdims)

    def _max_min(
        self,
        name: str,
        op_class: type[Op],
        arg: Any,
        dim: Any,
        keepdim: Any,
        axis: Any,
        keepdims: Any,
    ) -> Any:
        if isinstance(dim, (Tensor, np.ndarray)):  # x.max(y): elementwise, as torch.maximum
            if keepdim is not None or axis is not None or keepdims is not None:
                raise TypeError(f"{name}(other): takes no dim or keepdim")
            return self.maximum(dim) if name == "max" else self.minimum(dim)
        if self.data.size == 0:
            raise ValueError(f"{name}: the tensor is empty")
        if dim is None:  # everything, or NumPy's axis=: values only
            return self._reduce(op_class, None, keepdim, axis, keepdims)
        if axis is not None:
            raise TypeError(f"{name}: give dim= or axis= (the same thing), not both")
        if not isinstance(dim, (int, np.integer)):
            raise TypeError(
                f"{name}(dim) takes one int dim and returns (values, indices), got {dim!r}; "
                f"for the {name}imum over several dims write a{name}(dim={dim!r})"
            )
        keep = _keep_arg(name, keepdim, keepdims)
        d = normalize_axes(name, int(dim), self.data.ndim)[0]
        if self.data.ndim == 0:
            return ValuesIndices(self, _new(np.zeros((), np.int64), False, None))
        # (..., 1, ...): first one on ties; computed by _made, so a compiled step sees it
        index = _made(_arg_reduced, self, reduce=arg, axis=d, keepdims=True).data
        values = apply(ops.Gather, self, index=index, axis=d)
        if not keep:
            values = values.squeeze(d)
            index = np.squeeze(index, d)
        return ValuesIndices(values, _new(index.astype(np.int64, copy=False), False, None))

    # --------------------------------------------------------------------------- shape

    def size(self, dim: int | None = None) -> Any:
        """The shape (a tuple), or one dim's length, as PyTorch (not NumPy's element count)."""
        if dim is None:
            return self.data.shape
        return self.data.shape[normalize_axes("size", dim, self.data.ndim)[0]]

    def numel(self) -> int:
        """Number of elements."""
        return int(self.data.size)

    def dim(self) -> int:
        """The number of dimensions (ndim)."""
        return self.data.ndim

    def reshape(self, *shape: Any) -> Tensor:
        return apply(ops.Reshape, self, shape=_shape(shape, "reshape"))

    def view(self, *shape: Any) -> Tensor:
        """Same as ``reshape`` (NumPy decides whether the result shares memory)."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
            raise TypeError(
                f"view: expected a shape, got {shape[0]!r}; to change the dtype write "
                ".to(dtype) (a reinterpreting view(dtype) is not supported)"
            )
        return self.reshape(*shape)

    def transpose(self, *dims: Any, dim0: int | None = None, dim1: int | None = None) -> Tensor:
        """``transpose(dim0, dim1)`` swaps two dims, as PyTorch (also on a 2-D tensor).

        ``transpose()`` reverses all axes and ``transpose(axes)`` / ``transpose(*axes)``
        with a permutation of all of three or more axes permute them, as NumPy.
        """
        ndim = self.data.ndim
        if dim0 is not None or dim1 is not None:
            if dim0 is None or dim1 is None or dims:
                raise TypeError("transpose: give both dim0 and dim1")
            dims = (dim0, dim1)
        if not dims:
            return apply(ops.Transpose, self, axes=None)
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            return self.permute(*dims[0])
        if len(dims) == 2:
            a, b = (normalize_axes("transpose", d, ndim)[0] if ndim else 0 for d in dims)
            perm = list(range(ndim))
            if ndim:
                perm[a], perm[b] = perm[b], perm[a]
            return apply(ops.Transpose, self, axes=tuple(perm))
        if len(dims) == ndim:
            return self.permute(*dims)
        raise ValueError(
            f"transpose: got {len(dims)} dims {dims} for a tensor with {ndim} dimensions; give "
            f"two dims to swap (PyTorch) or a permutation of all {ndim} (NumPy)"
        )

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the dims: output dim i is input dim ``dims[i]``."""
        perm = _shape(dims, "permute")
        ndim = self.data.ndim
        if len(perm) != ndim or sorted(p % max(ndim, 1) for p in perm) != list(range(ndim)):
            raise ValueError(
                f"permute: dims {perm} are not a permutation of the {ndim} dims of {self.shape}"
            )
        return apply(ops.Transpose, self, axes=tuple(p % max(ndim, 1) for p in perm))

    @property
    def T(self) -> Tensor:
        return apply(ops.Transpose, self, axes=None)

    @property
    def mT(self) -> Tensor:  # noqa: N802 (PyTorch's name)
        """The last two dims swapped (a batch of matrices transposed), as PyTorch's ``mT``."""
        if self.data.ndim < 2:
            raise ValueError(f"mT: needs a tensor with at least 2 dims, got shape {self.shape}")
        return self.transpose(-2, -1)

    def t(self) -> Tensor:
        """Transpose of a tensor with at most 2 dims, as PyTorch."""
        if self.data.ndim > 2:
            raise ValueError(
                f"t: expects a tensor with <= 2 dims, got shape {self.shape}; use "
                "transpose(dim0, dim1) or permute"
            )
        return apply(ops.Transpose, self, axes=None)

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a dim of size 1 at ``dim`` (-ndim-1 <= dim <= ndim)."""
        ndim = self.data.ndim
        if not -ndim - 1 <= dim <= ndim:
            raise ValueError(
                f"unsqueeze: dim {dim} is out of range for a tensor with {ndim} dimension(s); "
                f"expected {-ndim - 1} <= dim <= {ndim}"
            )
        d = dim % (ndim + 1)
        shape = self.data.shape
        return self.reshape(*shape[:d], 1, *shape[d:])

    def squeeze(self, dim: int | tuple[int, ...] | None = None) -> Tensor:
        """Remove dims of size 1 (all, or those of ``dim`` that have size 1, as PyTorch)."""
        shape = self.data.shape
        dims = normalize_axes("squeeze", dim, len(shape)) if shape else ()
        keep = [n for i, n in enumerate(shape) if not (i in dims and n == 1)]
        return self.reshape(*keep) if len(keep) != len(shape) else self.reshape(*shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Dims start_dim..end_dim merged into one."""
        if self.data.ndim == 0:
            return self.reshape(1)
        start, end = (normalize_axes("flatten", a, self.data.ndim)[0] for a in (start_dim, end_dim))
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape
        return self.reshape(*shape[:start], -1, *shape[end + 1 :])

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to ``sizes`` (-1 keeps a dim); new dims go in front, as PyTorch."""
        target = _shape(sizes, "expand")
        shape = self.data.shape
        lead = len(target) - len(shape)
        if lead < 0:
            raise ValueError(f"expand: {target} has fewer dims than the tensor's shape {shape}")
        out = []
        for i, n in enumerate(target):
            if n == -1:
                if i < lead:
                    raise ValueError(f"expand: -1 is not allowed for a new leading dim in {target}")
                n = shape[i - lead]
            out.append(n)
        return apply(ops.Expand, self, shape=tuple(out))

    def expand_as(self, other: Tensor) -> Tensor:
        """self broadcast to the shape of other."""
        return self.expand(*other.shape)

    def gather(self, dim: int, index: Any) -> Tensor:
        """out[i][j] = self[index[i][j]][j] for dim 0 (and so on), as torch.gather."""
        idx = np.asarray(_data(index))
        if idx.dtype.kind not in "iu":
            raise TypeError(f"gather: index must hold integers, got dtype {idx.dtype}")
        d = normalize_axes("gather", dim, self.data.ndim)[0]
        return apply(ops.Gather, self, index=idx, axis=d)

    def __getitem__(self, index: Any) -> Tensor:
        return apply(ops.GetItem, self, index=_index(index))

    # --------------------------------------------------------------------- probability

    def softmax(self, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        d = _dim_arg("softmax", dim, axis)
        d = -1 if d is None else d
        return apply(ops.Softmax, self, axis=normalize_axes("softmax", d, self.ndim)[0])

    def log_softmax(self, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        d = _dim_arg("log_softmax", dim, axis)
        d = -1 if d is None else d
        return apply(ops.LogSoftmax, self, axis=normalize_axes("log_softmax", d, self.ndim)[0])

    # ------------------------------------------------------------------------ in place

    def _check_inplace(self, what: str) -> None:
        """PyTorch's rule: a tensor that requires grad changes in place only inside no_grad()."""
        if self._requires_grad and _local.state.grad_enabled:
            if self._op is None:
                raise RuntimeError(
                    f"{what}: a leaf Variable that requires grad is being used in an in-place "
                    "operation; update parameters inside `with tinygrad_nn.no_grad():` (or "
                    "on .data)"
                )
            raise RuntimeError(
                f"{what}: in-place change of a tensor that is part of a graph (it was made by "
                f"'{self._op.name}'); tinygrad_nn does not record in-place ops in the graph, so "
                "write the out-of-place form, e.g. x = x + y instead of x += y"
            )
        mark_modified(self)

    @traced
    def _inplace(self, ufunc: np.ufunc, symbol: str, other: Any, what: str | None = None) -> Tensor:
        what = what or f"{symbol}="
        self._check_writable(what, f"x = x {symbol} y", other)
        value = other.data if isinstance(other, Tensor) else other
        try:
            ufunc(self.data, value, out=self.data)
        except TypeError:  # NumPy's casting error: e.g. an int64 tensor *= 0.5
            raise TypeError(
                f"{what}: the result has dtype {np.result_type(self.data, value)}, which "
                f"cannot be stored in this {self.data.dtype} tensor in place; write "
                f"x = x {symbol} y"
            ) from None
        except ValueError:
            raise ValueError(
                f"{what}: cannot broadcast shape {np.shape(value)} into this tensor's shape "
                f"{self.data.shape} in place"
            ) from None
        return self

    def _check_writable(self, what: str, instead: str, other: Any = None) -> None:
        """The in-place rules, a writable array, and a right-hand side that needs no graph."""
        self._check_inplace(what)
        if not self.data.flags.writeable:
            raise ValueError(
                f"{what}: this tensor's data is read-only (e.g. made by expand, whose "
                f"elements share memory); write {instead}"
            )
        if isinstance(other, Tensor) and other._requires_grad and _local.state.grad_enabled:
            raise RuntimeError(
                f"{what}: the right-hand side requires grad but this tensor does not, so "
                f"the result would need a graph; write {instead} (out of place)"
            )

    @traced
    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value`` in place (PyTorch's in-place rules; value broadcasts)."""
        self._check_writable("x[index] = value", "x = x.masked_fill(mask, v) or torch.where", value)
        v = _data(value)
        try:
            self.data[_index(index)] = v
        except ValueError as e:
            raise ValueError(
                f"x[index] = value: cannot put a value of shape {np.shape(v)} into the "
                f"selected elements of this tensor of shape {self.data.shape} ({e})"
            ) from None

    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        """self += alpha * other in place (PyTorch's in-place rules)."""
        return self._inplace(np.add, "+", _scaled(other, alpha), "add_")

    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        """self -= alpha * other in place (PyTorch's in-place rules)."""
        return self._inplace(np.subtract, "-", _scaled(other, alpha), "sub_")

    def mul_(self, other: Any) -> Tensor:
        """``self *= other`` in place (PyTorch's in-place rules)."""
        return self._inplace(np.multiply, "*", other, "mul_")

    def div_(self, other: Any) -> Tensor:
        """self /= other in place (PyTorch's in-place rules)."""
        return self._inplace(np.true_divide, "/", other, "div_")

    def pow_(self, exponent: Any) -> Tensor:
        """self = self ** exponent in place (PyTorch's in-place rules)."""
        if isinstance(exponent, Tensor) or np.ndim(exponent) == 0:
            return self._inplace(np.power, "**", exponent, "pow_")
        raise TypeError(f"pow_: the exponent must be a number or a tensor, got {exponent!r}")

    @traced
    def neg_(self) -> Tensor:
        """self = -self in place (PyTorch's in-place rules)."""
        self._check_writable("neg_", "x = -x")
        if self.data.dtype.kind == "b":
            raise TypeError("neg_: negation of a bool tensor is not defined; use ~x")
        np.negative(self.data, out=self.data)
        return self

    def clamp_(
        self,
        min: float | None = None,  # noqa: A002 (PyTorch's names)
        max: float | None = None,  # noqa: A002
    ) -> Tensor:
        """clamp in place: min(max(self, min), max) (PyTorch's in-place rules)."""
        if min is None and max is None:
            raise ValueError("clamp_: give at least one of min and max")
        for bound in (min, max):
            if bound is not None and not isinstance(bound, (int, float, np.number)):
                raise TypeError(f"clamp_: bounds must be numbers, got {type(bound).__name__}")
        if min is not None:
            self._inplace(np.maximum, "max", min, "clamp_")
        if max is not None:
            self._inplace(np.minimum, "min", max, "clamp_")
        return self

    @traced
    def copy_(self, src: Any) -> Tensor:
        """Copy ``src`` (a tensor or array, broadcast to this shape) in place, as PyTorch.

        The values are cast to this tensor's dtype, as PyTorch's ``copy_``.
        """
        self._check_writable("copy_", "x = src.clone() (or copy under no_grad())", src)
        v = np.asarray(_data(src))
        try:
            np.copyto(self.data, v, casting="unsafe")
        except ValueError:
            raise ValueError(
                f"copy_: cannot broadcast the source's shape {v.shape} to this tensor's shape "
                f"{self.data.shape}"
            ) from None
        return self

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace(np.add, "+", other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace(np.subtract, "-", other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace(np.multiply, "*", other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(np.true_divide, "/", other)

    def zero_(self) -> Tensor:
        """Set every element to 0 in place (PyTorch's in-place rules)."""
        return self.fill_(0)

    @traced
    def fill_(self, value: Any) -> Tensor:
        """Set every element to ``value`` in place (PyTorch's in-place rules)."""
        self._check_inplace("fill_")
        if not self.data.flags.writeable:
            raise ValueError("fill_: this tensor's data is read-only (e.g. made by expand)")
        self.data[...] = _data(value)
        return self

    # ------------------------------------------------------------------------ autograd

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool = False,
        create_graph: bool = False,
        inputs: Any = None,
        *,
        grad: Any = None,
    ) -> None:
        """Accumulate d(self)/d(x) into ``x.grad`` for every tensor x with requires_grad.

        ``gradient`` (PyTorch's name; ``grad=`` is the same) is d(loss)/d(self), ones for a
        one-element tensor when left out.
        """
        if create_graph:
            raise NotImplementedError(
                "backward(create_graph=True): gradients of gradients are not supported; the "
                "backward pass runs on NumPy arrays and records no graph"
            )
        if inputs is not None:
            raise NotImplementedError(
                "backward(inputs=...): not supported; call backward() and read the .grad of "
                "the tensors you need (set requires_grad=False on the others)"
            )
        if grad is not None:
            if gradient is not None:
                raise TypeError("backward: give gradient= or grad= (the same thing), not both")
            gradient = grad
        tracer = _local.state.tracer
        if tracer is not None:  # a compiled step records which gradients go where
            tracer.backward(self, gradient, retain_graph)
            return
        _sweep(self, gradient, retain_graph, _on_step)

    @traced
    def zero_grad(self) -> None:
        """Set .grad to None."""
        self._grad = None

    def draw(self, **kwargs: Any) -> Any:
        """Same as ``tinygrad_nn.draw(self, **kwargs)`` (a graphviz.Digraph)."""
        from tinygrad_nn.viz import draw

        return draw(self, **kwargs)

    # ----------------------------------------------------------------- dtype conversion
    # Last in the class: these methods are named like the builtins int, float, bool and type.

    def type(self, dtype: Any = None) -> Any:
        """Without an argument the type's name (as PyTorch's 'FloatTensor'); else ``to(dtype)``."""
        if dtype is None:
            return "tinygrad_nn." + _TYPE_NAMES.get(str(self.data.dtype), str(self.data.dtype))
        return self.astype(dtype)

    def float(self) -> Tensor:
        """float32, as PyTorch's ``float()`` (whatever the default dtype)."""
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """A float64 copy (self if already float64), recorded as a cast."""
        return self.astype(np.float64)

    def half(self) -> Tensor:
        """A float16 copy (self if already float16), recorded as a cast."""
        return self.astype(np.float16)

    def long(self) -> Tensor:
        """An int64 copy (no gradient flows through integers)."""
        return self.astype(np.int64)

    def int(self) -> Tensor:
        """An int32 copy (no gradient flows through integers)."""
        return self.astype(np.int32)

    def bool(self) -> Tensor:
        """A bool copy (no gradient flows through bools)."""
        return self.astype(np.bool_)


_UNARY_UFUNCS: dict[np.ufunc, str] = {
    np.negative: "__neg__", np.exp: "exp", np.log: "log", np.sqrt: "sqrt",
    np.absolute: "abs", np.tanh: "tanh", np.sin: "sin", np.cos: "cos",
}  # fmt: skip
# ufunc: (method when the Tensor is the left operand, method when it is the right one)
_BINARY_UFUNCS: dict[np.ufunc, tuple[str, str]] = {
    np.add: ("__add__", "__radd__"), np.subtract: ("__sub__", "__rsub__"),
    np.multiply: ("__mul__", "__rmul__"), np.true_divide: ("__truediv__", "__rtruediv__"),
    np.matmul: ("__matmul__", "__rmatmul__"), np.power: ("__pow__", "__rpow__"),
    np.maximum: ("maximum", "maximum"), np.minimum: ("minimum", "minimum"),
    np.equal: ("__eq__", "__eq__"), np.not_equal: ("__ne__", "__ne__"),
    np.less: ("__lt__", "__gt__"), np.less_equal: ("__le__", "__ge__"),
    np.greater: ("__gt__", "__lt__"), np.greater_equal: ("__ge__", "__le__"),
}  # fmt: skip


class ValuesIndices(NamedTuple):
    """What ``max(dim)`` / ``min(dim)`` return, as PyTorch: ``values, indices = x.max(1)``."""

    values: Tensor
    indices: Tensor

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Array:
        raise TypeError(
            "this is the (values, indices) pair that max(dim) / min(dim) return, not an array; "
            "take .values or .indices"
        )


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002 (PyTorch's name)
    """``input`` where ``condition`` (bool) holds, else ``other``; broadcast together.

    Differentiable in ``input`` and ``other``: each gets the gradient where it was chosen.
    """
    cond = np.asarray(_data(condition))
    if cond.dtype != np.bool_:
        raise TypeError(
            f"where: condition must be a bool tensor, got dtype {cond.dtype}; write e.g. "
            "where(x > 0, a, b)"
        )
    try:
        if isinstance(input, Tensor):
            a = input
            b = _lift(a, other)
        elif isinstance(other, Tensor):
            b = other
            a = _lift(b, input)
        else:
            a = Tensor(input)
            b = _lift(a, other)
    except _Promote:  # an integer tensor and a float number: both in the default float dtype
        return where(cond, _as_float(input), _as_float(other))
    return apply(ops.Where, a, b, condition=cond)


def _as_float(x: Any) -> Any:
    return x.astype(_default_dtype) if isinstance(x, Tensor) else x


def _dim_arg(op: str, dim: Any, axis: Any) -> Any:
    """PyTorch's ``dim=`` and NumPy's ``axis=`` are one argument: at most one may be given."""
    if axis is None:
        return dim
    if dim is not None:
        raise TypeError(f"{op}: give dim= or axis= (the same thing), not both")
    return axis


def _keep_arg(op: str, keepdim: bool | None, keepdims: bool | None) -> bool:
    if keepdims is None:
        return bool(keepdim)
    if keepdim is not None:
        raise TypeError(f"{op}: give keepdim= or keepdims= (the same thing), not both")
    return bool(keepdims)


class NeedsFloatError(RuntimeError, TypeError):
    """mean/var/std/norm of an integer tensor: a RuntimeError as in PyTorch, and a TypeError
    (as before), so either ``except`` works."""


def _needs_float(op: str, t: Tensor) -> None:
    raise NeedsFloatError(
        f"{op}: needs a floating tensor, got dtype {t.data.dtype} (as in PyTorch); write "
        f"x.float().{op}()"
    )


def _check_device(device: Any) -> None:
    name = str(device)
    if device is not None and name != "cpu" and not name.startswith("cpu:"):
        raise RuntimeError(
            f"tinygrad_nn runs on NumPy on the CPU; there is no device {name!r}: leave out "
            ".to(device) / .cuda() / device= (or pass 'cpu')"
        )


_TYPE_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
    "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
    "uint8": "ByteTensor", "bool": "BoolTensor",
}  # fmt: skip


def _shape(shape: tuple[Any, ...], fn: str = "shape") -> tuple[int, ...]:
    """Accept both f(2, 3) and f((2, 3)); sizes must be integers (2.5 is refused, not cut to 2)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return tuple(operator.index(n) for n in shape)
    except TypeError:
        sizes = tuple(type(n).__name__ for n in shape)
        raise TypeError(f"{fn}: expected integer sizes, got {shape} (types {sizes})") from None


class TooLargeError(MemoryError, RuntimeError):
    """A tensor too large for this machine's memory: a MemoryError, and a RuntimeError as
    PyTorch raises for it."""


def check_allocatable(fn: str, shape: tuple[int, ...], itemsize: int = 1) -> tuple[int, ...]:
    """``shape`` as is, unless ``itemsize`` bytes per element would not fit in this machine's
    RAM: then an error naming ``fn`` and the size, before NumPy tries to allocate it."""
    count = math.prod(shape)
    try:
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): let NumPy decide
        return shape
    if count * itemsize > ram:
        raise TooLargeError(
            f"{fn}: size {shape} has {count:,} elements, more than this machine's memory "
            f"({ram / 2**30:,.0f} GiB) can hold"
        )
    return shape


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _made(fn: Callable[..., Any], *inputs: Tensor, **params: Any) -> Tensor:
    """A tensor without a graph, ``fn(*arrays, **params)`` of the inputs' data (a comparison,
    an argmax). While a compiled step records, it is an op (``ops.Computed``), so the plan
    recomputes it from each call's tensors instead of freezing the recorded value."""
    if _recording and _local.state.tracer is not None:
        state = _local.state
        previous, state.grad_enabled = state.grad_enabled, False
        try:
            return apply(ops.Computed, *inputs, fn=fn, **params)
        finally:
            state.grad_enabled = previous
    return _new(np.asarray(fn(*[x.data for x in inputs], **params)), False, None)


def _with(a: Array, *, ufunc: np.ufunc, value: Any) -> Array:
    """``ufunc(a, value)``: a comparison of a tensor with a number (for _made)."""
    return ufunc(a, value)  # type: ignore[no-any-return]


def _compare(ufunc: np.ufunc, t: Tensor, other: Any) -> Tensor:
    if isinstance(other, Tensor):
        return _made(ufunc, t, other)
    return _made(_with, t, ufunc=ufunc, value=other)


def _astype(a: Array, *, dtype: np.dtype) -> Array:
    return a.astype(dtype)


def _arg_reduced(a: Array, *, reduce: Callable[..., Any], axis: Any, keepdims: bool) -> Array:
    return np.asarray(reduce(a, axis=axis, keepdims=keepdims), dtype=np.int64)


def _all(a: Array, *, axis: Any, keepdims: bool) -> Array:
    return np.asarray(np.all(a, axis=axis, keepdims=keepdims))


def _any(a: Array, *, axis: Any, keepdims: bool) -> Array:
    return np.asarray(np.any(a, axis=axis, keepdims=keepdims))


def _no_grad_binary(name: str, ufunc: np.ufunc, t: Tensor, other: Any, reflected: bool) -> Tensor:
    """``ufunc(t, other)`` (or ``ufunc(other, t)``), typed as the arithmetic operators type
    their operands, as a tensor without a graph (but see Remainder); bitwise ones need bool
    or integer tensors."""
    try:
        a, b = t, _lift(t, other)
    except _Promote:  # an integer tensor with a float: in the default float dtype
        a = _made(_astype, t, dtype=_default_dtype)
        a._requires_grad = t._requires_grad
        b = _lift(a, other)
    if reflected:
        a, b = b, a
    if ufunc in (np.bitwise_and, np.bitwise_or, np.bitwise_xor):
        for x in (a, b):
            if x.data.dtype.kind not in "biu":
                raise TypeError(
                    f"{name}: needs bool or integer tensors, got dtype {x.data.dtype}; compare "
                    "first (e.g. (x > 0) & (y > 0)) or use logical_and/logical_or"
                )
    if _local.state.grad_enabled and (t._requires_grad or _requires(other)):
        if ufunc in (np.remainder, np.fmod):  # differentiable in a and b, as torch's
            return apply(ops.Remainder, a, b, trunc=ufunc is np.fmod)
        raise RuntimeError(
            f"{name}: has no gradient in tinygrad_nn, and an operand requires grad; compute "
            f"it on .detach() (or inside no_grad()), e.g. x.detach() // y"
        )
    if ufunc in (np.floor_divide, np.remainder, np.fmod) and b.data.dtype.kind in "biu":
        if np.any(b.data == 0):
            raise IntegerDivisionByZero(f"{name}: integer division by zero (a divisor is 0)")
    return _made(ufunc, a, b)


def _requires(x: Any) -> bool:
    return isinstance(x, Tensor) and x._requires_grad


def _scaled(other: Any, alpha: float) -> Any:
    """``alpha * other`` for add_/sub_ (``other`` itself when alpha is 1)."""
    if alpha == 1:
        return other
    if isinstance(other, Tensor) and other._requires_grad and _local.state.grad_enabled:
        return other  # refused by the in-place check, with the right message
    return np.multiply(_data(other), alpha)


def _index(index: Any) -> Any:
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


class _Promote(TypeError):
    """From ``_lift``: the tensor itself must become the default float dtype first."""

    def __init__(self) -> None:
        super().__init__(
            "an integer or bool tensor combined with a float number here: convert the tensor "
            "first with .float()"
        )


def _match_kinds(like: Tensor, x: Tensor, true_div: bool) -> Tensor:
    """Two tensors, one integer (or bool) and one float, or a true division of two integer
    ones, typed as PyTorch types them: the integer operand takes the float one's dtype
    (int64 * float32 is float32; NumPy alone would give float64), and int / int is the default
    float dtype. Raises ``_Promote`` where ``like`` itself is the one to convert."""
    like_float, x_float = like.data.dtype.kind in "fc", x.data.dtype.kind in "fc"
    if like_float and not x_float:
        return x.astype(like.data.dtype)
    if (x_float and not like_float) or (true_div and not like_float):
        raise _Promote
    return x


def _lift(like: Tensor, x: Any, true_div: bool = False) -> Tensor:
    """A Tensor as is; an array keeps its dtype; a number is typed as PyTorch types it.

    With a float tensor the number takes the tensor's dtype (float32 * 2.0 stays float32);
    an int number keeps an integer tensor's dtype (int64 + 1 stays int64; a bool tensor's
    becomes int64). A float number with an integer or bool tensor, or any number in a true
    division of one, raises ``_Promote``: the caller then casts the tensor to the default
    float dtype, so int64 * 0.5 is float32 (NumPy alone would give float64).
    """
    if isinstance(x, Tensor):
        if x.data.dtype is like.data.dtype and not true_div:  # the usual case: nothing to do
            return x
        return _match_kinds(like, x, true_div)
    if isinstance(x, np.ndarray):
        return _new(x, False, None)
    kind = like.data.dtype.kind
    if kind == "f":
        dtype = like.data.dtype
    elif kind in "biu" and (true_div or isinstance(x, (float, np.floating))):
        raise _Promote
    elif kind in "iu" and isinstance(x, (int, np.integer)):
        dtype = like.data.dtype
    elif kind == "b" and isinstance(x, (int, np.integer)):
        dtype = np.dtype(np.bool_) if isinstance(x, (bool, np.bool_)) else np.dtype(np.int64)
    else:
        dtype = _default_dtype
    try:
        return _new(np.asarray(x, dtype=dtype), False, None)
    except (TypeError, ValueError):
        if isinstance(x, ValuesIndices):
            raise TypeError(
                "cannot combine a Tensor with the (values, indices) pair that max(dim) / "
                "min(dim) return; take .values (or write amax(dim) / amin(dim))"
            ) from None
        raise TypeError(
            f"cannot combine a Tensor with {type(x).__name__}; expected a Tensor, number or array"
        ) from None
