"""`draw(tensor)`: the graph that produced a tensor as a `graphviz.Digraph` (no binary needed)."""

from __future__ import annotations

import html
import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tinygrad_nn.viz._graph import (
    ARG_NAMES,
    NUMBERED_ARGS,
    Scopes,
    broadcast_note,
    collect_scopes,
    data_summary,
    fmt_num,
    fmt_shape,
    fmt_value,
    nonfinite_counts,
    role,
    topo_order,
)
from tinygrad_nn.viz._math import MathLabel, math_labels
from tinygrad_nn.viz.rendering import Drawing

if TYPE_CHECKING:
    from tinygrad_nn.autograd import Tensor
    from tinygrad_nn.ops import Op

LARGE = 5000  # above this many nodes without max_nodes, draw() warns
FONT = "Helvetica"  # one name: graphviz-pure has metrics for it, system dot maps it
STYLE: dict[str, dict[str, str]] = {
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#fff2cc", "color": "#b08f26"},
    "parameter": {"shape": "box", "style": "filled", "fillcolor": "#cfe2f3", "color": "#3d6fa5"},
    "input": {"shape": "box", "style": "filled", "fillcolor": "#eeeeee", "color": "#777777"},
    "constant": {
        "shape": "ellipse",
        "style": "dashed",
        "color": "#999999",
        "fontsize": "9",
        "margin": "0.02,0.01",
        "height": "0.25",
    },
    "summary": {"shape": "box3d", "style": "filled", "fillcolor": "#e6dcf2", "color": "#6a4c93"},
}
NONFINITE = {"color": "#cc0000", "penwidth": "3", "fillcolor": "#ffc9c9"}
LEGEND_TEXT = {
    "parameter": "parameter (leaf, requires_grad)",
    "input": "input (leaf)",
    "constant": "constant",
    "op": "operation",
    "summary": "collapsed nodes",
}


@dataclass
class Decorations:
    """Extra styling used by backward replay and check_graph (keys are id(tensor))."""

    grads: Mapping[int, np.ndarray] | None = None  # replaces t.grad when given
    node_attrs: dict[int, dict[str, str]] = field(default_factory=dict)
    node_lines: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # (text, color)
    edge_attrs: dict[tuple[int, int, int], dict[str, str]] = field(default_factory=dict)
    legend: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    title: str | None = None


def _op_of(t: Tensor) -> Op:
    op = t._op
    assert op is not None, "expected a tensor produced by an op"
    return op


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
            parts.append(f'<FONT POINT-SIZE="9" COLOR="#555555">{t}</FONT>')
        elif kind == "w":
            parts.append(f'<FONT POINT-SIZE="9" COLOR="#cc0000">{t}</FONT>')
        elif kind.startswith("#"):
            parts.append(f'<FONT POINT-SIZE="9" COLOR="{kind}">{t}</FONT>')
        else:
            parts.append(t)
    return "<" + "<BR/>".join(parts) + ">"


def _legend_table(rows: list[tuple[str, dict[str, str]]]) -> str:
    cells = []
    for text, attrs in rows:
        fill = attrs.get("fillcolor", "white") if "filled" in attrs.get("style", "") else "white"
        cells.append(
            f'<TR><TD BGCOLOR="{fill}" COLOR="{attrs.get("color", "#666666")}" '
            f'BORDER="1" WIDTH="18"> </TD><TD ALIGN="LEFT">{html.escape(text)}</TD></TR>'
        )
    return (
        '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="2">'
        '<TR><TD COLSPAN="2" ALIGN="LEFT"><FONT POINT-SIZE="10"><B>legend</B></FONT></TD></TR>'
        + "".join(cells)
        + "</TABLE>>"
    )


