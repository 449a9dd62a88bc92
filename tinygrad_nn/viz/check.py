"""`check_graph(loss)`: finite-difference check of every op's local backward, on the real values.

For each op node Z = f(A1, A2, ...) the op is run again in float64 on copies of its inputs'
values; with a random dZ, its `backward(dZ)` (summed back to each input's shape, as the engine
does) is compared against central differences of sum(f(...) * dZ). A wrong gradient is thus
pointed at: the node whose local backward disagrees, not only "the loss gradient is off".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn.viz._graph import fmt_shape, topo_order
from tinygrad_nn.viz.drawing import Decorations, Drawing, build

if TYPE_CHECKING:
    from tinygrad_nn.autograd import Tensor
    from tinygrad_nn.ops import Op


@dataclass
class NodeCheck:
    """Relative error of one op's backward, per input (None where no gradient is checked)."""

    tensor: Tensor
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

    @property
    def worst(self) -> NodeCheck | None:
        return max(self.nodes, key=lambda n: n.error, default=None)

    @property
    def failed(self) -> list[NodeCheck]:
        return [n for n in self.nodes if n.error > self.tol]

    @property
    def ok(self) -> bool:
        return not self.failed

    def errors(self) -> dict[Tensor, float]:
        """Tensor (the op's output) -> largest relative error over its inputs."""
        return {n.tensor: n.error for n in self.nodes}

    def __str__(self) -> str:
        rows = [f"check_graph: {len(self.nodes)} ops, {len(self.failed)} above tol {self.tol:g}"]
        for n in self.nodes:
            flag = "  WRONG" if n.error > self.tol else ""
            rows.append(
                f"  {n.op_name:<34} {fmt_shape(n.tensor.shape):<14} rel err {n.error:.2e}{flag}"
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
            deco.node_attrs[id(n.tensor)] = {"fillcolor": color, "style": "rounded,filled"}
            kind = "w" if n.error > self.tol else "s"
            line = f"rel err {n.error:.1e}"
            if n.error > self.tol:
                bad = [i for i, e in enumerate(n.input_errors) if e is not None and e > self.tol]
                line += " WRONG: d" + ", d".join(_input_name(n.tensor, i) for i in bad)
                deco.node_attrs[id(n.tensor)].update(color="#cc0000", penwidth="3")
            deco.node_lines[id(n.tensor)] = [(line, kind)]
        deco.legend += [
            (
                f"rel err ≤ {self.tol * 1e-2:g}",
                {"shape": "box", "style": "rounded,filled", "fillcolor": _colour(0.0, self.tol)},
            ),
            (
                f"rel err ≤ {self.tol:g}",
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
        return build(self.root, deco=deco, **draw_kw)


def _input_name(t: Tensor, i: int) -> str:
    parent = t._op.parents[i]  # type: ignore[union-attr]
    return parent.name or (parent._op.name if parent._op is not None else f"input{i}")


def _colour(err: float, tol: float) -> str:
    if err <= tol * 1e-2:
        return "#c6efce"
    if err <= tol:
        return "#ffeb9c"
    return "#ffc7ce"


def _forward(op: Op, arrays: list[np.ndarray]) -> np.ndarray:
    return np.asarray(op.fresh().forward(*arrays, **op.kwargs))


def check_op(
    op: Op, eps: float = 1e-6, samples: int = 16, rng: np.random.Generator | None = None
) -> tuple[float | None, ...]:
    """Relative error of `op.backward` for each input, at the inputs' current values.

    Error = ||analytic - numeric|| / max(||analytic|| + ||numeric||, 1e-12) over up to
    `samples` randomly chosen elements per input (all elements of small inputs).
    """
    from tinygrad_nn.ops import unbroadcast

    rng = rng or np.random.default_rng(0)
    arrays = [p.data.astype(np.float64) if p.data.dtype.kind == "f" else p.data for p in op.parents]
    probe = op.fresh()
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
    loss: Tensor, eps: float = 1e-6, tol: float = 1e-5, samples: int = 16, seed: int = 0
) -> GraphCheck:
    """Check every op's local backward in the graph of `loss` by central differences.

    Works before or after `backward()` (ops are re-run on the stored input values; nothing
    in the graph changes). Non-smooth points (relu at exactly 0, ties in max) can give a
    large error that is not a bug; the drawing shows where.
    """
    rng = np.random.default_rng(seed)
    nodes = []
    for t in topo_order(loss):
        if t._op is None:
            continue
        errs = check_op(t._op, eps=eps, samples=samples, rng=rng)
        nodes.append(NodeCheck(t, t._op.name, errs))
    return GraphCheck(loss, nodes, tol)
