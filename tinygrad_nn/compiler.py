"""Compiled steps: record a training step once, then replay it as a flat plan.

    step = tinygrad_nn.compile(train_step)      # or @tinygrad_nn.compile above the def
    for X, y in loader:
        loss = step(X, y)

The first call with given input shapes and dtypes runs ``train_step`` eagerly while a
tracer records what it does: every op (its class, inputs and keyword parameters), every
``backward()`` (which op sent which gradient where, in the order the sweep ran), and the
effects the engine knows of (optimiser steps, ``zero_grad``, in-place changes, ``.grad =
None``). The second call records again: if the two recordings differ (data-dependent
control flow, random numbers, values computed outside the engine), the step is refused
with an error that names the first difference. Otherwise the recording becomes a plan,
one line of Python per op calling that op's own ``forward`` and ``backward`` (the same
classes as eager, so every gradient rule stays in ``ops.py``) with gradient routing worked
out in advance, and no Tensor or Op made per call. The second call then checks the plan:
it rewinds the parameters, gradients and optimiser state, replays, and compares every
result bit for bit with the eager call it just made. Later calls with the same shapes and
dtypes replay the plan; other shapes record a plan of their own.

Python code in the step runs only while recording: a ``print`` inside the step prints
twice, at the first two calls. NumPy code on ``.data`` is not seen (the check at the second
call refuses a step whose results then differ from eager). See docs/compile.md.
"""

from __future__ import annotations

import builtins
import functools
import itertools
import math
import re
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_nn import autograd
from tinygrad_nn.autograd import (
    BackwardStep,
    Tensor,
    _accumulate_grads,
    _local,
    _new,
    _sweep,
)
from tinygrad_nn.ops import Array, Op, unbroadcast

MAX_PLANS = 8  # different input shapes/dtypes one compiled step keeps plans for


class CompileError(RuntimeError):
    """A step that cannot be compiled, or a call that a plan cannot replay."""


class _Stale(Exception):
    """A tensor the plan reads changed shape, dtype or requires_grad since it was recorded."""


# ---------------------------------------------------------------------- the recording


@dataclass
class _OpEvent:
    op_class: type[Op]
    inputs: tuple[Tensor, ...]
    kwargs: dict[str, Any]
    out: Tensor
    recorded: Op | None  # the op the engine attached to ``out`` (None: no graph)
    scope: Any = None  # the modules running when it was recorded (nn.Module.__call__)
    saves: frozenset[int] = frozenset()  # which arrays forward saved: -1 output, k input k
    keeps: bool = True  # forward set ``saved`` at all (Add, Transpose, ... do not)


@dataclass
class _BackwardEvent:
    root: Tensor
    gradient: Any
    retain_graph: bool
    steps: list[BackwardStep] = field(default_factory=list)


@dataclass
class _CallEvent:
    method: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    grad_enabled: bool  # the mode it ran in (p -= lr * p.grad runs under no_grad)


Event = _OpEvent | _BackwardEvent | _CallEvent