def _plain(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _grad_line(g: np.ndarray, name: str) -> tuple[str, str]:
    nan, inf = nonfinite_counts(g)
    if nan or inf:
        return f"{name}: {nan} NaN, {inf} Inf", "w"
    norm = float(np.linalg.norm(g.astype(np.float64).ravel())) if g.size else 0.0
    return f"{name} {fmt_shape(g.shape)} ‖·‖ {fmt_num(norm)}", "#1f5f99"


def _group_by_scope(order: list[Tensor], scopes: Scopes, depth: int) -> dict[int, tuple[int, ...]]:
    """id(tensor) -> module path it is collapsed into when modules deeper than `depth` fold."""
    return {
        id(t): scopes.node_path[id(t)][: depth + 1]
        for t in order
        if len(scopes.node_path.get(id(t), ())) > depth
    }


def _chains(
    order: list[Tensor], consumers: dict[int, list[Tensor]], taken: set[int], root: Tensor
) -> list[list[Tensor]]:
    """Maximal runs of ops t1 -> t2 -> ... where each feeds only the next (3 or more)."""

    def link(t: Tensor) -> Tensor | None:
        users = consumers.get(id(t))
        if not users or t is root:
            return None
        u = users[0]
        if u is root or any(v is not u for v in users):
            return None  # the output stays visible; a fork ends the chain
        return u if id(u) not in taken else None

    has_pred: set[int] = set()
    for t in order:
        if t._op is not None and id(t) not in taken:
            u = link(t)
            if u is not None:
                has_pred.add(id(u))
    chains = []
    for t in order:
        if t._op is None or id(t) in taken or id(t) in has_pred:
            continue
        chain = [t]
        u = link(t)
        while u is not None:
            chain.append(u)
            u = link(u)
        if len(chain) >= 3:
            chains.append(chain)
    return chains


def _chain_label(chain: list[Tensor]) -> list[tuple[str, str]]:
    """'(mul → add) × 50000' for a repeated pattern (plus what is left), else op counts."""
    names = [_op_of(t).name for t in chain]
    best, best_period = 0, 1
    for period in range(1, 5):
        pattern = names[:period]
        reps = 0
        while names[reps * period : (reps + 1) * period] == pattern:
            reps += 1
        if reps >= 2 and reps * period > best:
            best, best_period = reps * period, period
    if best:
        body = " → ".join(names[:best_period])
        reps = best // best_period
        head = f"({body}) × {reps}" if best_period > 1 else f"{body} × {reps}"
        rest = Counter(names[best:])
        if rest:
            head += ", then " + ", ".join(f"{n}×{c}" if c > 1 else n for n, c in rest.items())
    else:
        counts = Counter(names).most_common(3)
        head = f"{len(names)} ops: " + ", ".join(f"{n}×{c}" for n, c in counts)
    return [
        (head, "b"),
        (f"{fmt_shape(_op_of(chain[0]).parents[0].shape)} → {fmt_shape(chain[-1].shape)}", "s"),
    ]


def _tensor_lines(
    t: Tensor,
    kind: str,
    name: str | None,
    math: MathLabel | None,
    default_dtype: np.dtype[Any],
    show_data: bool,
    grad: np.ndarray | None,
) -> list[tuple[str, str]]:
    """Label lines of a tensor node: title, shape (and dtype), op parameters, data, gradient."""
    if kind == "constant":
        return [(data_summary(t.data), "")]
    lines: list[tuple[str, str]] = []
    if kind == "op":
        op = _op_of(t)
        title = op.name if name is None else f"{name} = {op.name}"
        lines.append((title if math is None else f"{math.name} = {op.name}", "b"))
    else:
        lines.append((math.name if math is not None else str(name), "b"))
        if math is not None and t.name and _plain(t.name) not in _plain(math.name):
            lines.append((t.name, "s"))
    shape = fmt_shape(t.shape)
    if math is not None and math.shape != shape:
        shape = f"{math.shape} = {shape}"
    dtype = "" if t.data.dtype == default_dtype else f" · {t.data.dtype}"
    lines.append((shape + dtype, "s" if kind == "op" else ""))
    if kind == "op":
        params = ", ".join(
            f"{k}={fmt_value(v)}"
            for k, v in _op_of(t).kwargs.items()
            if v is not None and v is not False
        )
        if params:
            lines.append((params, "s"))
    if show_data:
        lines.append((data_summary(t.data), "s"))
    if grad is not None:
        lines.append(_grad_line(grad, math.grad_name if math is not None else "grad"))
    return lines


def build(
    root: Tensor,
    *,
    show_data: bool = False,
    show_grad: bool = True,
    rankdir: str = "LR",
    group_modules: bool = True,
    max_nodes: int | None = None,
    notation: Literal["math"] | None = None,
    legend: bool = True,
    deco: Decorations | None = None,
) -> Drawing:
    """The work behind `draw`; `deco` adds the colours and notes of replay / check_graph."""
    if notation not in (None, "math"):
        raise ValueError(f"draw: notation must be None or 'math', got {notation!r}")
    if max_nodes is not None and max_nodes < 2:
        raise ValueError(f"draw: max_nodes must be at least 2, got {max_nodes}")
    deco = deco or Decorations()
    order = topo_order(root)
    consumers: dict[int, list[Tensor]] = defaultdict(list)
    for t in order:
        if t._op is not None:
            for p in t._op.parents:
                consumers[id(p)].append(t)
    scopes = collect_scopes(order)
    maths: dict[int, MathLabel] = (
        math_labels(order, consumers, scopes.tensor_names) if notation == "math" else {}
    )

    # ------------------------------------------------ collapsing: id(tensor) -> summary key
    group: dict[int, Any] = {}
    if max_nodes is None and len(order) > LARGE:
        warnings.warn(
            f"draw: the graph has {len(order)} nodes, too many to lay out or read; "
            f"pass max_nodes= (e.g. max_nodes=200) to collapse it",
            stacklevel=3,
        )
    if max_nodes is not None and len(order) > max_nodes:
        group = _collapse(order, consumers, scopes, root, max_nodes, group_modules)

    grads_of = deco.grads

    def grad_of(t: Tensor) -> np.ndarray | None:
        if grads_of is not None:
            return grads_of.get(id(t))
        g = t.grad
        return None if g is None else g.data

    # first non-finite value (forward order) and gradient (backward order)
    bad_value = next((t for t in order if sum(nonfinite_counts(t.data))), None)
    bad_grad = None
    if show_grad:
        bad_grad = next((t for t in reversed(order) if sum(nonfinite_counts(grad_of(t)))), None)

    dflt = _default_dtype()
    counters: Counter[str] = Counter()
    g = Drawing(
        name="tinygrad_nn",
        graph_attr={
            "rankdir": rankdir,
            "fontname": FONT,
            "fontsize": "12",
            "nodesep": "0.25",
            "ranksep": "0.35",
            "labeljust": "l",
            "newrank": "true",
        },
        node_attr={"fontname": FONT, "fontsize": "11", "margin": "0.12,0.05"},
        edge_attr={
            "fontname": FONT,
            "fontsize": "9",
            "fontcolor": "#555555",
            "color": "#666666",
            "arrowsize": "0.7",
        },
    )
    if deco.title:
        g.attr(label=deco.title, labelloc="t", labeljust="l", fontsize="14")

    clusters: dict[tuple[int, ...], list[tuple[str, dict[str, str]]]] = defaultdict(list)
    node_id = {id(t): f"n{i}" for i, t in enumerate(order)}
    used_styles: set[str] = set()

    # ----------------------------------------------------------------------- tensor nodes
    for t in order:
        if id(t) in group:
            continue
        kind = role(t)
        used_styles.add(kind)
        attrs = dict(STYLE[kind])
        math = maths.get(id(t))
        if kind in ("parameter", "input"):
            dotted = scopes.tensor_names.get(id(t))
            # nn.Module names a parameter after its attribute ("weight"): say whose
            name = dotted if dotted and (t.name is None or dotted.endswith(t.name)) else t.name
            if name is None:
                counters[kind] += 1
                name = f"{kind}{counters[kind]}"
        else:
            name = t.name
        lines = _tensor_lines(
            t, kind, name, math, dflt, show_data, grad_of(t) if show_grad else None
        )
        nan, inf = nonfinite_counts(t.data)
        if nan or inf:
            lines.append((f"value: {nan} NaN, {inf} Inf", "w"))
        if t is bad_value:
            lines.append(("first non-finite value", "w"))
            attrs.update(NONFINITE)
        if t is bad_grad:
            lines.append(("first non-finite gradient", "w"))
            attrs.update(NONFINITE)
        lines.extend(deco.node_lines.get(id(t), []))
        attrs.update(deco.node_attrs.get(id(t), {}))
        if t is root:
            attrs["penwidth"] = attrs.get("penwidth", "2")
        attrs["label"] = _html(lines)
        path = scopes.node_path.get(id(t), ()) if group_modules else ()
        clusters[path].append((node_id[id(t)], attrs))

    # ---------------------------------------------------------------------- summary nodes
    members: dict[Any, list[Tensor]] = defaultdict(list)
    for t in order:
        if id(t) in group:
            members[group[id(t)]].append(t)
    summary_id: dict[Any, str] = {}
    for k, (key, ts) in enumerate(members.items()):
        summary_id[key] = f"s{k}"
        used_styles.add("summary")
        n_ops = sum(1 for t in ts if t._op is not None)
        n_leaves = len(ts) - n_ops
        if key[0] == "module":
            path = key[1]
            lines = [(scopes.labels[path], "b")]
            parent_path = path[:-1]
        elif key[0] == "chain":
            lines = _chain_label([t for t in ts if t._op is not None])
            parent_path = scopes.node_path.get(id(ts[-1]), ()) if group_modules else ()
        else:
            lines = [(f"… {len(ts)} more nodes", "b")]
            parent_path = ()
        lines.append((f"{n_ops} ops, {n_leaves} leaves collapsed", "s"))
        attrs = dict(STYLE["summary"])
        attrs["label"] = _html(lines)
        clusters[parent_path if group_modules else ()].append((summary_id[key], attrs))

    def vid(t: Tensor) -> str:
        key = group.get(id(t))
        return node_id[id(t)] if key is None else summary_id[key]

    # ----------------------------------------------------------------------------- edges
    seen_summary_edges: set[tuple[str, str]] = set()
    for t in order:
        if t._op is None:
            continue
        op = t._op
        head = vid(t)
        for i, p in enumerate(op.parents):
            tail = vid(p)
            if tail == head:
                continue
            collapsed = id(t) in group or id(p) in group
            if collapsed:
                if (tail, head) in seen_summary_edges:
                    continue
                seen_summary_edges.add((tail, head))
                g.edge(tail, head, label=fmt_shape(p.shape))
                continue
            eattrs: dict[str, str] = {}
            label: list[str] = []
            if op.name in ARG_NAMES and i < len(ARG_NAMES[op.name]) and len(op.parents) > 1:
                label.append(ARG_NAMES[op.name][i])
            elif op.name in NUMBERED_ARGS:
                label.append(f"#{i}")
            note = broadcast_note(op, i, tuple(t.shape))
            if note is not None:
                label.append(f"{fmt_shape(p.shape)} → {fmt_shape(t.shape)}")
                label.append(note)
                eattrs.update(color="#a61c00", fontcolor="#a61c00")
            eattrs.update(deco.edge_attrs.get((id(p), id(t), i), {}))
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


def _collapse(
    order: list[Tensor],
    consumers: dict[int, list[Tensor]],
    scopes: Scopes,
    root: Tensor,
    max_nodes: int,
    use_modules: bool,
) -> dict[int, Any]:
    """Map id(tensor) -> summary key so that at most `max_nodes` nodes remain."""

    def count(group: dict[int, Any]) -> int:
        return len(order) - len(group) + len(set(group.values()))

    def absorb_leaves(group: dict[int, Any], constants_only: bool = False) -> None:
        """A leaf used only inside one summary joins it (for chains: only constants)."""
        for t in order:
            if (
                t._op is None
                and id(t) not in group
                and (not constants_only or role(t) == "constant")
            ):
                keys = {group.get(id(u)) for u in consumers.get(id(t), [])}
                if len(keys) == 1 and None not in keys:
                    group[id(t)] = keys.pop()

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
        for chain in _chains(order, consumers, set(group), root):
            key = ("chain", id(chain[0]))
            for t in chain:
                group[id(t)] = key
        absorb_leaves(group, constants_only=True)
    if count(group) > max_nodes:
        # keep the nodes nearest the output, fold everything further back into one node
        vertex = {id(t): group.get(id(t), ("t", id(t))) for t in order}
        parents_of: dict[Any, set[Any]] = defaultdict(set)
        for t in order:
            if t._op is not None:
                for p in t._op.parents:
                    if vertex[id(p)] != vertex[id(t)]:
                        parents_of[vertex[id(t)]].add(vertex[id(p)])
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
    rankdir: str = "LR",
    group_modules: bool = True,
    max_nodes: int | None = None,
    notation: Literal["math"] | None = None,
    legend: bool = True,
) -> Drawing:
    """The graph that produced `tensor`, as a `graphviz.Digraph` (a `Drawing` subclass).

    One node per operation (op name, output shape, dtype if not the default, op parameters)
    and per leaf (name, shape; parameters, inputs and constants styled apart), edges from
    inputs to outputs. `show_data` adds min/mean/max (or the values of tiny tensors);
    `show_grad` adds each available gradient's shape and norm and counts NaN/Inf; the first
    non-finite value or gradient is outlined in red. Edges where the engine sums a broadcast
    gradient back say so. `group_modules` clusters ops by the `nn.Module` that ran them;
    `notation="math"` labels MLPs as W[l], b[l], Z[l], A[l] with shapes like (n[l], m);
    above `max_nodes` modules, then repeated chains, then the far end of the graph are
    collapsed into summary nodes. Building needs no Graphviz program; `render` does.
    """
    return build(
        tensor,
        show_data=show_data,
        show_grad=show_grad,
        rankdir=rankdir,
        group_modules=group_modules,
        max_nodes=max_nodes,
        notation=notation,
        legend=legend,
    )
