"""`draw(tensor)`: the graph that produced a tensor as a `graphviz.Digraph` (no binary needed).

The drawing is made from what the graph keeps (each op's class, output shape, dtype, name)
and never changes it. Values of intermediates are shown where the program still holds the
tensors or where `tinygrad_nn.viz.record()` kept them; gradients where backward left them
(`.grad`) or where a recording kept each step. Text is ASCII only, so every renderer
measures it alike and it stays inside its box.
"""

from __future__ import annotations

import gc
import html
import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tinygrad_nn.ops import Op
from tinygrad_nn.viz._graph import (
    SMALL,
    Scopes,
    Vertex,
    broadcast_axes,
    broadcast_note,
    collect_scopes,
    data_summary,
    fact,
    fmt_num,
    fmt_shape,
    fmt_value,
    is_op,
    nonfinite_counts,
    role,
    topo_order,
    value_of,
    vertex,
)
from tinygrad_nn.viz._math import MathLabel, fill_rule, math_labels
from tinygrad_nn.viz.rendering import Drawing

if TYPE_CHECKING:
    from tinygrad_nn.autograd import Tensor
    from tinygrad_nn.viz.recording import Recording

MAX_NODES = 60  # default: a bigger graph is collapsed to this many nodes (with a note)
LARGE = 5000  # with max_nodes=None, draw() warns above this many nodes
FONT = "Helvetica"  # graphviz-pure has its metrics; system dot maps it to a metric twin
SMALL_PT = "10"  # the smallest text: 13 px at 100 %, 11 px when shrunk to 82 %
STYLE: dict[str, dict[str, str]] = {
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#fff2cc", "color": "#b08f26"},
    "parameter": {"shape": "box", "style": "filled", "fillcolor": "#cfe2f3", "color": "#3d6fa5"},
    "input": {"shape": "box", "style": "filled", "fillcolor": "#eeeeee", "color": "#777777"},
    "constant": {
        "shape": "ellipse",
        "style": "dashed",
        "color": "#999999",
        "fontsize": SMALL_PT,
        "margin": "0.04,0.02",
        "height": "0.3",
    },
    "summary": {"shape": "box3d", "style": "filled", "fillcolor": "#e6dcf2", "color": "#6a4c93"},
}
NONFINITE = {"color": "#cc0000", "penwidth": "3", "fillcolor": "#ffc9c9"}
GRAD_COLOUR = "#1f5f99"
LEGEND_TEXT = {
    "parameter": "parameter",
    "input": "input",
    "constant": "constant",
    "op": "operation",
    "summary": "collapsed",
}


@dataclass
class Decorations:
    """Extra styling used by backward replay and check_graph (keys are id(vertex))."""

    grads: Mapping[int, np.ndarray] | None = None  # replaces .grad when given
    node_attrs: dict[int, dict[str, str]] = field(default_factory=dict)
    node_lines: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # (text, color)
    edge_attrs: dict[tuple[int, int, int], dict[str, str]] = field(default_factory=dict)
    legend: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    title: str | None = None


def _default_dtype() -> np.dtype[Any]:
    import tinygrad_nn

    get = getattr(tinygrad_nn, "get_default_dtype", None)
    return np.dtype(get()) if callable(get) else np.dtype(np.float32)


def _html(lines: list[tuple[str, str]]) -> str:
    """HTML-like label; each line is (text, kind) with kind 'b' (bold), 's' (small grey),
    'w' (warning red), '' (plain) or a '#rrggbb' colour."""
    parts = []
    for text, kind in lines:
        t = html.escape(text)
        if kind == "b":
            parts.append(f"<B>{t}</B>")
        elif kind == "s":
            parts.append(f'<FONT POINT-SIZE="{SMALL_PT}" COLOR="#555555">{t}</FONT>')
        elif kind == "w":
            parts.append(f'<FONT POINT-SIZE="{SMALL_PT}" COLOR="#cc0000">{t}</FONT>')
        elif kind.startswith("#"):
            parts.append(f'<FONT POINT-SIZE="{SMALL_PT}" COLOR="{kind}">{t}</FONT>')
        else:
            parts.append(t)
    return "<" + "<BR/>".join(parts) + ">"


