"""`check_graph(loss)`: finite-difference check of every op's local backward, on the real values.

For each op node Z = f(A1, A2, ...) a new op of the same class is run in float64 on copies of
its inputs' values; with a random dZ, its `backward(dZ)` (summed back to each input's shape,
as the engine does) is compared against central differences of sum(f(...) * dZ). A wrong
gradient is thus pointed at: the node whose local backward disagrees, not only "the loss
gradient is off".

The inputs' values come from the leaves and from the intermediate tensors the program still
holds, or from a recording (`with tinygrad_nn.viz.record(): ...`); `check_graph(fn)` records
them itself by calling `fn()`, the function that builds the loss. Nothing is rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn.ops import Op
from tinygrad_nn.viz._graph import fmt_shape, is_op, name_of, topo_order, value_of
from tinygrad_nn.viz.drawing import Decorations, Drawing, build
from tinygrad_nn.viz.recording import Recording, record

if TYPE_CHECKING:
    from tinygrad_nn.autograd import Tensor


@dataclass
class NodeCheck:
    """Relative error of one op's backward, per input (None where no gradient is checked)."""

    op: Op
    op_name: str
    input_errors: tuple[float | None, ...]

    @property
    def error(self) -> float:
        errs = [e for e in self.input_errors if e is not None]
        return max(errs) if errs else 0.0


@dataclass
class GraphCheck:
    """Result of `check_graph`: one `NodeCheck` per op, in forward order."""

    root: Tensor
    nodes: list[NodeCheck]
    tol: float
    recording: Recording | None = None  # what check_graph(fn) recorded, kept for draw()

    @property
    def worst(self) -> NodeCheck | None:
        return max(self.nodes, key=lambda n: n.error, default=None)

    @property
    def failed(self) -> list[NodeCheck]:
        return [n for n in self.nodes if n.error > self.tol]

    @property
    def ok(self) -> bool:
        return not self.failed

    def errors(self) -> dict[Op, float]:
        """Op (the graph's node) -> largest relative error over its inputs."""
        return {n.op: n.error for n in self.nodes}

    def __str__(self) -> str:
        rows = [f"check_graph: {len(self.nodes)} ops, {len(self.failed)} above tol {self.tol:g}"]
        for n in self.nodes:
            flag = "  WRONG" if n.error > self.tol else ""
            rows.append(
                f"  {n.op_name:<34} {fmt_shape(n.op.shape):<14} rel err {n.error:.2e}{flag}"
            )
        return "\n".join(rows)

    def draw(self, **draw_kw: Any) -> Drawing:
        """The graph with each op coloured by its error: green ok, yellow close, red wrong."""
        deco = Decorations(
            title=f"check_graph: {len(self.failed)} of {len(self.nodes)} ops "
            f"above relative error {self.tol:g}"
        )
        for n in self.nodes:
            color = _colour(n.error, self.tol)
            deco.node_attrs[id(n.op)] = {"fillcolor": color, "style": "rounded,filled"}
            kind = "w" if n.error > self.tol else "s"
            line = f"rel err {n.error:.1e}"
            if n.error > self.tol:
                bad = [i for i, e in enumerate(n.input_errors) if e is not None and e > self.tol]
                line += " WRONG: d" + ", d".join(_input_name(n.op, i) for i in bad)
                deco.node_attrs[id(n.op)].update(color="#cc0000", penwidth="3")
            deco.node_lines[id(n.op)] = [(line, kind)]
        deco.legend += [
            (
                f"rel err <= {self.tol * 1e-2:g}",
                {"shape": "box", "style": "rounded,filled", "fillcolor": _colour(0.0, self.tol)},
            ),
            (
                f"rel err <= {self.tol:g}",
                {
                    "shape": "box",
                    "style": "rounded,filled",
                    "fillcolor": _colour(self.tol, self.tol),
                },
            ),
            (
                f"rel err > {self.tol:g}",
                {"shape": "box", "style": "rounded,filled", "fillcolor": _colour(1.0, self.tol)},
            ),
        ]
        draw_kw.setdefault("show_grad", False)
        draw_kw.setdefault("recording", self.recording)
        return build(self.root, deco=deco, **draw_kw)


def _input_name(op: Op, i: int) -> str:
    v = op.inputs[i]
    return name_of(v) or (v.name if is_op(v) else f"input{i}")


def _probe(op: Op) -> Op:
    """A new op of the same class, inputs and parameters, to run without touching `op`."""
    new = type(op)()
    new.inputs = op.inputs
    new.needs_grad = op.needs_grad
    new.kwargs = op.kwargs
    new.saved = None
    new.released = False
    new.scope = None
    return new