class _Tracer:
    """What one eager call of the step did, in order (see the module docstring)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.grad_enabled = _local.state.grad_enabled
        self.reads: list[str] = []  # values the step computed and read into Python
        # Tensors the recording refers to stay alive until the plan is built, so no id is
        # reused; after that, the plan keeps only the parameters and constants it reads.
        self.outputs: dict[int, int] = {}  # id(op output tensor) -> event index
        # id(a .grad a backward() of the step made or added to) -> (that event, the leaf)
        self.grads: dict[int, tuple[int, Tensor]] = {}

    def op(self, op_class: type[Op], inputs: tuple[Tensor, ...], kwargs: dict[str, Any],
           out: Tensor) -> None:
        self.outputs[id(out)] = len(self.events)
        saved = getattr(out._op, "saved", None)  # (unset on an op that saves nothing)
        kept = {id(a) for a in (saved if isinstance(saved, tuple) else (saved,))
                if isinstance(a, np.ndarray)}
        saves = frozenset(
            [-1] * (id(out.data) in kept) + [k for k, x in enumerate(inputs) if id(x.data) in kept]
        )
        keeps = out._op is None or hasattr(out._op, "saved")
        self.events.append(_OpEvent(
            op_class, tuple(inputs), dict(kwargs), out, out._op, _local.state.scope, saves, keeps
        ))

    def backward(self, root: Tensor, gradient: Any, retain_graph: bool) -> None:
        event = _BackwardEvent(root, gradient, retain_graph)
        state = _local.state
        state.tracer = None  # the sweep itself is eager code, not part of what is recorded
        state.hooked = state.anomaly
        viz_step = autograd._on_step

        def on_step(step: BackwardStep) -> None:
            event.steps.append(step)
            if viz_step is not None:
                viz_step(step)

        try:
            _sweep(root, gradient, retain_graph, on_step)
        finally:
            state.tracer = self
            state.hooked = True
        self.events.append(event)
        for step in event.steps:
            for v, g in zip(step.op.inputs, step.input_grads):  # noqa: B905
                if g is not None and isinstance(v, Tensor) and v._grad is not None:
                    self.grads[id(v._grad)] = (len(self.events) - 1, v)

    def read(self, t: Tensor, what: str) -> None:
        """A tensor's values go to Python (see reads_value): the step is refused, since a
        plan would freeze that Python value (of an argument, a parameter or a result)."""
        if not self.reads:
            made = self.events[self.outputs[id(t)]] if id(t) in self.outputs else None
            if isinstance(made, _OpEvent):
                by = f"the output of '{made.op_class.name}'"
            else:
                by = "a .grad" if id(t) in self.grads else "a tensor"
            self.reads.append(f"{what}() of {by} (shape {t.data.shape})")

    def call(self, method: Callable[..., Any], args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> Any:
        if getattr(method, "__name__", "") == "step" and (args[1:] or kwargs):
            raise CompileError(
                "compile: optimizer.step(closure) inside a compiled step is not supported; "
                "compute the loss and call backward() in the step, then optimizer.step()"
            )
        # model.parameters() is a generator: the replay needs the tensors, not a spent one
        args = tuple(list(a) if isinstance(a, Iterator) else a for a in args)
        state = _local.state
        state.tracer = None
        state.hooked = state.anomaly
        try:
            result = method(*args, **kwargs)
        finally:
            state.tracer = self
            state.hooked = True
        self.events.append(_CallEvent(method, args, dict(kwargs), state.grad_enabled))
        return result


def _run_traced(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
                ) -> tuple[Any, _Tracer]:
    state = _local.state
    if state.tracer is not None:
        raise CompileError("compile: a compiled step was called while another one records")
    tracer = _Tracer()
    state.tracer, state.hooked = tracer, True
    autograd._recording += 1
    try:
        result = fn(*args, **kwargs)
    finally:
        state.tracer, state.hooked = None, state.anomaly
        autograd._recording -= 1
    if tracer.reads:
        raise CompileError(
            f"compile: {getattr(fn, '__name__', 'the step')} reads a tensor's value into "
            f"Python ({tracer.reads[0]}), so what it does next may depend on the data, which a "
            "replayed plan cannot follow; this call ran eagerly and its results stand. Return "
            "the tensor and read it outside the step (e.g. loss = step(X, y); loss.item())"
        )
    return result, tracer


# ---------------------------------------------------------------------- inputs and guards


def _flatten(obj: Any, leaves: list[Any]) -> Any:
    """The structure of ``obj`` with each non-container replaced by its index in ``leaves``."""
    if isinstance(obj, (tuple, list)):
        return (type(obj), tuple(_flatten(x, leaves) for x in obj))
    if isinstance(obj, dict):
        return (dict, tuple((k, _flatten(v, leaves)) for k, v in obj.items()))
    leaves.append(obj)
    return len(leaves) - 1


def _unflatten(structure: Any, leaves: list[Any]) -> Any:
    if isinstance(structure, int):
        return leaves[structure]
    kind, items = structure
    if kind is dict:
        return {k: _unflatten(v, leaves) for k, v in items}
    values = [_unflatten(x, leaves) for x in items]
    return kind(values) if kind is list else tuple(values) if kind is tuple else kind(*values)


def _guard(leaf: Any) -> Any:
    """What a plan assumes of one argument: a tensor's shape, dtype and requires_grad, an
    array's shape and dtype, a number's or string's value, any other object's identity."""
    if isinstance(leaf, Tensor):
        return ("tensor", leaf.data.shape, leaf.data.dtype.str, leaf._requires_grad)
    if isinstance(leaf, np.ndarray):
        return ("array", leaf.shape, leaf.dtype.str)
    if leaf is None or isinstance(leaf, (bool, int, float, complex, str, bytes)):
        return ("value", type(leaf), leaf)
    return ("object", id(leaf))


def _describe_key(key: Any, leaves: Sequence[Any]) -> str:
    parts = []
    for x in leaves:
        if isinstance(x, Tensor):
            parts.append(f"Tensor{tuple(x.data.shape)} {x.data.dtype}")
        elif isinstance(x, np.ndarray):
            parts.append(f"ndarray{x.shape} {x.dtype}")
        elif x is None or isinstance(x, (bool, int, float, str)):
            parts.append(repr(x))
        else:
            parts.append(type(x).__name__)
    return "(" + ", ".join(parts) + ")"


def _returns_graph(result: Any) -> bool:
    leaves: list[Any] = []
    _flatten(result, leaves)
    return any(isinstance(x, Tensor) and x._op is not None and not x._op.released
               for x in leaves)


# ---------------------------------------------------------------------- comparing recordings


def _same_value(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return _same_value(a.data, b.data)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same_value, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False


class _Sources:
    """Where each tensor of a recording comes from, in terms a replay can follow."""

    def __init__(self, tracer: _Tracer, args: list[Any]) -> None:
        self.tracer = tracer
        self.args = {id(a): k for k, a in enumerate(args) if isinstance(a, Tensor)}
        # a new Tensor around an argument's or an op output's array (a loss wraps its target
        # so, detach() does) is that argument or value
        self.arrays: dict[int, tuple[str, int]] = {
            id(e.out.data): ("val", i) for i, e in enumerate(tracer.events)
            if isinstance(e, _OpEvent)
        }
        self.arrays.update(
            {id(a.data): ("arg", k) for k, a in enumerate(args) if isinstance(a, Tensor)}
        )

    def of(self, t: Any) -> tuple[Any, ...]:
        """("arg", k) | ("val", event) | ("grad", leaf) | ("ext", tensor) | ("const", value)."""
        if isinstance(t, Tensor):
            if id(t) in self.args:
                return ("arg", self.args[id(t)])
            if id(t) in self.tracer.outputs:
                return ("val", self.tracer.outputs[id(t)])
            if id(t) in self.tracer.grads:  # (the leaf's own source: an argument is new each call)
                event, leaf = self.tracer.grads[id(t)]
                return ("grad", (event, leaf), self.of(leaf))
            if id(t.data) in self.arrays and not t._requires_grad:
                return self.arrays[id(t.data)]
            return ("ext", t)
        return ("const", t)


def _same_source(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] in ("arg", "val"):
        return bool(a[1] == b[1])
    if a[0] == "grad":  # the same backward(), and the same leaf
        return bool(a[1][0] == b[1][0]) and _same_source(a[2], b[2])
    return _same_value(a[1], b[1])  # the same parameter, or a constant made anew and equal


def _first_difference(t1: _Tracer, s1: _Sources, t2: _Tracer, s2: _Sources) -> str | None:
    """None if two recordings did the same thing; else a description of where they part."""
    if len(t1.events) != len(t2.events):
        return (f"the first call did {len(t1.events)} operations and calls, the second "
                f"{len(t2.events)}")
    for i, (e1, e2) in enumerate(zip(t1.events, t2.events)):  # noqa: B905
        where = f"operation {i + 1}"
        if type(e1) is not type(e2):
            return (f"{where} is {_event_name(e1)} in the first call, {_event_name(e2)} in the "
                    "second")
        if isinstance(e1, _OpEvent):
            assert isinstance(e2, _OpEvent)
            where = f"{where} ('{e1.op_class.name}')"
            if e1.op_class is not e2.op_class:
                return f"{where} is '{e2.op_class.name}' in the second call"
            for k, (x1, x2) in enumerate(zip(e1.inputs, e2.inputs)):  # noqa: B905
                if not _same_source(s1.of(x1), s2.of(x2)):
                    return f"input {k} of {where} differs ({_describe_source(s2.of(x2))})"
            if e1.kwargs.keys() != e2.kwargs.keys() or not all(
                _same_value(e1.kwargs[k], e2.kwargs[k]) for k in e1.kwargs
            ):
                return f"the parameters of {where} differ"
            if (e1.recorded is None) != (e2.recorded is None):
                return f"{where} records a graph in one call and not in the other"
        elif isinstance(e1, _BackwardEvent):
            assert isinstance(e2, _BackwardEvent)
            if not _same_source(s1.of(e1.root), s2.of(e2.root)):
                return f"backward() starts from a different tensor at {where}"
            if e1.retain_graph != e2.retain_graph:
                return f"retain_graph differs at {where}"
            if not _same_source(s1.of(e1.gradient), s2.of(e2.gradient)):
                return f"backward(gradient=) differs at {where}"
            if _route_signature(e1, t1) != _route_signature(e2, t2):
                return f"the gradients of backward() at {where} flow differently"
        else:
            assert isinstance(e1, _CallEvent) and isinstance(e2, _CallEvent)
            if e1.method is not e2.method or len(e1.args) != len(e2.args):
                return f"{where} calls {_event_name(e2)} in the second call"
            for k, (x1, x2) in enumerate(zip(e1.args, e2.args)):  # noqa: B905
                if not _same_source(s1.of(x1), s2.of(x2)):
                    return f"argument {k} of {_event_name(e1)} at {where} differs"
            if e1.grad_enabled != e2.grad_enabled:
                return f"{_event_name(e1)} at {where} runs with grad mode on in one call only"
            if not _same_value(e1.kwargs, e2.kwargs):
                return f"the keyword arguments of {_event_name(e1)} at {where} differ"
    return None


def _route_signature(event: _BackwardEvent, tracer: _Tracer) -> list[Any]:
    order = {id(e.out._op): i for i, e in enumerate(tracer.events)
             if isinstance(e, _OpEvent) and e.out._op is not None}
    return [
        (order.get(id(s.op)), tuple(g is not None for g in s.input_grads)) for s in event.steps
    ]


def _event_name(e: Event) -> str:
    if isinstance(e, _OpEvent):
        return f"'{e.op_class.name}'"
    if isinstance(e, _BackwardEvent):
        return "backward()"
    return getattr(e.method, "__qualname__", repr(e.method)) + "()"


def _describe_source(src: tuple[Any, ...]) -> str:
    kind = src[0]
    if kind == "arg":
        return f"argument tensor {src[1]}"
    if kind == "val":
        return f"the output of operation {src[1] + 1}"
    if kind == "grad":
        return "a .grad"
    if kind == "ext":
        t = src[1]
        return (f"a tensor of shape {t.data.shape} made inside the step with other values "
                "than at the first call: random numbers, or a value computed with NumPy or "
                "Python; such values are frozen by a plan, so compute them "
                "outside the step and pass them in as arguments")
    return f"the value {src[1]!r}"


# ---------------------------------------------------------------------- the plan


class Plan:
    """A recorded step as straight-line Python: ``source`` is the code it runs.

    Each op of the recording is one line calling that op's ``forward``; each backward step
    one line calling its ``backward``, unpacking the gradients straight into the names of
    the values they flow to (``d5 = d5 + g`` where several meet, in the eager sweep's
    order). The eager sweep checks every gradient's shape and dtype; a plan is first built
    with those checks as probes (``probe``), run once, and rebuilt with only the
    conversions the probe saw were needed: they depend on shapes and dtypes alone.
    """

    def __init__(self, tracer: _Tracer, sources: _Sources, result: Any, n_args: int,
                 persistent: set[int], probe: dict[tuple[int, int, int], int] | None = None
                 ) -> None:
        self.n_ops = sum(isinstance(e, _OpEvent) for e in tracer.events)
        self._recording: tuple[Any, ...] | None = (tracer, sources, result, n_args, persistent)
        self._persistent = persistent  # ids of tensors that were there before the step ran
        self._guarded: dict[int, tuple[Tensor, str, tuple[int, ...], np.dtype, bool]] = {}
        self._modules: dict[int, tuple[str, bool]] = {}  # modules the ops ran in: training?
        self.probing = probe is None
        self.probe: dict[tuple[int, int, int], int] = {} if probe is None else probe
        self.namespace: dict[str, Any] = {
            "_acc": _accumulate_grads, "_unbroadcast": unbroadcast, "_asarray": np.asarray,
            "_new": _new, "_ones": np.ones, "_array": np.array, "_route": self._route,
            "_state": autograd._state,
        }
        self._names: dict[int, str] = {}
        self._emit(tracer, sources, result, n_args)
        code = builtins.compile(self.source, "<tinygrad_nn compiled step>", "exec")
        exec(code, self.namespace)  # noqa: S102 (our own generated code, see self.source)
        self.run: Callable[..., Any] = self.namespace["_step"]

    def rebuilt(self) -> Plan:
        """The plan without probes, once a run has shown which conversions are needed."""
        assert self._recording is not None
        tracer, sources, result, n_args, persistent = self._recording
        plan = Plan(tracer, sources, result, n_args, persistent, probe=self.probe)
        plan._recording = None  # the recording's tensors are no longer needed
        self._recording = None
        return plan

    def _route(self, key: tuple[int, int, int], g: Array, shape: tuple[int, ...],
               dtype: np.dtype) -> Array:
        """The eager sweep's shape and dtype checks, remembering which ones changed ``g``."""
        seen = 0
        if g.shape != shape:
            g, seen = unbroadcast(g, shape), 1
        if g.dtype != dtype:
            g, seen = g.astype(dtype), seen | 2
        self.probe[key] = self.probe.get(key, 0) | seen
        return g

    def _const(self, obj: Any, prefix: str) -> str:
        """A name in the plan's namespace bound to ``obj`` (the same name for the same object)."""
        name = self._names.get(id(obj))
        if name is None:
            name = self._names[id(obj)] = f"{prefix}{len(self._names)}"
            self.namespace[name] = obj
        return name

    def _array_of(self, src: tuple[Any, ...]) -> tuple[str, set[str]]:
        """The expression for an input's array: an op output's local, a constant, or the
        ``.data`` of the tensor ``_tensor_of`` names (read at each call)."""
        kind = src[0]
        if kind == "val":
            return f"v{src[1]}", {f"v{src[1]}"}
        if kind == "const":
            return self._const(src[1], "c"), set()
        if kind == "ext" and id(src[1]) in self._persistent:  # a parameter: may change
            t = src[1]
            name = self._const(t, "e")
            self._guarded.setdefault(id(t), (t, name, t.data.shape, t.data.dtype, t._requires_grad))
            self.namespace.setdefault(f"A_{name}", t.data)
        code, used = self._tensor_of(src)
        return f"{code}.data", used

    def _recheck(self) -> None:
        """The slow half of the guard on parameters: their arrays are not those recorded (an
        assignment to .data): fine if shape, dtype and requires_grad are as recorded."""
        for t, name, shape, dtype, requires_grad in self._guarded.values():
            if (t.data.shape, t.data.dtype, t._requires_grad) != (shape, dtype, requires_grad):
                raise _Stale(name)
            self.namespace[f"A_{name}"] = t.data

    def _vertex(self, src: tuple[Any, ...], x: Any) -> Any:
        """The plan's graph vertex for an input: an op of the plan, or a leaf tensor. Arguments
        and .grad inputs change every call: they are drawn as stand-ins (no data kept)."""
        kind = src[0]
        if kind == "val":
            return self.ops[src[1]]
        if kind == "ext":
            return src[1]
        key = (kind, src[1] if kind == "arg" else id(src[1][1]))
        stand_in = self._stand_ins.get(key)
        if stand_in is None:
            data = x.data if isinstance(x, Tensor) else np.asarray(x)
            stand_in = _new(np.broadcast_to(np.zeros((), data.dtype), data.shape), False, None)
            if kind == "arg":
                stand_in.name = f"argument {src[1]}"
            else:
                leaf = src[1][1]
                stand_in.name = f"{leaf.name or 'parameter'}.grad"
            self._stand_ins[key] = stand_in
        return stand_in

    def draw(self, **kwargs: Any) -> Any:
        """The plan's graph, drawn as ``tinygrad_nn.draw`` draws an eager one (the same ops and
        edges), each op labelled with the plan lines that run it; arguments are stand-ins
        (a plan keeps no batch). Keyword arguments are ``tinygrad_nn.draw``'s."""
        from tinygrad_nn.viz.drawing import Decorations, build

        lines: dict[int, list[tuple[str, str]]] = {}
        source = self.source.splitlines()
        for i, op in self.ops.items():
            name, v = self.op_names[i], f"v{i}"
            where = [f"{what} line {n + 1}" for what, code in (("forward", ".forward("),
                                                             ("backward", ".backward("))
                     for n, line in enumerate(source) if f"{name}{code}" in line]
            local = next((line.split("=")[0].strip() for line in source
                          if f"{name}.forward(" in line), "")
            if local:
                where.insert(0, f"{local} =")
            keepers = [self.op_names[j] for j, (saves, _) in self._saves.items()
                       if (j == i and -1 in saves) or any(
                           k in saves and x is op for k, x in enumerate(self.ops[j].inputs))]
            kept = [n + 1 for n, line in enumerate(source) for name in keepers
                    if line.strip() == f"{name}.saved = None"]
            if kept:
                where.append(f"output kept for backward until line {max(kept)}")
            elif v in self._freed:
                n = self._head + self._freed[v]
                returned = source[n].strip().startswith("return")
                where.append("output returned" if returned else f"output freed after line {n + 1}")
            lines[id(op)] = [("plan: " + ", ".join(where), "#555555")]
        deco = Decorations(
            node_lines=lines,
            title=(f"compiled plan: {self.n_ops} ops in {len(source)} lines of Python "
                   "(plan.source); each value lives in a reused local (t0, t1, ...) and is "
                   "freed after its last use, as eager frees it"),
        )
        return build(self.root(), deco=deco, **kwargs)

    def root(self) -> Tensor:
        """A stand-in tensor for the plan's last op whose output is used (the loss, usually)."""
        if not self.ops:
            raise CompileError("compile: this plan runs no tensor operation: nothing to draw")
        op = self.ops[self._root]
        return _new(np.broadcast_to(np.zeros((), op.dtype), op.shape), True, op)

    def _leaf_tensor(self, leaf: Tensor) -> str:
        src = self._sources.of(leaf)
        return f"a{src[1]}" if src[0] == "arg" else self._const(leaf, "e")

    def _grad_name(self, event: int, leaf: Tensor) -> str:
        """The local that holds the .grad of ``leaf`` as backward() event ``event`` left it."""
        return f"b{event}_G_{self._leaf_tensor(leaf)}"

    def _tensor_of(self, src: tuple[Any, ...]) -> tuple[str, set[str]]:
        kind = src[0]
        if kind == "arg":
            return f"a{src[1]}", set()
        if kind == "val":
            return f"_new(v{src[1]}, False, None)", {f"v{src[1]}"}
        if kind == "grad":
            name = self._grad_name(*src[1])
            return name, {name}
        if kind == "ext":
            return self._const(src[1], "e"), set()
        return self._const(src[1], "c"), set()

    def _result_of(self, structure: Any, leaves: list[Any], sources: _Sources
                   ) -> tuple[str, set[str]]:
        """The expression that rebuilds the step's return value."""
        if isinstance(structure, int):
            return self._tensor_of(sources.of(leaves[structure]))
        kind, items = structure
        used: set[str] = set()
        parts = []
        for item in items:
            if kind is dict:
                code, names = self._result_of(item[1], leaves, sources)
                parts.append(f"{self._const(item[0], 'c')}: {code}")
            else:
                code, names = self._result_of(item, leaves, sources)
                parts.append(code)
            used |= names
        if kind is dict:
            return "{" + ", ".join(parts) + "}", used
        if kind is list:
            return "[" + ", ".join(parts) + "]", used
        if kind is tuple:
            return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")", used
        return f"{self._const(kind, 'c')}({', '.join(parts)})", used

    def _emit(self, tracer: _Tracer, sources: _Sources, result: Any, n_args: int) -> None:
        events = tracer.events
        grad_mode = tracer.grad_enabled  # as the step began; effects may run in another
        self._sources = sources
        result_leaves: list[Any] = []
        structure = _flatten(result, result_leaves)
        needed = _needed_ops(tracer, sources, result_leaves)
        self._root = max(needed) if needed else -1  # a backward() root, once there is one
        lines: list[tuple[str, set[str], set[str]]] = []  # (code, names defined, names used)
        self.op_names: dict[int, str] = {}  # event index -> the plan's op instance's name
        self.ops: dict[int, Op] = {}  # event index -> the plan's op (its graph: see draw)
        # per op: which arrays its forward kept (-1 its output, k input k), and whether it
        # keeps anything at all (not the recording's event: that would keep its tensors)
        self._saves: dict[int, tuple[frozenset[int], bool]] = {}
        self._stand_ins: dict[Any, Tensor] = {}
        self.by_recorded: dict[int, int] = {}  # id(recorded op) -> event index
        for i, e in enumerate(events):
            if isinstance(e, _OpEvent):
                if i not in needed:
                    continue
                op = _plan_op(e, i)
                self._saves[i] = (e.saves, e.keeps)
                for module in op.scope or ():  # train() / eval() may change what it does
                    if isinstance(getattr(module, "training", None), bool):
                        self._modules.setdefault(
                            id(module), (self._const(module, "M"), module.training)
                        )
                op.inputs = tuple(self._vertex(sources.of(x), x) for x in e.inputs)
                self.ops[i] = op
                name = self.op_names[i] = self._const(op, "o")
                if e.recorded is not None:
                    self.by_recorded[id(e.recorded)] = i
                used: set[str] = set()
                parts = []
                for x in e.inputs:
                    code, names = self._array_of(sources.of(x))
                    parts.append(code)
                    used |= names
                for k, v in e.kwargs.items():
                    parts.append(f"{k}={self._const(v, 'k')}")
                call = f"{name}.forward({', '.join(parts)})"
                if e.out.data.ndim == 0:  # a reduction may return a NumPy scalar: apply wraps it
                    call = f"_asarray({call})"
                note = f"  # {e.op_class.name} -> {tuple(e.out.data.shape)} {e.out.data.dtype}"
                lines.append((f"v{i} = {call}{note}", {f"v{i}"}, used))
                if e.keeps and not _has_backward(i, events, e):
                    lines.append((f"{name}.saved = None", set(), set()))
            elif isinstance(e, _BackwardEvent):
                lines.extend(self._emit_backward(i, e, sources))
            else:
                used = set()
                parts = []
                for x in e.args:
                    code, names = self._tensor_of(sources.of(x))
                    parts.append(code)
                    used |= names
                for k, v in e.kwargs.items():
                    code, names = self._tensor_of(sources.of(v))
                    parts.append(f"{k}={code}")
                    used |= names
                method = self._const(e.method, "m")
                if e.grad_enabled != grad_mode:
                    grad_mode = e.grad_enabled
                    lines.append((f"_mode.grad_enabled = {grad_mode}", set(), set()))
                lines.append((f"{method}({', '.join(parts)})", set(), used))
        if grad_mode != tracer.grad_enabled:
            lines.append((f"_mode.grad_enabled = {tracer.grad_enabled}", set(), set()))
        code, used = self._result_of(structure, result_leaves, sources)
        lines.append((f"return {code}", set(), used))
        read = set().union(*(u for _, _, u in lines))
        lines = [x for x in lines if not (x[0].startswith("b") and "_G_" in x[0].split("=")[0]
                                          and not x[1] & read)]  # .grad locals never read
        code_lines, self._freed = _assign_names(lines)
        body = ["    " + line for line in code_lines]
        head = [f"def _step({', '.join(f'a{k}' for k in range(n_args))}):"]
        if self._modules:  # train() / eval() since recording: record again
            modes = [f"{name}.training is not {training}"
                     for name, training in self._modules.values()]
            head.append("    if (" + "\n            or ".join(modes) + "):")
            head.append("        raise _Stale('a module changed between train() and eval()')")
            self.namespace["_Stale"] = _Stale
        if self._guarded:  # the parameters are the arrays (and requires_grad) recorded
            checks = [f"{name}.data is not A_{name} or {name}._requires_grad is not {rg}"
                      for _, name, _, _, rg in self._guarded.values()]
            head.append("    if (" + "\n            or ".join(checks) + "):")
            head.append("        _recheck()  # the parameters were replaced: same shapes?")
            self.namespace["_recheck"] = self._recheck
        if any("_mode.grad_enabled" in line for line in body):  # put the mode back on errors
            head.append(f"    _mode = _state(); _mode.grad_enabled = {tracer.grad_enabled}")
            head.append("    try:")
            body = ["    " + line for line in body]
            body += ["    finally:", f"        _mode.grad_enabled = {tracer.grad_enabled}"]
        self._head = len(head)
        self.source = "\n".join([*head, *body]) + "\n"
        del self._sources  # the recording's tensors: a plan keeps only what it reads
        self._names.clear()  # (only needed while the source is written)

    def _emit_backward(self, index: int, e: _BackwardEvent, sources: _Sources
                       ) -> list[tuple[str, set[str], set[str]]]:
        lines: list[tuple[str, set[str], set[str]]] = []
        if sources.of(e.root)[0] != "val" or e.root._op is None:
            raise CompileError(
                "compile: backward() of a leaf tensor inside a compiled step is not supported"
            )
        shape = self._const(e.root.data.shape, "S")
        dtype = self._const(e.root.data.dtype, "D")
        used: set[str] = set()
        if e.gradient is None:  # as _seed_gradient: ones for a one-element loss
            seed = f"_ones({shape}, {dtype})"
        else:  # a copy in the root's dtype
            code, used = self._array_of(sources.of(e.gradient))
            seed = f"_array({code}, dtype={dtype})"
        b = f"b{index}_"  # the gradients of this backward: b3_5 is d(root)/d(value 5)
        root = self.by_recorded[id(e.root._op)]
        self._root = root
        lines.append((f"{b}{root} = {seed}", {f"{b}{root}"}, used))
        leaf_names: dict[int, str] = {}  # id(leaf) -> the name its gradient sums in
        leaves: list[Tensor] = []
        arrived: set[str] = {f"{b}{root}"}
        for s in e.steps:
            i = self.by_recorded[id(s.op)]
            if s.op.retain:
                raise CompileError(
                    "compile: retain_grad() on an intermediate tensor inside a compiled step is "
                    "not supported; return the tensor from the step instead"
                )
            targets: list[str] = []
            routing: list[tuple[str, set[str], set[str]]] = []
            for k, (v, g) in enumerate(zip(s.op.inputs, s.input_grads)):  # noqa: B905
                if g is None:
                    targets.append("_")
                    continue
                if isinstance(v, Op):
                    target = f"{b}{self.by_recorded[id(v)]}"
                else:
                    target = leaf_names.get(id(v), "")
                    if not target:
                        target = leaf_names[id(v)] = f"{b}leaf{len(leaves)}"
                        leaves.append(v)
                key = (index, i, k)
                conversion = ""
                if not s.op.elementwise:  # the eager sweep checks shape and dtype
                    meta = v if isinstance(v, Op) else v.data
                    shape_k = self._const(tuple(meta.shape), "S")
                    dtype_k = self._const(np.dtype(meta.dtype), "D")
                    if self.probing:
                        conversion = f"_route({key}, {{g}}, {shape_k}, {dtype_k})"
                    elif self.probe.get(key, 0) & 1:
                        conversion = f"_unbroadcast({{g}}, {shape_k})"
                        if self.probe[key] & 2:
                            conversion = f"{conversion}.astype({dtype_k})"
                    elif self.probe.get(key, 0) & 2:
                        conversion = f"{{g}}.astype({dtype_k})"
                first = target not in arrived
                arrived.add(target)
                if first and not conversion:  # the gradient lands in its name directly
                    targets.append(target)
                    continue
                temp = f"{b}g{i}_{k}"
                targets.append(temp)
                expr = conversion.format(g=temp) if conversion else temp
                if first:
                    routing.append((f"{target} = {expr}", {target}, {temp}))
                else:
                    routing.append((f"{target} = {target} + {expr}", {target}, {target, temp}))
            name = self.op_names[i]
            unpack = ", ".join(targets) + ("," if len(targets) == 1 else "")
            defined = {t for t in targets if t != "_"}
            lines.append((f"{unpack} = {name}.backward({b}{i})", defined, {f"{b}{i}"}))
            if not e.retain_graph and self._saves[i][1]:  # free what backward used
                lines.append((f"{name}.saved = None", set(), set()))
            lines.extend(routing)
        items = [f"{self._leaf_tensor(leaf)}: {leaf_names[id(leaf)]}" for leaf in leaves]
        used = {leaf_names[id(leaf)] for leaf in leaves}
        lines.append((f"_acc({{{', '.join(items)}}})", set(), used))
        for leaf in leaves:  # the .grad tensors, for what the step does with them next
            name = self._grad_name(index, leaf)
            lines.append((f"{name} = {self._leaf_tensor(leaf)}._grad", {name}, set()))
        return lines


