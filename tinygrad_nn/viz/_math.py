"""Textbook labels for MLP graphs: W[l], b[l], Z[l] = W[l] A[l-1] + b[l], A[l] = g(Z[l]).

Layer l is read from a weight's name ("W1", "W[1]", "W_1") or, for unnamed weights such as
`nn.Linear` parameters, from the order in which the layers' matmuls ran. Both layouts of the
tutorials are recognised: columns are samples (W @ A, Z is (n[l], m)) and rows are samples
(A @ W.T, Z is (m, n[l])).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tinygrad_nn.viz._graph import Vertex, fact, fmt_shape, is_op, name_of

_LAYER = re.compile(r"^([A-Za-z]+)\W*_?\W*(\d+)\W*$")


@dataclass(frozen=True)
class MathLabel:
    name: str  # "W[2]"; an expression such as "W[2] A[1]" for an unnamed product
    shape: str  # "(n[2], n[1])"
    grad: str = ""  # name of its gradient; "d" + name unless given

    @property
    def grad_name(self) -> str:
        return self.grad or "d" + self.name


def _role(v: Vertex) -> str:
    return str(fact(v, "role", "")) if is_op(v) else ""


def _layer_of(v: Vertex, letter: str) -> int | None:
    m = _LAYER.match(name_of(v) or "")
    if m and m.group(1).lower() == letter.lower():
        return int(m.group(2))
    return None


def _sym(shape: tuple[int, ...], dims: list[tuple[int, str]]) -> str:
    """Name each axis: dims lists (size, symbol) for the axes in order; size-1 axes stay 1."""
    out = []
    for i, n in enumerate(shape):
        out.append(dims[i][1] if i < len(dims) and dims[i][0] == n else str(n))
    return "(" + ", ".join(out) + ("," if len(out) == 1 else "") + ")"


def _is_param(v: Vertex) -> bool:
    return not is_op(v) and bool(v.requires_grad) and len(v.shape) == 2


def math_labels(
    order: list[Vertex], consumers: dict[int, list[Vertex]], param_names: dict[int, str]
) -> dict[int, MathLabel]:
    """id(vertex) -> textbook label, for the tensors that play a role in an MLP."""
    labels: dict[int, MathLabel] = {}
    counter = 0
    for v in order:
        if _role(v) != "product" or len(v.inputs) != 2:
            continue
        a, b = v.inputs
        # columns are samples: W @ A;  rows are samples: A @ W.T (W stored as (out, in))
        if _is_param(a):
            weight, act, rows = a, b, False
        elif _role(b) == "transpose" and _is_param(b.inputs[0]):
            weight, act, rows = b.inputs[0], a, True
        else:
            continue
        if id(weight) in labels:
            continue
        counter += 1
        pname = param_names.get(id(weight), "")
        layer = _layer_of(weight, "W") or counter
        if not pname and name_of(weight) and _layer_of(weight, "W") is None:
            continue  # a named matrix that is not a layer weight ("E" embedding, ...)
        n_l, n_prev = weight.shape
        m = v.shape[0] if rows else v.shape[-1]
        nl, np_ = f"n[{layer}]", f"n[{layer - 1}]"
        act_dims = [(m, "m"), (n_prev, np_)] if rows else [(n_prev, np_), (m, "m")]
        out_dims = [(m, "m"), (n_l, nl)] if rows else [(n_l, nl), (m, "m")]
        W, A_prev = f"W[{layer}]", ("X" if layer == 1 else f"A[{layer - 1}]")
        labels[id(weight)] = MathLabel(W, f"({nl}, {np_})")
        if rows:
            labels[id(b)] = MathLabel(f"{W}^T", f"({np_}, {nl})")
        if not is_op(act) and id(act) not in labels:
            labels[id(act)] = MathLabel(
                "X" if layer == 1 else A_prev, _sym(act.shape, act_dims),
                "dX" if layer == 1 else f"dA[{layer - 1}]",
            )  # fmt: skip
        z = v
        Z = f"Z[{layer}]"
        product = f"{A_prev} {W}^T" if rows else f"{W} {A_prev}"
        for c in consumers.get(id(v), []):
            if _role(c) == "sum":
                other = [p for p in c.inputs if p is not v]
                if len(other) == 1 and not is_op(other[0]):
                    bias = other[0]
                    bdims = [(1, "1"), (n_l, nl)] if rows else [(n_l, nl), (1, "1")]
                    if len(bias.shape) == 1:
                        bdims = [(n_l, nl)]
                    labels[id(bias)] = MathLabel(f"b[{layer}]", _sym(bias.shape, bdims))
                    # Z = (W A) + b passes dZ to the product unchanged: its gradient is dZ
                    labels[id(v)] = MathLabel(product, _sym(v.shape, out_dims), f"d{Z}")
                    z = c
                    break
        labels[id(z)] = MathLabel(Z, _sym(z.shape, out_dims))
        users = consumers.get(id(z), [])
        if len(users) == 1 and _role(users[0]) == "activation":
            labels[id(users[0])] = MathLabel(f"A[{layer}]", _sym(z.shape, out_dims))
    if not labels or not order:
        return labels
    root = order[-1]
    if _size(root) == 1 and id(root) not in labels:
        labels[id(root)] = MathLabel(name_of(root) or "J", fmt_shape(root.shape))
    _name_target(root, labels)
    return labels


def _size(v: Vertex) -> int:
    n = 1
    for k in v.shape:
        n *= k
    return n


def _name_target(root: Vertex, labels: dict[int, MathLabel]) -> None:
    """The target of a loss on the network's output: Y, shaped like the prediction."""
    if _role(root) != "loss" or len(root.inputs) != 2:
        return
    pred, target = root.inputs
    if is_op(target) or id(target) in labels or id(pred) not in labels:
        return
    pred_label = labels[id(pred)]
    same = tuple(target.shape) == tuple(pred.shape)
    labels[id(target)] = MathLabel("Y", pred_label.shape if same else fmt_shape(target.shape))


def fill_rule(
    template: str,
    out: tuple[str, str],
    names: list[tuple[str, str]],
    this: int,
    kwargs: dict[str, Any],
) -> str | None:
    """An op class's `grad_rule` template with this drawing's (name, gradient name) pairs.

    None when the rule says nothing (dZ = dZ, where a sum passes its gradient on).
    """
    text = template.replace("d{out}", out[1]).replace("d{in}", names[this][1])
    for k, (_, grad) in enumerate(names):
        text = text.replace("d{" + str(k) + "}", grad)
    words: dict[str, str] = {"out": out[0], "in": names[this][0]}
    words.update({k: _short(v) for k, v in kwargs.items()})
    words["/m"] = " / m" if kwargs.get("reduction", "mean") == "mean" else ""
    for key, value in words.items():
        text = text.replace("{" + key + "}", value)
    for k, (name, _) in enumerate(names):
        text = text.replace("{" + str(k) + "}", name)
    text = text.replace("^T^T", "")
    lhs, _, rhs = text.partition(" = ")
    if lhs == rhs:
        return None
    if lhs.endswith("^T"):  # d(W^T) = P^T Q  is  dW = Q^T P
        m = re.fullmatch(r"(\S+)\^T (\S+)", rhs)
        rhs = f"{m.group(2)}^T {m.group(1)}" if m else f"({rhs})^T"
        text = f"{lhs[:-2]} = {rhs}"
    return text


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)