def _legend_table(rows: list[tuple[str, dict[str, str]]]) -> str:
    """One row of coloured swatches with their meaning (a row keeps the drawing narrow)."""
    cells = []
    for text, attrs in rows:
        fill = attrs.get("fillcolor", "white") if "filled" in attrs.get("style", "") else "white"
        cells.append(
            f'<TD BGCOLOR="{fill}" COLOR="{attrs.get("color", "#666666")}" '
            f'BORDER="1" WIDTH="14"> </TD><TD ALIGN="LEFT">{html.escape(text)}</TD>'
        )
    rows_html = "".join(f"<TR>{''.join(cells[k : k + 4])}</TR>" for k in range(0, len(cells), 4))
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1">{rows_html}</TABLE>>'


def _plain(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def grad_lines(g: np.ndarray, name: str) -> list[tuple[str, str]]:
    """'dZ[1] (10, 4) norm 0.31', and the values themselves for at most SMALL elements."""
    nan, inf = nonfinite_counts(g)
    if nan or inf:
        return [(f"{name}: {nan} NaN, {inf} Inf", "w")]
    norm = float(np.linalg.norm(g.astype(np.float64).ravel())) if g.size else 0.0
    lines = [(f"{name} {fmt_shape(g.shape)} norm {fmt_num(norm)}", GRAD_COLOUR)]
    if 1 < g.size <= SMALL and g.dtype.kind == "f":
        flat = [fmt_num(float(x)) for x in g.ravel()]
        for k in range(0, len(flat), 6):  # at most six numbers a line
            text = ", ".join(flat[k : k + 6])
            lines.append(("[" * (k == 0) + text + "]" * (k + 6 >= len(flat)), GRAD_COLOUR))
    return lines


def _group_by_scope(order: list[Vertex], scopes: Scopes, depth: int) -> dict[int, tuple[int, ...]]:
    """id(tensor) -> module path it is collapsed into when modules deeper than `depth` fold."""
    return {
        id(t): scopes.node_path[id(t)][: depth + 1]
        for t in order
        if len(scopes.node_path.get(id(t), ())) > depth
    }


def _chains(
    ops: list[Vertex], consumers: dict[int, list[Vertex]], taken: set[int], root: Vertex
) -> list[list[Vertex]]:
    """Maximal runs of ops t1 -> t2 -> ... where each feeds only the next (3 or more)."""

    following: dict[int, Vertex] = {}  # id(op) -> the op it alone feeds, when that links
    for t in ops:
        if t is root or id(t) in taken:
            continue
        users = consumers.get(id(t))
        if not users:
            continue
        u = users[0]
        if u is root or id(u) in taken or any(v is not u for v in users):
            continue  # the output stays visible; a fork ends the chain
        following[id(t)] = u
    has_pred = {id(u) for u in following.values()}
    chains = []
    for t in ops:
        if id(t) in taken or id(t) in has_pred:
            continue
        chain = [t]
        u = following.get(id(t))
        while u is not None:
            chain.append(u)
            u = following.get(id(u))
        if len(chain) >= 3:
            chains.append(chain)
    return chains


def _chain_label(chain: list[Vertex]) -> list[tuple[str, str]]:
    """'(mul -> add) x 50000' for a repeated pattern (plus what is left), else op counts."""
    names = [t.name for t in chain]
    best, best_period = 0, 1
    for period in range(1, 5):
        pattern = names[:period]
        reps = 0
        while names[reps * period : (reps + 1) * period] == pattern:
            reps += 1
        if reps >= 2 and reps * period > best:
            best, best_period = reps * period, period
    if best:
        body = " -> ".join(names[:best_period])
        reps = best // best_period
        head = f"({body}) x {reps}" if best_period > 1 else f"{body} x {reps}"
        rest = Counter(names[best:])
        if rest:
            head += ", then " + ", ".join(f"{n} x {c}" if c > 1 else n for n, c in rest.items())
    else:
        counts = Counter(names).most_common(3)
        head = f"{len(names)} ops: " + ", ".join(f"{n} x {c}" for n, c in counts)
    return [
        (head, "b"),
        (f"{fmt_shape(chain[0].inputs[0].shape)} -> {fmt_shape(chain[-1].shape)}", "s"),
    ]


@dataclass
class Names:
    """What a drawing calls each vertex: id(vertex) -> name, and -> name of its gradient."""

    name: dict[int, str] = field(default_factory=dict)
    grad: dict[int, str] = field(default_factory=dict)
    math: dict[int, MathLabel] = field(default_factory=dict)

    def of(self, v: Vertex) -> str:
        return self.name.get(id(v)) or (v.name if is_op(v) else "input")

    def grad_of(self, v: Vertex) -> str:
        return self.grad.get(id(v), "grad")


@dataclass
class Graph:
    """A graph read for drawing: vertices in order, edges as drawn, names, module scopes."""

    root: Vertex
    order: list[Vertex]  # topological, without the transposes drawn on edges
    ops: list[Vertex]  # the ops of `order`
    leaves: list[Vertex]  # the leaves of `order` that are not constants
    ins: dict[int, list[Vertex]]  # id(op) -> its inputs as drawn (a folded transpose's leaf)
    consumers: dict[int, list[Vertex]]
    folded: dict[int, Vertex]  # id(transpose op) -> the leaf it transposes, drawn as ^T
    scopes: Scopes
    names: Names
    # a huge graph read only near its output (see `_near_output`): the rest, in one summary
    far: list[Vertex] = field(default_factory=list)  # boundary vertices standing for it
    far_ops: int = 0  # how many ops it holds
    far_lines: list[tuple[str, str]] = field(default_factory=list)
    total: int = 0  # vertices in the whole graph


def read_graph(
    root: Tensor, notation: Literal["math"] | None = None, order: list[Vertex] | None = None
) -> Graph:
    """Read the graph behind `root` once: order, drawn edges, names in the chosen notation.

    `order` (a topological order of part of the graph, ending at the root) limits the
    reading to those vertices."""
    if notation not in (None, "math"):
        raise ValueError(f"draw: notation must be None or 'math', got {notation!r}")
    if order is None:
        order = topo_order(root)
    top = vertex(root)
    raw_consumers: dict[int, list[Vertex]] = defaultdict(list)
    # A transpose of a leaf (W.T in nn.Linear) is drawn on the edge, not as a node of its own
    folded: dict[int, Vertex] = {}
    ops: list[Vertex] = []
    leaves: list[Vertex] = []
    for v in order:
        if isinstance(v, Op):
            ops.append(v)
            for p in v.inputs:
                raw_consumers[id(p)].append(v)
            if (
                v is not top
                and getattr(v, "role", "") == "transpose"
                and not isinstance(v.inputs[0], Op)
            ):
                folded[id(v)] = v.inputs[0]
        elif v.name is not None or v.requires_grad or v.data.ndim:
            leaves.append(v)  # (not a constant: those are drawn by their value)
    ins: dict[int, Any] = {}
    consumers: dict[int, list[Vertex]] = raw_consumers
    drawn = order
    if folded:
        consumers = defaultdict(list)
        drawn = [v for v in order if id(v) not in folded]
        ops = [v for v in ops if id(v) not in folded]
    for v in ops:
        drawn_in = [folded.get(id(p), p) for p in v.inputs] if folded else v.inputs
        ins[id(v)] = drawn_in
        if folded:
            for p in drawn_in:
                consumers[id(p)].append(v)
    scopes = collect_scopes(ops, leaves)
    maths = math_labels(order, raw_consumers, scopes.tensor_names) if notation == "math" else {}
    names = Names(math=maths)
    counters: Counter[str] = Counter()
    for v in ops:
        math = maths.get(id(v))
        label = getattr(v, "label", None)  # set only when the program named the tensor
        if math is not None:
            names.name[id(v)], names.grad[id(v)] = math.name, math.grad_name
        elif label:
            names.name[id(v)], names.grad[id(v)] = label, "d" + label
    for v in leaves:
        math = maths.get(id(v))
        if math is not None:
            names.name[id(v)], names.grad[id(v)] = math.name, math.grad_name
            continue
        kind = role(v)
        dotted = scopes.tensor_names.get(id(v))
        # nn.Module names a parameter after its attribute ("weight"): say whose
        name = dotted if dotted and (v.name is None or dotted.endswith(v.name)) else v.name
        if name is None and kind == "input":
            name = _argument_name(v, consumers)
        if name is None:
            counters[kind] += 1
            name = f"{kind}{counters[kind]}"
        names.name[id(v)], names.grad[id(v)] = name, "grad"
    for tid, leaf in folded.items():
        math = maths.get(tid)
        base = names.name.get(id(leaf), "W").rpartition(".")[2]
        names.name[tid] = math.name if math is not None else f"{base}^T"
        names.grad[tid] = "d" + names.name[tid]
    return Graph(top, drawn, ops, leaves, ins, consumers, folded, scopes, names, total=len(order))


HUGE = 5000  # ops: above this, a collapsed drawing reads only the part near the output


def _near_output(root: Tensor, notation: Literal["math"] | None, keep: int) -> Graph | None:
    """For a graph of more than HUGE ops: read only the `keep` vertices nearest the output
    and summarise the rest in one pass over its ops (names and counts), so that drawing a
    100,000-op graph stays well under a second. None for a smaller graph."""
    top = vertex(root)
    if not isinstance(top, Op):
        return None
    ops = [top]
    seen = {id(top)}
    stack = [top]
    while stack:
        for p in stack.pop().inputs:
            if isinstance(p, Op) and id(p) not in seen:
                seen.add(id(p))
                ops.append(p)
                stack.append(p)
    if len(ops) <= HUGE:
        return None
    kept: list[Vertex] = [top]  # breadth first from the output
    near = {id(top)}
    i = 0
    while i < len(kept) and len(kept) < keep:
        v = kept[i]
        i += 1
        for p in v.inputs if isinstance(v, Op) else ():
            if id(p) not in near and len(kept) < keep:
                near.add(id(p))
                kept.append(p)
    far = [
        p
        for v in kept
        if isinstance(v, Op)
        for p in v.inputs
        if id(p) not in near
    ]  # fmt: skip
    far = list({id(p): p for p in far}.values())
    near_ops = sorted((v for v in kept if isinstance(v, Op)), key=_seq)
    order: list[Vertex] = []
    placed: set[int] = set()
    for op in near_ops:
        for p in op.inputs:
            if id(p) not in placed and (not isinstance(p, Op) or id(p) not in near):
                placed.add(id(p))
                order.append(p)  # a near leaf, or a far vertex (drawn as the summary)
        order.append(op)
    graph = read_graph(root, notation, order)
    rest = sorted((op for op in ops if id(op) not in near), key=_seq)
    graph.far, graph.far_ops = far, len(rest)
    graph.far_lines = _chain_label(rest)[:1] if rest else []
    graph.total = len(ops)
    return graph


def _seq(op: Op) -> int:
    return op.seq


def _argument_name(v: Vertex, consumers: dict[int, list[Vertex]]) -> str | None:
    """An unnamed input that is a loss's target is Y, as in the tutorials."""
    for c in consumers.get(id(v), []):
        args = fact(c, "arg_names", ())
        for i, p in enumerate(c.inputs):
            if p is v and i < len(args) and args[i] == "target":
                return "Y"
    return None


def rule_lines(op: Vertex, g: Graph) -> list[str]:
    """The op's local gradient rules (its class's `grad_rule`) with this drawing's names."""
    templates = fact(op, "grad_rule", None)
    if not templates:
        return []
    activation = fact(op, "role", "") == "activation"
    generic = ["Z"] if activation else ["A", "B", "C"]
    out_name = g.names.name.get(id(op)) or ("A" if activation else "Z")
    out = (out_name, g.names.grad.get(id(op)) or "d" + out_name)
    names = []
    for k, p in enumerate(op.inputs):
        name = g.names.name.get(id(p)) or (generic[k] if k < len(generic) else f"A{k}")
        grad = g.names.grad.get(id(p), "grad")
        names.append((name, "d" + name if grad == "grad" else grad))
    lines = []
    for i, need in enumerate(op.needs_grad):
        template = templates[min(i, len(templates) - 1)]
        if not need or template is None:
            continue
        text = fill_rule(template, out, names, i, op.kwargs)
        if text is None:
            continue
        axes = broadcast_axes(op, i)
        if axes:  # the engine sums the gradient back: db = sum over the broadcast axes
            lhs, _, rhs = text.partition(" = ")
            text = f"{lhs} = sum(axis {', '.join(map(str, axes))}) of {rhs}"
        lines.append(text)
    return lines


def build(
    root: Tensor,
    *,
    show_data: bool = False,
    show_grad: bool = True,
    rankdir: str = "TB",
    group_modules: bool = True,
    max_nodes: int | None = MAX_NODES,
    notation: Literal["math"] | None = None,
    legend: bool = True,
    recording: Recording | None = None,
    deco: Decorations | None = None,
) -> Drawing:
    """The work behind `draw`; `deco` adds the colours and notes of replay / check_graph."""
    paused = gc.isenabled()
    gc.disable()  # many small objects: the collector would walk the whole graph repeatedly
    try:
        return _build(
            root, show_data, show_grad, rankdir, group_modules, max_nodes, notation, legend,
            recording, deco or Decorations(),
        )  # fmt: skip
    finally:
        if paused:
            gc.enable()


_RANKDIRS = ("TB", "LR", "BT", "RL")  # as the CLI's --rankdir


def _build(
    root: Tensor,
    show_data: bool,
    show_grad: bool,
    rankdir: str,
    group_modules: bool,
    max_nodes: int | None,
    notation: Literal["math"] | None,
    legend: bool,
    recording: Recording | None,
    deco: Decorations,
) -> Drawing:
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {_RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and max_nodes < 2:
        raise ValueError(f"draw: max_nodes must be at least 2, got {max_nodes}")
    near = None if max_nodes is None else _near_output(root, notation, max(2, max_nodes // 3))
    g_read = near or read_graph(root, notation)
    order, ins, names = g_read.order, g_read.ins, g_read.names
    top = g_read.root

    # ------------------------------------------------ collapsing: id(vertex) -> summary key
    group: dict[int, Any] = {id(v): ("far", 0) for v in g_read.far}
    if max_nodes is None and len(order) > LARGE:
        warnings.warn(
            f"draw: the graph has {len(order)} nodes, too many to lay out or read; "
            f"pass max_nodes= (e.g. max_nodes=60) to collapse it",
            stacklevel=3,
        )
    if max_nodes is not None and len(order) > max_nodes and not g_read.far:
        group = _collapse(g_read, max_nodes, group_modules)

    def grad_of(v: Vertex) -> np.ndarray | None:
        if deco.grads is not None:
            return deco.grads.get(id(v))
        if recording is not None and is_op(v):
            recorded = recording.grad_output(v)
            if recorded is not None:
                return recorded
        t = v.out() if is_op(v) else v
        gr = None if t is None else t.grad
        if gr is None:
            return None
        return gr if isinstance(gr, np.ndarray) else gr.data  # .grad is a Tensor

    def edge_grad(v: Vertex, i: int) -> np.ndarray | None:
        return None if recording is None else recording.input_grad(v, i)

    # first non-finite value (forward order) and gradient (backward order)
    bad_value, some_dropped = _first_nonfinite_value(order)
    bad_grad = None
    if show_grad:
        bad_grad = _first_nonfinite_grad(order, grad_of, deco.grads is None and recording is None)

    dflt = _default_dtype()
    g = Drawing(
        name="tinygrad_nn",
        graph_attr={
            "rankdir": rankdir,
            "fontname": FONT,
            "fontsize": "12",
            "nodesep": "0.2",
            "ranksep": "0.3",
            "labeljust": "l",
            "newrank": "true",
        },
        node_attr={"fontname": FONT, "fontsize": "12", "margin": "0.14,0.05"},
        edge_attr={
            "fontname": FONT,
            "fontsize": SMALL_PT,
            "fontcolor": "#555555",
            "color": "#666666",
            "arrowsize": "0.7",
        },
    )
    notes = []
    if deco.title:
        notes.append(deco.title)
    if g_read.far:
        notes.append(
            f"collapsed: {g_read.total} ops, the {g_read.total - g_read.far_ops} nearest "
            f"the output drawn (max_nodes={max_nodes});\nthe purple box holds the other "
            f"{g_read.far_ops}. draw(..., max_nodes=None) draws every node"
        )
    elif group:
        n_shown = len(order) - len(group) + len(set(group.values()))
        notes.append(
            f"collapsed: {len(order)} nodes drawn as {n_shown} (max_nodes={max_nodes});\n"
            "purple boxes hold what was folded. draw(..., max_nodes=None) draws every node"
        )
    if notes:
        g.attr(label="\n".join(notes), labelloc="t", labeljust="l", fontsize="12")

    clusters: dict[tuple[int, ...], list[tuple[str, dict[str, str]]]] = defaultdict(list)
    node_id: dict[int, str] = {}  # only drawn vertices get a node (a big graph has few)
    used_styles: set[str] = set()
    scopes = g_read.scopes

    # ----------------------------------------------------------------------- vertex nodes
    for v in order:
        if id(v) in group:
            continue
        kind = role(v)
        used_styles.add(kind)
        attrs = dict(STYLE[kind])
        lines = _vertex_lines(v, kind, g_read, dflt, show_data, grad_of(v) if show_grad else None)
        if notation == "math" and is_op(v):
            lines.extend((r, "s") for r in rule_lines(v, g_read))
        value = value_of(v)
        nan, inf = nonfinite_counts(value)
        if nan or inf:
            lines.append((f"value: {nan} NaN, {inf} Inf", "w"))
        if v is bad_value:
            lines.append(
                ("first non-finite value" + (" among those kept" if some_dropped else ""), "w")
            )
            attrs.update(NONFINITE)
        if v is bad_grad:
            lines.append(("first non-finite gradient", "w"))
            attrs.update(NONFINITE)
        lines.extend(deco.node_lines.get(id(v), []))
        attrs.update(deco.node_attrs.get(id(v), {}))
        if v is top:
            attrs["penwidth"] = attrs.get("penwidth", "2")
        attrs["label"] = _html(lines)
        path = scopes.node_path.get(id(v), ()) if group_modules else ()
        node_id[id(v)] = f"n{len(node_id)}"
        clusters[path].append((node_id[id(v)], attrs))

    # ---------------------------------------------------------------------- summary nodes
    members: dict[Any, list[Vertex]] = defaultdict(list)
    for v in order:
        if id(v) in group:
            members[group[id(v)]].append(v)
    summary_id: dict[Any, str] = {}
    for k, (key, vs) in enumerate(members.items()):
        summary_id[key] = f"s{k}"
        used_styles.add("summary")
        n_ops = sum(1 for v in vs if is_op(v))
        n_leaves = len(vs) - n_ops
        if key[0] == "module":
            path = key[1]
            lines = [(scopes.labels[path], "b")]
            parent_path = path[:-1]
        elif key[0] == "chain":
            lines = _chain_label([v for v in vs if is_op(v)])
            parent_path = scopes.node_path.get(id(vs[-1]), ()) if group_modules else ()
        elif key[0] == "far":
            lines = [(f"... {g_read.far_ops} more ops", "b"), *g_read.far_lines]
            lines.append(("and the leaves they use, collapsed", "s"))
            attrs = dict(STYLE["summary"], label=_html(lines))
            clusters[()].append((summary_id[key], attrs))
            continue
        else:
            lines = [(f"... {len(vs)} more nodes", "b")]
            parent_path = ()
        lines.append((f"{n_ops} ops, {n_leaves} leaves collapsed", "s"))
        attrs = dict(STYLE["summary"])
        attrs["label"] = _html(lines)
        clusters[parent_path if group_modules else ()].append((summary_id[key], attrs))

    def vid(v: Vertex) -> str:
        key = group.get(id(v))
        return node_id[id(v)] if key is None else summary_id[key]

    # ----------------------------------------------------------------------------- edges
    seen_summary_edges: set[tuple[str, str]] = set()
    for v in g_read.ops:
        drawn_inputs = ins[id(v)]
        key_v = group.get(id(v))
        if key_v == ("far", 0):
            continue  # its inputs are in the far part: not read
        if key_v is not None:
            for p in drawn_inputs:
                if group.get(id(p)) != key_v:
                    break
            else:
                continue  # inside one summary node
        head = vid(v)
        args = fact(v, "arg_names", ())
        for i, p in enumerate(drawn_inputs):
            original = v.inputs[i]
            tail = vid(p)
            if tail == head:
                continue
            if id(v) in group or id(p) in group:
                if (tail, head) in seen_summary_edges:
                    continue
                seen_summary_edges.add((tail, head))
                g.edge(tail, head, label=fmt_shape(original.shape))
                continue
            eattrs: dict[str, str] = {}
            label: list[str] = []
            transposed = original is not p  # a folded transpose: W^T on the edge
            if args == ("#",):
                label.append(f"#{i}")
            elif len(drawn_inputs) > 1 and i < len(args):
                label.append(args[i] + (f" = {names.of(original)}" if transposed else ""))
            elif transposed:
                label.append(names.of(original))
            note = broadcast_note(v, i)
            if note is not None:
                label.append(f"{fmt_shape(original.shape)} -> {fmt_shape(v.shape)}, {note}")
                eattrs.update(color="#a61c00", fontcolor="#a61c00")
            if show_grad:
                sent = edge_grad(v, i)
                if sent is not None:
                    label.extend(text for text, _ in grad_lines(sent, names.grad_of(original)))
                    eattrs.setdefault("fontcolor", GRAD_COLOUR)
            eattrs.update(deco.edge_attrs.get((id(original), id(v), i), {}))
            if "label" in eattrs:
                label.append(eattrs.pop("label"))
            if label:
                eattrs["label"] = "\n".join(label)
            g.edge(tail, head, **eattrs)

    # -------------------------------------------------------------------------- clusters
    _emit_clusters(g, clusters, scopes)

    if legend:
        rows = [
            (LEGEND_TEXT[k], STYLE[k])
            for k in ("parameter", "input", "constant", "op", "summary")
            if k in used_styles
        ]
        if bad_value is not None or bad_grad is not None:
            rows.append(("first NaN / Inf", dict(NONFINITE, style="filled")))
        rows.extend(deco.legend)
        g.node("legend", label=_legend_table(rows), shape="plaintext", margin="0")
    return g


def _first_nonfinite_value(order: list[Vertex]) -> tuple[Vertex | None, bool]:
    """The first vertex (forward order) whose known value has NaN/Inf; and whether some
    intermediate before it was dropped, so that the true first may be unknown."""
    dropped = False
    for v in order:
        if isinstance(v, Op):
            t = v.out()
            if t is None:
                dropped = True
                continue
            a = t.data
        else:
            a = v.data
        if a.dtype.kind == "f" and sum(nonfinite_counts(a)):
            return v, dropped
    return None, False


def _first_nonfinite_grad(order: list[Vertex], grad_of: Any, plain: bool) -> Vertex | None:
    """The first vertex in backward order whose known gradient has NaN/Inf."""
    for v in reversed(order):
        if plain:  # only .grad is known: skip ops whose tensor is gone, and absent grads
            t = v.out() if isinstance(v, Op) else v
            if t is None or t.grad is None:
                continue
        if sum(nonfinite_counts(grad_of(v))):
            return v
    return None


def _vertex_lines(
    v: Vertex,
    kind: str,
    g: Graph,
    default_dtype: np.dtype[Any],
    show_data: bool,
    grad: np.ndarray | None,
) -> list[tuple[str, str]]:
    """Label lines of a vertex: title, shape (and dtype), op parameters, value, gradient."""
    value = value_of(v)
    if kind == "constant":  # (as written: 1.0001 is not 1)
        assert value is not None  # a constant is a leaf: its data is always there
        return [(f"{value.item():.6g}" if value.dtype.kind == "f" else data_summary(value), "")]
    names = g.names
    math = names.math.get(id(v))
    lines: list[tuple[str, str]] = []
    if kind == "op":
        name = names.name.get(id(v))
        if name is None:
            title = v.name
        elif math is not None and math.grad:  # an unnamed product such as W[2] A[1]
            title = f"{v.name}: {name}"
        else:
            title = f"{name} = {v.name}"
        lines.append((title, "b"))
    else:
        lines.append((names.of(v), "b"))
        if math is not None and v.name and _plain(v.name) not in _plain(math.name):
            lines.append((v.name, "s"))
    shape = fmt_shape(v.shape)
    if math is not None and math.shape != shape:
        shape = f"{math.shape} = {shape}"
    dtype = "" if v.dtype == default_dtype else f", {v.dtype}"
    lines.append((shape + dtype, "s" if kind == "op" else ""))
    if kind == "op":
        params = ", ".join(
            f"{k}={fmt_value(x)}" for k, x in v.kwargs.items() if x is not None and x is not False
        )
        if params:
            lines.append((params, "s"))
    if show_data:
        if value is not None:
            lines.append((data_summary(value), "s"))
        else:
            lines.append(("value dropped (viz.record keeps it)", "#999999"))
    if grad is not None:
        lines.extend(grad_lines(grad, names.grad_of(v)))
    return lines


def _collapse(graph: Graph, max_nodes: int, use_modules: bool) -> dict[int, Any]:
    """Map id(vertex) -> summary key so that at most `max_nodes` nodes remain."""
    order, ins, consumers, scopes = graph.order, graph.ins, graph.consumers, graph.scopes
    root = graph.root

    def count(group: dict[int, Any]) -> int:
        return len(order) - len(group) + len(set(group.values()))

    def absorb_leaves(group: dict[int, Any]) -> None:
        """A leaf used only inside one summary joins it."""
        for t in order:
            if isinstance(t, Op) or id(t) in group:
                continue
            users = consumers.get(id(t))
            if not users:
                continue
            key = group.get(id(users[0]))
            if key is not None and all(group.get(id(u)) == key for u in users):
                group[id(t)] = key

    group: dict[int, Any] = {}
    if use_modules and scopes.node_path:
        depth_max = max(len(p) for p in scopes.node_path.values())
        for depth in range(depth_max - 1, -1, -1):
            trial = {k: ("module", v) for k, v in _group_by_scope(order, scopes, depth).items()}
            absorb_leaves(trial)
            group = trial
            if count(trial) <= max_nodes:
                return group
    if count(group) > max_nodes:
        for chain in _chains(graph.ops, consumers, set(group), root):
            key = ("chain", id(chain[0]))
            for t in chain:
                group[id(t)] = key
            for t in chain:  # a constant used only inside the chain joins it
                for p in ins[id(t)]:
                    if (
                        not isinstance(p, Op)
                        and p.name is None
                        and not p.requires_grad
                        and not p.data.ndim
                        and len(consumers[id(p)]) == 1
                    ):
                        group[id(p)] = key
    if count(group) > max_nodes:
        # keep the nodes nearest the output, fold everything further back into one node
        vertex = {id(t): group.get(id(t), ("t", id(t))) for t in order}
        parents_of: dict[Any, set[Any]] = defaultdict(set)
        for t in order:
            if isinstance(t, Op):
                vt = vertex[id(t)]
                for p in ins[id(t)]:
                    vp = vertex[id(p)]
                    if vp != vt:
                        parents_of[vt].add(vp)
        keep: list[Any] = [vertex[id(root)]]
        kept = {keep[0]}
        i = 0
        while i < len(keep) and len(kept) < max_nodes - 1:
            for pv in sorted(parents_of[keep[i]], key=str):
                if pv not in kept and len(kept) < max_nodes - 1:
                    kept.add(pv)
                    keep.append(pv)
            i += 1
        rest = ("rest", 0)
        for t in order:
            if vertex[id(t)] not in kept:
                group[id(t)] = rest
    return group


def _emit_clusters(
    g: Drawing, clusters: dict[tuple[int, ...], list[tuple[str, dict[str, str]]]], scopes: Scopes
) -> None:
    """Nodes into nested `cluster_*` subgraphs, one per module path (innermost added first)."""
    import graphviz

    paths = set(clusters)
    for p in list(paths):
        paths.update(p[:k] for k in range(1, len(p)))
    paths.discard(())
    first_seen = {p: k for k, p in enumerate(scopes.labels)}  # forward order
    subs: dict[tuple[int, ...], graphviz.Digraph] = {}
    for k, p in enumerate(sorted(paths, key=lambda q: first_seen.get(q, len(first_seen)))):
        sub = graphviz.Digraph(name=f"cluster_m{k}")
        depth_fill = ("#f5f8fc", "#eaf1f8", "#dfe9f4", "#d4e1f0")[(len(p) - 1) % 4]
        sub.attr(
            label=scopes.labels.get(p, "?"),
            style="rounded,filled",
            fillcolor=depth_fill,
            color="#9fb6cf",
            fontsize="11",
            fontcolor="#2b4c6f",
        )
        subs[p] = sub
    for path, nodes in clusters.items():
        target = g if path == () else subs[path]
        for name, attrs in nodes:
            target.node(name, **attrs)
    for p in sorted(paths, key=lambda q: (-len(q), first_seen.get(q, 0))):
        parent = g if len(p) == 1 else subs[p[:-1]]
        parent.subgraph(subs[p])


def draw(
    tensor: Tensor,
    show_data: bool = False,
    show_grad: bool = True,
    rankdir: str = "TB",
    group_modules: bool = True,
    max_nodes: int | None = MAX_NODES,
    notation: Literal["math"] | None = None,
    legend: bool = True,
    recording: Recording | None = None,
) -> Drawing:
    """The graph that produced `tensor`, as a `graphviz.Digraph` (a `Drawing` subclass).

    One node per operation (op name, output shape, dtype if not the default, op parameters)
    and per leaf (name, shape; parameters, inputs and constants styled apart), edges from
    inputs to outputs, top to bottom. A transpose of a parameter is drawn on its edge
    (`W^T`), so a linear layer reads as one matmul and one add. `show_data` adds the values
    of small tensors (else min, mean, max) where the program still holds them; `show_grad`
    adds each available gradient's shape and norm (and its values, for at most 12
    elements) and counts NaN/Inf; the first non-finite value or gradient is outlined in
    red. Edges where the engine sums a broadcast gradient back say so. `group_modules`
    clusters ops by the `nn.Module` that ran them; `notation="math"` labels MLPs as W[l],
    b[l], Z[l], A[l] with shapes like (n[l], m) and shows each op's local gradient rule.
    `recording` (from `with tinygrad_nn.viz.record() as rec:`) supplies the values of
    dropped intermediates and the gradient on every edge. Above `max_nodes` nodes (None:
    never), modules, then repeated chains, then the far end of the graph are collapsed
    into summary nodes, and a note says so. Building needs no Graphviz program; `render`
    does.
    """
    from tinygrad_nn.autograd import Tensor as _Tensor  # at run time: no import cycle

    if not isinstance(tensor, _Tensor):
        raise TypeError(
            f"draw: expected the Tensor whose graph to draw (e.g. the loss), got "
            f"{type(tensor).__name__} ({tensor!r:.60})"
        )
    return build(
        tensor,
        show_data=show_data,
        show_grad=show_grad,
        rankdir=rankdir,
        group_modules=group_modules,
        max_nodes=max_nodes,
        notation=notation,
        legend=legend,
        recording=recording,
    )
