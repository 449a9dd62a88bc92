"""Read a recorded graph: topological order, node roles, scopes and module names.

Everything here only reads tensors and ops (`Tensor._op`, `Op.parents`, `Op.scope`, ...);
nothing changes the graph. Traversals are iterative so a 100,000-op chain is fine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tinygrad_nn.autograd import Tensor

# Ops whose backward returns a gradient shaped like the output, which the engine then sums
# back to a broadcast operand's shape (the bias in Z = W @ A + b).
ELEMENTWISE_BROADCASTING = frozenset({"add", "sub", "mul", "div"})
# Ops whose operand order matters: their edges say which input is which.
ARG_NAMES: dict[str, tuple[str, ...]] = {
    "sub": ("lhs", "rhs"),
    "div": ("lhs", "rhs"),
    "matmul": ("lhs", "rhs"),
    "mse_loss": ("pred", "target"),
    "binary_cross_entropy": ("prob", "target"),
    "binary_cross_entropy_with_logits": ("logits", "target"),
    "cross_entropy": ("logits", "target"),
    "nll_loss": ("log_probs", "target"),
}
NUMBERED_ARGS = frozenset({"concatenate", "stack"})


def topo_order(root: Tensor) -> list[Tensor]:
    """Every tensor that produced `root` (and `root`), inputs before the ops that use them."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        op = t._op
        if op is not None:
            for p in reversed(op.parents):
                if id(p) not in seen:
                    stack.append((p, False))
    return order


def role(t: Tensor) -> str:
    """'op', 'parameter' (leaf needing grad), 'constant' (0-d unnamed leaf) or 'input'."""
    if t._op is not None:
        return "op"
    if t.requires_grad:
        return "parameter"
    if t.data.ndim == 0 and t.name is None:
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


def broadcast_note(op: Any, index: int, out_shape: tuple[int, ...]) -> str | None:
    """'grad summed over axis 1' on the edge where the engine reduces a broadcast gradient."""
    if op.name not in ELEMENTWISE_BROADCASTING or not op.needs_grad[index]:
        return None
    shape = tuple(op.parents[index].shape)
    if shape == tuple(out_shape):
        return None
    axes = summed_axes(shape, tuple(out_shape))
    if not axes:
        return None
    word = "axis" if len(axes) == 1 else "axes"
    return f"grad summed over {word} {', '.join(map(str, axes))}"


def fmt_shape(shape: Iterable[int]) -> str:
    s = tuple(shape)
    return "()" if not s else "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"


def fmt_num(x: float) -> str:
    if not np.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.4g}"
    return f"{x:.2e}"


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
    """Values for tiny arrays, else min / mean / max (non-finite values counted apart)."""
    if a.size == 0:
        return "empty"
    if a.size <= 4:
        flat = a.reshape(-1)
        body = ", ".join(fmt_num(float(x)) for x in flat) if a.dtype.kind in "fiub" else str(a)
        return body if a.ndim == 0 else "[" + body + "]"
    if a.dtype.kind not in "fiub":
        return f"{a.dtype}"
    finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
    if finite.size == 0:
        return "no finite values"
    return (
        f"min {fmt_num(float(finite.min()))} · mean {fmt_num(float(finite.mean()))}"
        f" · max {fmt_num(float(finite.max()))}"
    )


def nonfinite_counts(a: np.ndarray | None) -> tuple[int, int]:
    if a is None or a.dtype.kind != "f" or np.isfinite(a).all():
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
    """'layers.0 · Linear 64→128' (class name alone for the outermost module)."""
    kind = type(module).__name__
    fin, fout = getattr(module, "in_features", None), getattr(module, "out_features", None)
    if isinstance(fin, int) and isinstance(fout, int):
        kind += f" {fin}→{fout}"
    return f"{name} · {kind}" if name else kind


@dataclass
class Scopes:
    """Module clusters of a graph: path (tuple of module ids, outermost first) -> label."""

    labels: dict[tuple[int, ...], str] = field(default_factory=dict)
    node_path: dict[int, tuple[int, ...]] = field(default_factory=dict)  # id(tensor) -> path
    tensor_names: dict[int, str] = field(default_factory=dict)  # id(tensor) -> dotted name


def collect_scopes(order: list[Tensor]) -> Scopes:
    """Cluster each op by its `op.scope`; put each parameter with the module that owns it."""
    sc = Scopes()
    roots: dict[int, tuple[dict[int, str], dict[int, str]]] = {}
    owner_path: dict[int, tuple[int, ...]] = {}  # id(module) -> path of the first scope seen
    for t in order:
        op = t._op
        scope = getattr(op, "scope", None) if op is not None else None
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
        for t in order:
            if t._op is not None or id(t) not in tensor_names:
                continue
            owner = tensor_names[id(t)].rpartition(".")[0]
            mid = by_name.get(owner)
            if mid is not None and mid in owner_path:
                sc.node_path[id(t)] = owner_path[mid]
    return sc