def _dead() -> None:
    return None


def _plan_op(e: _OpEvent, index: int) -> Op:
    """A fresh op of the recorded class for the plan, with the recorded op's settings."""
    op = e.op_class()
    if e.recorded is not None:
        for slot in ("needs_grad", "kwargs", "scope", "label"):
            if hasattr(e.recorded, slot):
                setattr(op, slot, getattr(e.recorded, slot))
    else:
        op.needs_grad = (False,) * len(e.inputs)
        op.kwargs = e.kwargs
        op.scope = e.scope
        op.label = None
    op.shape, op.dtype = e.out.data.shape, e.out.data.dtype
    op.seq = index  # creation order within the step: a topological order, as in eager
    op.saved = None
    op.released = False
    op.retain = False
    op.out = _dead  # a plan keeps no output tensor (drawings show shapes, not values)
    return op


def _has_backward(i: int, events: list[Event], e: _OpEvent) -> bool:
    if e.recorded is None:
        return False
    return any(
        isinstance(b, _BackwardEvent) and any(s.op is e.recorded for s in b.steps)
        for b in events[i + 1:]
    )


def _needed_ops(tracer: _Tracer, sources: _Sources, result_leaves: list[Any]) -> set[int]:
    """Ops whose outputs something uses: a returned value, a backward, an effect; and theirs."""
    events = tracer.events
    needed: set[int] = set()
    stack: list[int] = []

    def use(x: Any) -> None:
        src = sources.of(x)
        if src[0] == "val":
            stack.append(src[1])

    for leaf in result_leaves:
        use(leaf)
    for e in events:
        if isinstance(e, _BackwardEvent):
            use(e.root)
            use(e.gradient)
            recorded = {id(s.op) for s in e.steps}
            stack.extend(i for i, x in enumerate(events)
                         if isinstance(x, _OpEvent) and id(x.recorded) in recorded)
        elif isinstance(e, _CallEvent):
            for x in itertools.chain(e.args, e.kwargs.values()):
                use(x)
    while stack:
        i = stack.pop()
        if i in needed:
            continue
        needed.add(i)
        e = events[i]
        assert isinstance(e, _OpEvent)
        for x in e.inputs:
            use(x)
        for name, v in e.kwargs.items():
            if isinstance(v, np.ndarray) and id(v) in sources.arrays:  # it changes every call
                raise CompileError(
                    f"compile: the {name}= of '{e.op_class.name}' is an array of this call "
                    f"(shape {v.shape}: an argument's data, or computed in the step, as "
                    "max(dim) computes its indices), but a plan would replay the recorded one; "
                    "this call ran eagerly and its results stand. Call the step uncompiled, or "
                    "compute this part outside it"
                )
    return needed


