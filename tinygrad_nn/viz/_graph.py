"""Read a recorded graph: topological order, node roles, scopes and module names.

The graph's vertices are ops (one per intermediate tensor, `Tensor._op`) and leaf tensors;
an op's `inputs` holds, per input, its op or the leaf itself. Everything here only reads
them; nothing changes the graph. Traversals are iterative so a 100,000-op chain is fine.
A vertex is drawn from what the graph keeps (shape, dtype, name); the value of an
intermediate only while the program still holds its tensor (`Op.out`), or when it was
kept on purpose by `tinygrad_nn.viz.record()`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn.ops import Op

if TYPE_CHECKING:
    from tinygrad_nn.autograd import Tensor

Vertex = Any  # an Op (an intermediate tensor) or a leaf Tensor


def vertex(t: Tensor) -> Vertex:
    """The vertex standing for tensor `t` in its graph: its op, or `t` itself for a leaf."""
    return t._op or t


def is_op(v: Vertex) -> bool:
    return isinstance(v, Op)


def inputs_of(v: Vertex) -> tuple[Vertex, ...]:
    return v.inputs if isinstance(v, Op) else ()


def name_of(v: Vertex) -> str | None:
    """The name the program gave the tensor (kept by its op when the tensor is dropped)."""
    return getattr(v, "label", None) if isinstance(v, Op) else v.name


def value_of(v: Vertex) -> np.ndarray | None:
    """The tensor's array, where the program (or a recording) still holds it; else None."""
    if not isinstance(v, Op):
        return v.data  # type: ignore[no-any-return]
    t = v.out()
    return None if t is None else t.data  # type: ignore[no-any-return]


def fact(op: Op, attr: str, default: Any) -> Any:
    """A drawing fact of an op class (ops.py gives them all; a user's class may not)."""
    return getattr(type(op), attr, default)


def _seq(op: Op) -> int:
    return op.seq


def topo_order(root: Tensor) -> list[Vertex]:
    """Every vertex that produced `root` (and root's), inputs before the ops that use them.

    Ops are taken in creation order (a topological order); each leaf comes just before the
    first op that uses it.
    """
    top = vertex(root)
    if not isinstance(top, Op):
        return [top]
    ops = [top]
    seen = {id(top)}
    stack = [top]
    while stack:
        for p in stack.pop().inputs:
            if isinstance(p, Op) and id(p) not in seen:
                seen.add(id(p))
                ops.append(p)
                stack.append(p)
    ops.sort(key=_seq)
    order: list[Vertex] = []
    for op in ops:
        for p in op.inputs:
            if id(p) not in seen:
                seen.add(id(p))
                order.append(p)
        order.append(op)
    return order


def role(v: Vertex) -> str:
    """'op', 'parameter' (leaf needing grad), 'constant' (0-d unnamed leaf) or 'input'."""
    if isinstance(v, Op):
        return "op"
    if v.requires_grad:
        return "parameter"
    if v.data.ndim == 0 and v.name is None:
        return "constant"
    return "input"


def summed_axes(parent_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> tuple[int, ...]:
    """Axes (of the output) over which a broadcast operand's gradient is summed back."""
    lead = len(out_shape) - len(parent_shape)
    axes = list(range(lead))
    for i, n in enumerate(parent_shape):
        if n == 1 and out_shape[lead + i] != 1:
            axes.append(lead + i)
    return tuple(axes)


def broadcast_axes(op: Op, index: int) -> tuple[int, ...]:
    """Axes over which the engine sums input `index`'s gradient back (a broadcast bias)."""
    if not fact(op, "broadcasts", False) or not op.needs_grad[index]:
        return ()
    shape = tuple(op.inputs[index].shape)
    if shape == tuple(op.shape):
        return ()
    return summed_axes(shape, tuple(op.shape))


def broadcast_note(op: Op, index: int) -> str | None:
    """'grad summed over axis 1' on the edge where the engine reduces a broadcast gradient."""
    axes = broadcast_axes(op, index)
    if not axes:
        return None
    word = "axis" if len(axes) == 1 else "axes"
    return f"grad summed over {word} {', '.join(map(str, axes))}"


SMALL = 12  # arrays of at most this many elements are shown in full


def fmt_shape(shape: Iterable[int]) -> str:
    s = tuple(shape)
    return "()" if not s else "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"


def fmt_num(x: float) -> str:
    if not np.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.3g}"
    return f"{x:.1e}"


def fmt_value(v: Any) -> str:
    """Short text for an op parameter: numbers, tuples, arrays summarised by shape."""
    if isinstance(v, np.ndarray):
        if v.size <= 4:
            return np.array2string(v, precision=3, separator=",")
        return f"array{fmt_shape(v.shape)}"
    if hasattr(v, "data") and isinstance(getattr(v, "data", None), np.ndarray):
        return f"tensor{fmt_shape(v.data.shape)}"
    if isinstance(v, float):
        return fmt_num(v)
    text = repr(v)
    return text if len(text) <= 24 else text[:21] + "..."


def data_summary(a: np.ndarray) -> str:
    """Values for arrays of at most `SMALL` elements, else min, mean, max (finite ones)."""
    if a.size == 0:
        return "empty"
    if a.size <= SMALL:
        flat = a.reshape(-1)
        body = ", ".join(fmt_num(float(x)) for x in flat) if a.dtype.kind in "fiub" else str(a)
        return body if a.ndim == 0 else "[" + body + "]"
    if a.dtype.kind not in "fiub":
        return f"{a.dtype}"
    finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
    if finite.size == 0:
        return "no finite values"
    return (
        f"min {fmt_num(float(finite.min()))}, mean {fmt_num(float(finite.mean()))},"
        f" max {fmt_num(float(finite.max()))}"
    )


