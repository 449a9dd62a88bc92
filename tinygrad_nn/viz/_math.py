"""Textbook labels for MLP graphs: W[l], b[l], Z[l] = W[l] A[l-1] + b[l], A[l] = g(Z[l]).

Layer l is read from a weight's name ("W1", "W[1]", "W_1") or, for unnamed weights such as
`nn.Linear` parameters, from the order in which the layers' matmuls ran. Both layouts of the
tutorials are recognised: columns are samples (W @ A, Z is (n[l], m)) and rows are samples
(A @ W.T, Z is (m, n[l])).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tinygrad_nn.viz._graph import fmt_shape

if TYPE_CHECKING:
    from tinygrad_nn.autograd import Tensor

ACTIVATIONS = frozenset(
    {"sigmoid", "relu", "tanh", "softmax", "log_softmax", "leaky_relu", "identity"}
)
_LAYER = re.compile(r"^([A-Za-z]+)\W*_?\W*(\d+)\W*$")


@dataclass(frozen=True)
class MathLabel:
    name: str  # "W[2]"
    shape: str  # "(n[2], n[1])"

    @property
    def grad_name(self) -> str:
        return "d" + self.name


def _layer_of(t: Tensor, letter: str) -> int | None:
    m = _LAYER.match(t.name or "")
    if m and m.group(1).lower() == letter.lower():
        return int(m.group(2))
    return None


def _sym(shape: tuple[int, ...], dims: list[tuple[int, str]]) -> str:
    """Name each axis: dims lists (size, symbol) for the axes in order; size-1 axes stay 1."""
    out = []
    for i, n in enumerate(shape):
        out.append(dims[i][1] if i < len(dims) and dims[i][0] == n else str(n))
    return "(" + ", ".join(out) + ("," if len(out) == 1 else "") + ")"


def math_labels(
    order: list[Tensor], consumers: dict[int, list[Tensor]], param_names: dict[int, str]
) -> dict[int, MathLabel]:
    """id(tensor) -> textbook label, for the tensors that play a role in an MLP."""
    labels: dict[int, MathLabel] = {}
    counter = 0
    for t in order:
        op = t._op
        if op is None or op.name != "matmul" or len(op.parents) != 2:
            continue
        a, b = op.parents
        # columns are samples: W @ A;  rows are samples: A @ W.T (W stored as (out, in))
        if a._op is None and a.requires_grad and a.ndim == 2:
            weight, act, rows = a, b, False
        elif (
            b._op is not None
            and b._op.name == "transpose"
            and b._op.parents[0]._op is None
            and b._op.parents[0].requires_grad
            and b.ndim == 2
        ):
            weight, act, rows = b._op.parents[0], a, True
        else:
            continue
        if id(weight) in labels:
            continue
        counter += 1
        pname = param_names.get(id(weight), "")
        layer = _layer_of(weight, "W") or counter
        if not pname and weight.name and _layer_of(weight, "W") is None:
            continue  # a named matrix that is not a layer weight ("E" embedding, ...)
        n_l, n_prev = weight.shape
        m = t.shape[0] if rows else t.shape[-1]
        nl, np_ = f"n[{layer}]", f"n[{layer - 1}]"
        act_dims = [(m, "m"), (n_prev, np_)] if rows else [(n_prev, np_), (m, "m")]
        out_dims = [(m, "m"), (n_l, nl)] if rows else [(n_l, nl), (m, "m")]
        labels[id(weight)] = MathLabel(f"W[{layer}]", f"({nl}, {np_})")
        if rows:
            labels[id(b)] = MathLabel(f"W[{layer}]ᵀ", f"({np_}, {nl})")
        if act._op is None and id(act) not in labels:
            labels[id(act)] = MathLabel(
                "A[0] = X" if layer == 1 else f"A[{layer - 1}]", _sym(act.shape, act_dims)
            )
        z = t
        for c in consumers.get(id(t), []):
            if c._op is not None and c._op.name == "add":
                other = [p for p in c._op.parents if p is not t]
                if len(other) == 1 and other[0]._op is None:
                    bias = other[0]
                    bdims = [(1, "1"), (n_l, nl)] if rows else [(n_l, nl), (1, "1")]
                    if bias.ndim == 1:
                        bdims = [(n_l, nl)]
                    labels[id(bias)] = MathLabel(f"b[{layer}]", _sym(bias.shape, bdims))
                    labels[id(t)] = MathLabel(
                        f"A[{layer - 1}]W[{layer}]ᵀ" if rows else f"W[{layer}]A[{layer - 1}]",
                        _sym(t.shape, out_dims),
                    )
                    z = c
                    break
        labels[id(z)] = MathLabel(f"Z[{layer}]", _sym(z.shape, out_dims))
        users = consumers.get(id(z), [])
        if len(users) == 1 and users[0]._op is not None and users[0]._op.name in ACTIVATIONS:
            labels[id(users[0])] = MathLabel(f"A[{layer}]", _sym(z.shape, out_dims))
    if not labels or not order:
        return labels
    root = order[-1]
    if root.data.size == 1 and id(root) not in labels:
        labels[id(root)] = MathLabel(root.name or "J", fmt_shape(root.shape))
    # the target of a loss on the last activation: Y, shaped like A[L]
    op = root._op
    if op is not None and len(op.parents) == 2 and op.parents[0]._op is not None:
        pred, target = op.parents
        if target._op is None and id(target) not in labels and id(pred) in labels:
            pred_label = labels[id(pred)]
            shape = pred_label.shape if target.shape == pred.shape else fmt_shape(target.shape)
            labels[id(target)] = MathLabel("Y", shape)
    return labels