_NAME = re.compile(r"\b[A-Za-z_]\w*\b")  # a Python name (values are v12, b13_4, ...)


def _assign_names(lines: list[tuple[str, set[str], set[str]]]) -> tuple[list[str], dict[str, int]]:
    """The code with each value's name replaced by a reused local (t0, t1, ...), as registers
    are allocated: a value's local is taken over by a value made on the line that last uses
    it, or deleted (``del t3``) when none is, so every array is freed where eager frees it.
    Also returns, per value, the index of the output line after which it is freed."""
    last: dict[str, int] = {}
    for n, (_, defined, used) in enumerate(lines):
        for name in used | defined:
            last[name] = n
    local: dict[str, str] = {}
    free: list[str] = []
    made = itertools.count()
    out: list[str] = []
    freed: dict[str, int] = {}
    for n, (code, defined, used) in enumerate(lines):
        dying = sorted(u for u in used - defined if last[u] == n)
        released = [local[u] for u in dying]
        for name in sorted(defined - set(local)):
            if released:
                local[name] = released.pop()
            elif free:
                local[name] = free.pop()
            else:
                local[name] = f"t{next(made)}"
        if local and (used or defined):
            code = _NAME.sub(lambda m: local.get(m.group(0), m.group(0)), code)
        out.append(code)
        gone = released + [local[d] for d in sorted(defined) if last[d] == n]
        if gone and not code.startswith("return"):
            out.append("del " + ", ".join(gone))
        for u in dying + [d for d in defined if last[d] == n]:
            freed[u] = len(out) - 1
            free.append(local.pop(u))
        free = sorted(set(free) - set(local.values()))
    return out, freed