def nonfinite_counts(a: np.ndarray | None) -> tuple[int, int]:
    if a is None or a.dtype.kind != "f":
        return 0, 0
    if a.size == 1 and math.isfinite(a.item()):  # (0-d constants: the common case, fast)
        return 0, 0
    if np.isfinite(a).all():
        return 0, 0
    return int(np.isnan(a).sum()), int(np.isinf(a).sum())


# ----------------------------------------------------------------------------------- modules


def _is_module(obj: Any) -> bool:
    return (
        not isinstance(obj, type)
        and callable(getattr(obj, "forward", None))
        and hasattr(obj, "__dict__")
    )


def _children(obj: Any) -> Iterator[tuple[str, Any]]:
    """(name, value) of a module's attributes; lists/tuples/dicts give indexed names."""
    items = vars(obj).items() if hasattr(obj, "__dict__") else ()
    for key, value in items:
        if key.startswith("_") and not isinstance(value, dict):
            continue
        transparent = key.startswith("_")  # e.g. a PyTorch-style `_modules` dict
        if isinstance(value, dict):
            for k, v in value.items():
                yield (str(k) if transparent else f"{key}.{k}"), v
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                yield f"{key}.{i}", v
        else:
            yield key, value


def walk_modules(root: Any) -> tuple[dict[int, str], dict[int, str]]:
    """Dotted names of the sub-modules and tensors of `root` ('' for root itself).

    Uses `named_modules()` / `named_parameters()` where the module has them (their names are
    the canonical ones), else walks attributes: modules, lists/tuples/dicts of modules, tensors.
    """
    modules: dict[int, str] = {id(root): ""}
    tensors: dict[int, str] = {}
    if callable(getattr(root, "named_modules", None)):
        try:
            for name, m in root.named_modules():
                modules.setdefault(id(m), name)
        except Exception:  # a differently shaped named_modules(): fall back to walking
            pass
    if callable(getattr(root, "named_parameters", None)):
        try:
            for name, p in root.named_parameters():
                tensors.setdefault(id(p), name)
        except Exception:
            pass
    stack: list[tuple[str, Any]] = [("", root)]
    visited: set[int] = {id(root)}
    while stack:
        prefix, obj = stack.pop()
        for key, value in _children(obj):
            name = f"{prefix}.{key}" if prefix else key
            if hasattr(value, "_op") and isinstance(getattr(value, "data", None), np.ndarray):
                tensors.setdefault(id(value), name)
            elif _is_module(value) and id(value) not in visited:
                visited.add(id(value))
                modules.setdefault(id(value), name)
                stack.append((modules[id(value)], value))
    return modules, tensors


def module_label(name: str, module: Any) -> str:
    """'layers.0: Linear(64, 128)' (class name alone for the outermost module)."""
    kind = type(module).__name__
    fin, fout = getattr(module, "in_features", None), getattr(module, "out_features", None)
    if isinstance(fin, int) and isinstance(fout, int):
        kind += f"({fin}, {fout})"
    return f"{name}: {kind}" if name else kind


@dataclass
class Scopes:
    """Module clusters of a graph: path (tuple of module ids, outermost first) -> label."""

    labels: dict[tuple[int, ...], str] = field(default_factory=dict)
    node_path: dict[int, tuple[int, ...]] = field(default_factory=dict)  # id(vertex) -> path
    tensor_names: dict[int, str] = field(default_factory=dict)  # id(leaf tensor) -> dotted name


def collect_scopes(ops: list[Vertex], leaves: list[Vertex]) -> Scopes:
    """Cluster each op by its `op.scope`; put each parameter with the module that owns it."""
    sc = Scopes()
    roots: dict[int, tuple[dict[int, str], dict[int, str]]] = {}
    owner_path: dict[int, tuple[int, ...]] = {}  # id(module) -> path of the first scope seen
    for t in ops:
        scope = t.scope
        if not scope:
            continue
        outer = scope[0]
        if id(outer) not in roots:
            roots[id(outer)] = walk_modules(outer)
            for tid, name in roots[id(outer)][1].items():
                sc.tensor_names.setdefault(tid, name)
        mod_names = roots[id(outer)][0]
        path: tuple[int, ...] = ()
        for m in scope:
            path = path + (id(m),)
            owner_path.setdefault(id(m), path)
            if path not in sc.labels:
                found = mod_names.get(id(m))
                # not reachable through attributes: name it by its class
                name = found if found is not None else (type(m).__name__ if len(path) > 1 else "")
                sc.labels[path] = module_label(name, m)
        sc.node_path[id(t)] = path
    # a parameter joins the cluster of the module whose attribute it is
    for mod_names, tensor_names in roots.values():
        by_name = {name: mid for mid, name in mod_names.items()}
        for t in leaves:
            if id(t) not in tensor_names:
                continue
            owner = tensor_names[id(t)].rpartition(".")[0]
            mid = by_name.get(owner)
            if mid is not None and mid in owner_path:
                sc.node_path[id(t)] = owner_path[mid]
    return sc