def input_values(op: Op) -> list[np.ndarray]:
    """The values of `op`'s inputs, from leaves and from tensors still held or recorded."""
    values = []
    for i, v in enumerate(op.inputs):
        value = value_of(v)
        if value is None:
            raise ValueError(
                f"check_graph: the value of input {i} of '{op.name}' (the output of "
                f"'{v.name}', shape {fmt_shape(v.shape)}) was dropped by the program, and the "
                "graph does not keep it. Record the forward pass: `with tinygrad_nn.viz."
                "record() as rec: loss = ...`, then check_graph(loss); or pass the function "
                "that builds the loss: check_graph(lambda: ...)"
            )
        values.append(value)
    return values


def _colour(err: float, tol: float) -> str:
    if err <= tol * 1e-2:
        return "#c6efce"
    if err <= tol:
        return "#ffeb9c"
    return "#ffc7ce"


def _forward(op: Op, arrays: list[np.ndarray]) -> np.ndarray:
    return np.asarray(_probe(op).forward(*arrays, **op.kwargs))


def check_op(
    op: Op, eps: float = 1e-6, samples: int = 16, rng: np.random.Generator | None = None
) -> tuple[float | None, ...]:
    """Relative error of `op.backward` for each input, at the inputs' values.

    Error = ||analytic - numeric|| / max(||analytic|| + ||numeric||, 1e-12) over up to
    `samples` randomly chosen elements per input (all elements of small inputs). The
    inputs' values must be available (see `input_values`).
    """
    from tinygrad_nn.ops import unbroadcast

    rng = rng or np.random.default_rng(0)
    arrays = [x.astype(np.float64) if x.dtype.kind == "f" else x for x in input_values(op)]
    probe = _probe(op)
    out = np.asarray(probe.forward(*arrays, **op.kwargs))
    dZ = rng.standard_normal(out.shape)
    grads = probe.backward(dZ)
    errors: list[float | None] = []
    for i, x in enumerate(arrays):
        g = grads[i] if i < len(grads) else None
        if not op.needs_grad[i] or g is None or x.dtype.kind != "f":
            errors.append(None)
            continue
        analytic_full = unbroadcast(np.asarray(g, dtype=np.float64), x.shape)
        flat = (
            np.arange(x.size) if x.size <= samples else rng.choice(x.size, samples, replace=False)
        )
        analytic = np.empty(len(flat))
        numeric = np.empty(len(flat))
        for j, k in enumerate(flat):
            idx = np.unravel_index(int(k), x.shape)
            bumped = list(arrays)
            xp = x.copy()
            xp[idx] += eps
            bumped[i] = xp
            f_plus = float((_forward(op, bumped) * dZ).sum())
            xm = x.copy()
            xm[idx] -= eps
            bumped[i] = xm
            f_minus = float((_forward(op, bumped) * dZ).sum())
            numeric[j] = (f_plus - f_minus) / (2 * eps)
            analytic[j] = analytic_full[idx]
        scale = max(float(np.linalg.norm(analytic) + np.linalg.norm(numeric)), 1e-12)
        errors.append(float(np.linalg.norm(analytic - numeric)) / scale)
    return tuple(errors)


def check_graph(
    loss: Tensor | Callable[[], Tensor],
    eps: float = 1e-6,
    tol: float = 1e-5,
    samples: int = 16,
    seed: int = 0,
) -> GraphCheck:
    """Check every op's local backward in the graph of `loss` by central differences.

    `loss` is the loss tensor, or a function that builds it (called once, inside
    `record()`, so that every intermediate value is there). Given a tensor, the inputs'
    values come from the leaves and from intermediates the program still holds or that a
    `record()` block kept; a missing one is an error that says how to record it. Works
    before or after `backward()`; nothing in the graph changes. Non-smooth points (relu at
    exactly 0, ties in max) can give a large error that is not a bug; the drawing shows where.
    """
    recording = None
    from tinygrad_nn.autograd import Tensor as _Tensor  # at run time: no import cycle

    if not isinstance(loss, _Tensor) and not callable(loss):
        raise TypeError(
            f"check_graph: expected the loss Tensor or a function that builds it, got "
            f"{type(loss).__name__} ({loss!r:.60})"
        )
    if callable(loss) and not hasattr(loss, "_op"):
        with record() as recording:
            loss = loss()
    rng = np.random.default_rng(seed)
    nodes = []
    for v in topo_order(loss):  # type: ignore[arg-type]
        if not is_op(v):
            continue
        errs = check_op(v, eps=eps, samples=samples, rng=rng)
        nodes.append(NodeCheck(v, v.name, errs))
    return GraphCheck(loss, nodes, tol, recording)  # type: ignore[arg-type]