# ---------------------------------------------------------------------- state snapshots


def _changeable(tracer: _Tracer, args: list[Tensor]) -> tuple[list[Tensor], list[Any]]:
    """The tensors and optimisers a recorded step may change."""
    tensors: dict[int, Tensor] = {id(a): a for a in args}
    optimizers: dict[int, Any] = {}
    for e in tracer.events:
        items: list[Any] = []
        if isinstance(e, _OpEvent):
            items = list(e.inputs)
        elif isinstance(e, _CallEvent):
            items = list(e.args) + list(e.kwargs.values())
            owner = e.args[0] if e.args else None
            if owner is not None and hasattr(owner, "param_groups"):  # an optimiser
                optimizers[id(owner)] = owner
                items += owner.params
            elif owner is not None and callable(getattr(owner, "parameters", None)):  # a module
                items += list(owner.parameters())
        elif isinstance(e, _BackwardEvent):
            for s in e.steps:
                items += [v for v in s.op.inputs if isinstance(v, Tensor)]
        for x in items:
            if isinstance(x, Tensor) and id(x) not in tracer.outputs:
                tensors[id(x)] = x
    return list(tensors.values()), list(optimizers.values())


class _Snapshot:
    """Copies of what a step may change: the tensors' data and .grad, optimiser state."""

    def __init__(self, tensors: list[Tensor], optimizers: list[Any]) -> None:
        self.tensors, self.optimizers = tensors, optimizers
        self.data = [t.data.copy() for t in tensors]
        self.grads = [(t._grad, None if t._grad is None else t._grad.data.copy())
                      for t in tensors]
        self.states = [_copy_state(o.state) for o in optimizers]

    def again(self) -> _Snapshot:
        """A new snapshot of the same tensors and optimisers, as they are now."""
        return _Snapshot(self.tensors, self.optimizers)

    def restore(self) -> None:
        for t, d in zip(self.tensors, self.data):  # noqa: B905
            if t.data.shape == d.shape and t.data.dtype == d.dtype and t.data.flags.writeable:
                t.data[...] = d
            else:
                t.data = d.copy()
        for t, (g, gd) in zip(self.tensors, self.grads):  # noqa: B905
            if g is not None and gd is not None:
                g.data = gd.copy()
            t._grad = g
        for o, s in zip(self.optimizers, self.states):  # noqa: B905
            for p in [p for p in o.state if p not in s]:
                del o.state[p]
            for p, entry in _copy_state(s).items():  # the same dicts: a plan may hold them
                live = o.state.setdefault(p, {})
                live.clear()
                live.update(entry)

    def differences(self, other: _Snapshot) -> str | None:
        """None if ``other`` holds bit for bit what this one does."""
        for t, a, b in zip(self.tensors, self.data, other.data):  # noqa: B905
            if not _same_value(a, b):
                return f"the values of a tensor of shape {t.data.shape}"
        for t, (_, a), (_, b) in zip(self.tensors, self.grads, other.grads):  # noqa: B905
            if (a is None) != (b is None) or (a is not None and not _same_value(a, b)):
                return f"the .grad of a tensor of shape {t.data.shape}"
        for o, a, b in zip(self.optimizers, self.states, other.states):  # noqa: B905
            if not _same_value(a, b):
                return f"the state of {type(o).__name__}"
        return None


def _copy_state(state: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {
        p: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in entry.items()}
        for p, entry in state.items()
    }


# ---------------------------------------------------------------------- the compiled step


class CompiledStep:
    """A step function that records itself on its first two calls and replays a plan after.

    ``plans`` maps each guard (the shapes, dtypes and values of the arguments) to its plan;
    ``plan_for(*args)`` returns the plan a call with those arguments would replay (for
    reading its ``source`` or drawing it).
    """

    def __init__(self, fn: Callable[..., Any], verify: bool = True) -> None:
        if not callable(fn):
            raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
        self.fn = fn
        self.__name__: str = getattr(fn, "__name__", type(fn).__name__)
        self.verify = verify
        self.plans: dict[Any, Plan] = {}
        self._first: dict[Any, tuple[_Tracer, _Sources, Any]] = {}
        self._eager: set[Any] = set()  # guards of calls that must stay eager (see __call__)
        self._lock = threading.Lock()
        functools.update_wrapper(self, fn)

    def _key(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Sequence[Any]]:
        """The guard of a call (what a plan assumes of it) and the arguments, flattened."""
        state = _local.state
        if not kwargs:  # the usual call, step(X, y): only tensors, looked at directly
            guards = []
            for a in args:
                if type(a) is not Tensor:
                    break
                guards.append((a.data.shape, a.data.dtype, a._requires_grad))
            else:
                if len(args) < 2 or len({id(a) for a in args}) == len(args):
                    return (tuple(guards), state.grad_enabled, autograd._default_dtype), args
        leaves: list[Any] = []
        structure = _flatten((args, kwargs), leaves)
        first: dict[int, int] = {}
        aliases = tuple(first.setdefault(id(x), k) for k, x in enumerate(leaves))  # step(X, X)
        key = ("any", structure, tuple(_guard(x) for x in leaves), aliases, state.grad_enabled,
               autograd._default_dtype)
        return key, leaves

    def plan_for(self, *args: Any, **kwargs: Any) -> Plan | None:
        """The plan that a call with these arguments replays (None if there is none yet)."""
        return self.plans.get(self._key(args, kwargs)[0])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _local.state.anomaly:  # detect_anomaly names the op that made a NaN: only eager can
            return self.fn(*args, **kwargs)
        with self._lock:  # a plan's ops hold what forward saved: one call at a time
            return self._call(args, kwargs)

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        key, leaves = self._key(args, kwargs)
        plan = self.plans.get(key)
        if plan is not None:
            try:
                if plan.probing:  # made without the check: it learns its conversions once
                    result = plan.run(*_tensors(leaves))
                    self.plans[key] = plan.rebuilt()
                    return result
                if key[0] != "any":  # the tensors are the arguments themselves
                    return plan.run(*args)
                return plan.run(*_tensors(leaves))
            except _Stale:  # a parameter changed shape, dtype or requires_grad: record again
                del self.plans[key]
        if key in self._eager:
            return self.fn(*args, **kwargs)
        if key in self._first:
            return self._second_call(key, leaves, args, kwargs)
        if len(self.plans) + len(self._first) >= MAX_PLANS:
            raise CompileError(
                f"compile: {self.__name__} was called with {MAX_PLANS} different argument "
                f"shapes or values, each needing a plan of its own (now: "
                f"{_describe_key(key, leaves)}); pass changing numbers as tensors, or call "
                "the function itself for these"
            )
        result, tracer = _run_traced(self.fn, args, kwargs)
        if _returns_graph(result):
            self._eager.add(key)
            warnings.warn(
                f"compile: {self.__name__} returns a tensor that still has a graph (its "
                "backward() is called outside), so it runs eagerly; compile the whole "
                "training step (forward, loss, backward() and optimizer.step()) to replay it",
                stacklevel=4,
            )
            return result
        self._first[key] = (tracer, _Sources(tracer, _tensors(leaves)), result)
        return result

    def _second_call(self, key: Any, leaves: Sequence[Any], args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> Any:
        tracer1, sources1, result1 = self._first.pop(key)
        tensors = _tensors(leaves)
        before = _Snapshot(*_changeable(tracer1, tensors)) if self.verify else None
        result, tracer = _run_traced(self.fn, args, kwargs)
        sources = _Sources(tracer, tensors)
        difference = _first_difference(tracer1, sources1, tracer, sources)
        if difference is None:
            difference = _result_difference(result1, result, sources1, sources)
        if difference is not None:
            raise CompileError(
                f"compile: {self.__name__} did something else at its second call than at its "
                f"first (with the same argument shapes): {difference}. A compiled step must "
                "do the same operations on every call; this call ran eagerly and its results "
                "stand. Call the function uncompiled, or move what changes out of it"
            )
        persistent = {id(x) for e in tracer1.events if isinstance(e, _OpEvent)
                      for x in e.inputs if sources1.of(x)[0] == "ext"}
        plan = Plan(tracer, sources, result, len(tensors), persistent)
        if before is not None:
            self._check(plan, before, tensors, result)
            plan = plan.rebuilt()
        self.plans[key] = plan
        return result

    def _check(self, plan: Plan, before: _Snapshot, tensors: list[Tensor],
               eager_result: Any) -> None:
        """Replay from the state before the eager call and compare every result bit for bit."""
        after_eager = before.again()
        before.restore()
        replayed = plan.run(*tensors)
        after_replay = before.again()
        eager_leaves: list[Any] = []
        replayed_leaves: list[Any] = []
        _flatten(eager_result, eager_leaves)
        _flatten(replayed, replayed_leaves)
        difference = after_eager.differences(after_replay)
        if difference is None:
            for k, (x, y) in enumerate(zip(eager_leaves, replayed_leaves)):  # noqa: B905
                if not _same_value(x, y):
                    difference = f"returned value {k}"
                    break
        if difference is not None:
            after_eager.restore()
            raise CompileError(
                f"compile: the plan recorded for {self.__name__} does not reproduce the eager "
                f"step: {difference} differ after a replay. The step probably changes arrays "
                "outside the engine (NumPy code on .data, or an object the engine does not "
                "know); this call ran eagerly and its results stand. Write the change with "
                "tensor operations (e.g. `with no_grad(): p -= lr * p.grad`) or call the "
                "function uncompiled"
            )


def _tensors(leaves: Sequence[Any]) -> list[Tensor]:
    return [x for x in leaves if isinstance(x, Tensor)]


def _result_difference(r1: Any, r2: Any, s1: _Sources, s2: _Sources) -> str | None:
    l1: list[Any] = []
    l2: list[Any] = []
    if _flatten(r1, l1) != _flatten(r2, l2):
        return "it returned a differently structured result"
    for k, (x1, x2) in enumerate(zip(l1, l2)):  # noqa: B905
        src1, src2 = s1.of(x1), s2.of(x2)
        if src2[0] == "const" and isinstance(x2, np.ndarray):
            return (f"returned value {k} is a NumPy array the plan cannot follow; return the "
                    "tensor instead of its .data or .numpy()")
        if not _same_source(src1, src2):
            if src2[0] == "const":
                return (f"returned value {k} changed from {x1!r} to {x2!r} (e.g. loss.item()); "
                        "return the tensor instead")
            return f"returned value {k} differs ({_describe_source(src2)})"
    return None


def compile(fn: Callable[..., Any] | None = None, *, verify: bool = True) -> Any:  # noqa: A001
    """Compile a step function: record it on its first two calls, replay a plan after.

    ``step = tinygrad_nn.compile(train_step)`` or ``@tinygrad_nn.compile``. The step's
    arguments are tensors (the batch) and anything else (compared by value or identity);
    parameters, optimisers and constants may be captured from outside. Returned tensors
    have no graph. ``verify`` (default True) makes the second call check the plan against
    the eager step bit for bit before the plan is used. See docs/compile.md.
    """
    if fn is None:
        return lambda f: CompiledStep(f, verify=verify)
    return CompiledStep(fn, verify=verify)
