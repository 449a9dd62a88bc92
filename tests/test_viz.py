"""draw(): structure of the Digraph (no Graphviz program needed for any of these)."""

from __future__ import annotations

import re
import sys
import time

import numpy as np
import pytest
from viz_helpers import MLP, Linear, Module, column_mlp, edges, node_ids

import tinygrad_nn
from tinygrad_nn import Tensor
from tinygrad_nn.viz import draw, record
from tinygrad_nn.viz._graph import summed_axes, topo_order


def labels(source: str) -> dict[str, str]:
    """node id -> its label text (HTML tags stripped)."""
    out = {}
    for m in re.finditer(r"^\t+(n\d+|s\d+) \[label=<(.*?)>\s", source, re.M | re.S):
        out[m.group(1)] = re.sub(r"<[^>]+>", " ", m.group(2))
    return out


def label_of(source: str, needle: str) -> str:
    found = [text for text in labels(source).values() if needle in text]
    assert len(found) == 1, f"{needle!r} in {len(found)} labels"
    return found[0]


def test_one_node_per_op_and_leaf_one_edge_per_input() -> None:
    t = column_mlp()
    src = draw(t["J"]).source
    # 10 ops (matmul add sigmoid matmul add sigmoid sub pow sum div) and 7 leaves
    # (X Y W1 b1 W2 b2 and the constant 2m); every op input is one edge
    assert len(node_ids(src)) == 17
    assert len(set(node_ids(src))) == 17
    assert len(edges(src)) == 2 + 2 + 1 + 2 + 2 + 1 + 2 + 1 + 1 + 2
    assert "legend" in src


def test_reused_tensor_has_one_node_and_an_edge_per_use() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x * x + x
    src = draw(y).source
    assert len(node_ids(src)) == 3  # x, mul, add
    (xid,) = [k for k, v in labels(src).items() if v.startswith(" x ")]
    assert sum(1 for a, _ in edges(src) if a == xid) == 3


def test_labels_names_shapes_dtypes_params_and_roles() -> None:
    w = Tensor(np.ones((3, 4), np.float32), requires_grad=True, name="weight")
    a = Tensor(np.ones((4, 5), np.float32))  # unnamed input
    p = Tensor(np.ones((3, 1), np.float64), requires_grad=True)  # unnamed, float64
    z = ((w @ a) * p).sum(axis=1) * 2.0
    src = draw(z).source
    assert "(3, 4)" in label_of(src, "weight")
    assert "float32" not in label_of(src, "weight")  # the default dtype is not repeated
    assert "float64" in label_of(src, "parameter1")  # generated name, dtype shown
    assert "(4, 5)" in label_of(src, "input1")
    assert "axis=(1,)" in label_of(src, "sum")
    assert " matmul " in label_of(src, "matmul") and "(3, 5)" in label_of(src, "matmul")
    # roles are styled apart: parameter blue box, input grey box, constant dashed ellipse
    assert re.search(r'label=<<B>weight</B>.*fillcolor="#cfe2f3"', src)
    assert re.search(r'label=<<B>input1</B>.*fillcolor="#eeeeee"', src)
    assert re.search(r"label=<2> .*shape=ellipse style=dashed", src)
    assert "lhs" in src and "rhs" in src  # matmul operands are told apart


def test_broadcast_gradient_edges_are_annotated() -> None:
    t = column_mlp()
    src = draw(t["J"]).source
    notes = re.findall(r'label="\(([0-9, ]+)\) -> \(([0-9, ]+)\), grad summed over axis (\d)"', src)
    assert sorted(notes) == [("3, 1", "3, 100", "1"), ("8, 1", "8, 100", "1")]
    x = Tensor(np.ones((5, 3)))
    b = Tensor(np.zeros(3), requires_grad=True, name="b")
    assert "grad summed over axis 0" in draw((x + b).sum()).source
    c = Tensor(np.zeros((1, 3)), requires_grad=True)
    assert "grad summed over axes 0, 1" in draw((Tensor(np.ones((2, 4, 3))) * c).sum()).source
    assert summed_axes((3,), (5, 3)) == (0,)
    assert summed_axes((4, 1), (2, 4, 7)) == (0, 2)


def test_no_annotation_where_nothing_is_summed() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    assert "summed" not in draw((x * x).sum()).source
    # a constant needs no gradient, so broadcasting it is not a summed-gradient edge
    assert "summed" not in draw((x + 1.0).sum()).source


def test_show_data_gives_values_or_min_mean_max() -> None:
    x = Tensor([1.0, 2.0, 4.0], requires_grad=True, name="x")
    big = Tensor(np.arange(16.0).reshape(4, 4), name="big")
    y = (x.sum() * big).sum()
    src = draw(y, show_data=True).source
    assert "[1, 2, 4]" in label_of(src, " x ")
    assert "min 0, mean 7.5, max 15" in label_of(src, "big")
    assert "min" not in draw(y).source


def test_show_grad_after_backward() -> None:
    t = column_mlp()
    assert " norm " not in draw(t["J"]).source
    t["J"].backward()
    src = draw(t["J"]).source
    b1 = label_of(src, "b1")
    norm = float(np.linalg.norm(t["b1"].grad.data))  # type: ignore[union-attr]
    assert re.search(r"grad \(8, 1\) norm ([0-9.e-]+)", b1)
    shown = float(re.search(r" norm ([0-9.e-]+)", b1).group(1))  # type: ignore[union-attr]
    assert shown == pytest.approx(norm, rel=1e-2)
    assert " norm " not in draw(t["J"], show_grad=False).source


def test_small_gradients_show_their_values() -> None:
    w = Tensor(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), requires_grad=True, name="w")
    big = Tensor(np.ones((4, 4)), requires_grad=True, name="big")
    loss = (w * 2.0).sum() + (big * big).sum()
    loss.backward()
    src = draw(loss).source
    assert "[2, 2, 2, 2, 2, 2]" in label_of(src, " w ")  # 6 elements: the values themselves
    assert "2, 2" not in label_of(src, " big ")  # 16 elements: shape and norm only


def test_gradient_on_every_edge_from_a_recording() -> None:
    """With record(), every edge carries the gradient sent along it (not only leaves')."""
    with record() as rec:
        t = column_mlp()
        t["J"].backward()
    src = draw(t["J"], recording=rec).source
    edge_labels = re.findall(r'-> \S+ \[[^\]]*label="([^"]*)"', src)
    with_grad = [lab for lab in edge_labels if " norm " in lab]
    assert len(with_grad) == len(edges(src)) - 3  # all but those of X, Y and 2m: no grad
    dZ2 = t["A2"].data * (1 - t["A2"].data) * (t["A2"].data - t["Y"].data) / 100
    norm = float(np.linalg.norm(dZ2))
    assert any(f"norm {norm:.3g}" in lab for lab in with_grad)  # into Z2 = W2 A1 + b2
    math = draw(t["J"], recording=rec, notation="math").source
    assert re.search(r'label="[^"]*dZ\[2\] \(3, 100\) norm', math)
    # without a recording the dropped intermediates' gradients are simply not known
    plain = re.findall(r'-> \S+ \[[^\]]*label="([^"]*)"', draw(t["J"]).source)
    assert " norm " not in "".join(plain)


def test_math_notation_shows_each_ops_rule_from_its_class() -> None:
    t = column_mlp()
    src = draw(t["J"], notation="math").source
    assert "dZ[2] = dA[2] * A[2] (1 - A[2])" in label_of(src, "A[2] = sigmoid")
    assert "dW[2] = dZ[2] A[1]^T" in label_of(src, "matmul: W[2] A[1]")
    assert "dA[1] = W[2]^T dZ[2]" in label_of(src, "matmul: W[2] A[1]")
    assert "db[1] = sum(axis 1) of dZ[1]" in label_of(src, "Z[1] = add")
    assert "dZ[1] = dZ[1]" not in src  # a sum passes dZ on: no rule that says nothing
    assert "dW[2] = " not in draw(t["J"]).source  # plain notation: no rules


def test_linear_layer_is_one_matmul_and_one_add() -> None:
    """The transpose of a parameter is drawn on its edge (W^T), not as a node."""
    model = MLP([4, 8, 3], np.random.default_rng(0))
    x = Tensor(np.ones((5, 4)), name="x")
    loss = (model(x) ** 2).mean()
    for notation in (None, "math"):
        src = draw(loss, notation=notation).source  # type: ignore[arg-type]
        assert "transpose" not in src
        assert src.count("<B>matmul") == 2
        assert ("rhs = W[1]^T" if notation else "rhs = weight^T") in src
    rows = draw(loss, notation="math").source
    assert "dW[1] = dZ[1]^T X" in rows and "dA[1] = dZ[2] W[2]" in rows  # rows are samples
    p = Tensor(np.ones((2, 3)), requires_grad=True)
    assert "transpose" in draw(p.T).source  # a transpose that is the output stays a node


def test_the_target_of_a_loss_is_named_y() -> None:
    from tinygrad_nn import functional as F

    logits = Tensor(np.ones((4, 3)), requires_grad=True, name="logits")
    loss = F.cross_entropy(logits, np.array([0, 1, 2, 0]))
    src = draw(loss).source
    assert "<B>Y</B>" in src and "input1" not in src


def test_first_nonfinite_value_is_highlighted_once() -> None:
    x = Tensor([1.0, -1.0, 2.0], requires_grad=True, name="x")
    with np.errstate(all="ignore"):
        y = x.log()  # nan at -1
        z = (y * 2.0).exp().sum()
    src = draw(z).source
    assert src.count("first non-finite value") == 1
    assert "1 NaN, 0 Inf" in label_of(src, "first non-finite value")
    assert " log " in label_of(src, "first non-finite value")


def loss_of(keep: list[Tensor]) -> Tensor:
    x = Tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True, name="x")
    w = Tensor([1.5, -0.5], requires_grad=True, name="w")
    h = x * w
    h.name = "h"
    keep += [x, w, h, h.tanh()]
    return (keep[-1] - 1.0).exp().sum()


def test_values_are_shown_while_the_program_holds_them_or_when_recorded() -> None:
    held: list[Tensor] = []
    with_all = draw(loss_of(held), show_data=True).source
    assert "0.635" in label_of(with_all, "tanh")  # tanh(0.5 * 1.5), shown with its values
    dropped: list[Tensor] = []
    root = loss_of(dropped)
    dropped[2:] = []  # the program lets go of h and tanh(h)
    src = draw(root, show_data=True).source
    assert "0.635" not in src and "value dropped" in label_of(src, "tanh")
    assert "mul" in label_of(src, " h ")  # the name given to a dropped tensor stays
    with record() as rec:  # kept until rec is dropped
        again: list[Tensor] = []
        root = loss_of(again)
        again[2:] = []
    recorded = draw(root, show_data=True).source  # recorded on purpose: all shown
    assert "0.635" in recorded and "value dropped" not in recorded
    assert "value dropped" in with_all  # the program never held (tanh(h) - 1)
    del rec
    assert "value dropped" in draw(root, show_data=True).source


def test_drawing_keeps_nothing_alive_and_changes_nothing() -> None:
    import weakref

    held: list[Tensor] = []
    root = loss_of(held)
    h_data = weakref.ref(held[2].data)
    before = [(v.shape, getattr(v, "saved", None) is None) for v in topo_order(root)]
    draw(root, show_data=True)
    root.backward()
    draw(root, notation="math").source  # noqa: B018
    del held[2:]
    assert h_data() is None  # h is freed: the drawings kept no reference to it
    assert [v.shape for v in topo_order(root)] == [s for s, _ in before]


def test_a_dropped_nonfinite_value_is_highlighted_when_recorded() -> None:
    x = Tensor([1.0, -1.0, 2.0], requires_grad=True, name="x")
    with np.errstate(all="ignore"), record() as rec:
        z = ((x.log()) * 2.0).exp().sum()  # log's output is never held by the program
    src = draw(z).source
    del rec
    assert src.count("first non-finite value") == 1
    assert " log " in label_of(src, "first non-finite value")
    with np.errstate(all="ignore"):
        z = ((x.log()) * 2.0).exp().sum()
    src = draw(z).source  # only the loss itself is known to be NaN, and it says so
    assert "first non-finite value among those kept" in label_of(src, " sum ")


def test_first_nonfinite_gradient_is_highlighted() -> None:
    x = Tensor([0.0, 4.0], requires_grad=True, name="x")
    y = x.sqrt()  # finite value, infinite gradient at 0
    z = y.sum()
    with np.errstate(all="ignore"):
        z.backward()
        src = draw(z).source
    assert "first non-finite value" not in src
    assert "first non-finite gradient" in label_of(src, " x ")
    assert "0 NaN, 1 Inf" in label_of(src, " x ")


class TwoLayer(Module):
    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.mlp = MLP([4, 8, 3], rng)

    def forward(self, x: Tensor) -> Tensor:
        return self.mlp(x).sum()


def test_group_modules_nests_clusters_with_dotted_names() -> None:
    model = MLP([4, 8, 3], np.random.default_rng(0))
    x = Tensor(np.ones((5, 4)), name="x")
    loss = (model(x) ** 2).mean()
    src = draw(loss).source
    assert "label=MLP" in src
    assert '"net: Sequential"' in src
    assert '"net.layers.0: Linear(4, 8)"' in src
    assert '"net.layers.1: ReLU"' in src
    assert '"net.layers.2: Linear(8, 3)"' in src
    # nesting: the Linear cluster opens inside the Sequential one, inside MLP's
    depth: dict[str, int] = {}
    level = 0
    for line in src.splitlines():
        if line.strip().startswith("subgraph cluster_"):
            level += 1
        found = re.search(r'fillcolor="#[0-9a-f]+" .*(label=(?:"[^"]*"|\S+))', line)
        if found and level and line.strip().startswith("color="):
            depth[found.group(1)] = level
        if line.strip() == "}":
            level -= 1
    assert depth["label=MLP"] == 1
    assert depth['label="net: Sequential"'] == 2
    assert depth['label="net.layers.0: Linear(4, 8)"'] == 3
    # parameters sit in their module's cluster and are named after it
    block = src.split('label="net.layers.0: Linear(4, 8)"')[1].split("}")[0]
    assert "net.layers.0.weight" in block and "net.layers.0.bias" in block
    # the loss ops ran outside any module: outside every cluster
    assert re.search(r"^\tn\d+ \[label=<<B>mean</B>", src, re.M)
    assert "subgraph cluster" not in draw(loss, group_modules=False).source


def test_math_notation_columns_are_samples() -> None:
    t = column_mlp()
    src = draw(t["J"], notation="math").source
    for name, shape in [
        ("W[1]  (", "(n[1], n[0]) = (8, 10)"),
        ("b[1]  (", "(n[1], 1) = (8, 1)"),
        ("Z[1] = add", "(n[1], m) = (8, 100)"),
        ("A[1] = sigmoid", "(n[1], m)"),
        ("W[2]  (", "(n[2], n[1]) = (3, 8)"),
        ("Z[2] = add", "(n[2], m)"),
        ("A[2] = sigmoid", "(n[2], m) = (3, 100)"),
        ("X  (", "(n[0], m)"),
        ("J = div", "()"),
    ]:
        assert shape in label_of(src, name), name
    assert "dW[1] (8, 10)" not in src  # no gradient before backward (the rules name it)
    t["J"].backward()
    src = draw(t["J"], notation="math").source
    assert "dW[1] (8, 10) norm" in src and "db[2] (3, 1) norm" in src
    assert "dW[2]A[1]" not in src and "d(W" not in src  # no gradient name reads as a product
    assert "dZ[2] (3, 100) norm" not in src  # not kept by backward (a recording shows it)


def test_math_notation_for_module_mlp_rows_are_samples() -> None:
    model = MLP([4, 8, 3], np.random.default_rng(0))
    x = Tensor(np.ones((5, 4)), name="x")
    src = draw((model(x) ** 2).mean(), notation="math").source
    assert "(n[1], n[0]) = (8, 4)" in label_of(src, "W[1]  (")
    assert "(n[2],) = (3,)" in label_of(src, "b[2]  (")
    assert "(m, n[1]) = (5, 8)" in label_of(src, "Z[1] = add")
    assert "A[1] = relu" in src
    assert "(m, n[0]) = (5, 4)" in label_of(src, "X  (")
    with pytest.raises(ValueError, match="notation"):
        draw(x, notation="latex")  # type: ignore[arg-type]


def chain(n: int) -> tuple[Tensor, Tensor]:
    x = Tensor(np.ones(3), requires_grad=True, name="x")
    y = x
    for _ in range(n // 2):
        y = y * 1.0001 + 0.5
    return x, y.sum()


def test_huge_chain_collapses_iteratively() -> None:
    x, loss = chain(100_000)
    limit = sys.getrecursionlimit()
    assert len(topo_order(loss)) > limit * 50  # far beyond any recursive traversal
    start = time.perf_counter()
    src = draw(loss, max_nodes=40).source
    elapsed = time.perf_counter() - start
    ids = node_ids(src)
    assert len(ids) <= 40
    # only the part near the output is read: 13 vertices, the rest summarised by its ops
    assert "... 99993 more ops" in src and "(mul -&gt; add) x 49996, then mul<" in src
    assert "<B>sum</B>" in src and "1.0001" in src  # the output; constants as written
    assert elapsed < 20
    x, loss = chain(2_000)  # smaller: read whole, folded into modules, chains, the rest
    src = draw(loss, max_nodes=40).source
    assert "(mul -&gt; add) x 1000<" in src and "2000 ops, 2000 leaves collapsed" in src
    assert "<B>x</B>" in src and "<B>sum</B>" in src  # input and output stay visible


def test_big_graphs_collapse_by_default_with_a_note_and_fast() -> None:
    _, loss = chain(100_000)
    start = time.perf_counter()
    src = draw(loss).source
    elapsed = time.perf_counter() - start
    assert len(node_ids(src)) <= 60
    assert "collapsed: 100001 ops, the 11 nearest" in src and "max_nodes=None" in src
    assert len(src) < 20_000
    assert elapsed < 1.5  # 0.07 s on a laptop, 0.3 s on a loaded 2-core machine
    small = column_mlp()["J"]
    assert "collapsed" not in draw(small).source


def test_large_graph_without_max_nodes_warns() -> None:
    _, loss = chain(6000)
    with pytest.warns(UserWarning, match="pass max_nodes="):
        draw(loss, max_nodes=None)


def test_modules_collapse_above_max_nodes() -> None:
    model = MLP([4, 8, 8, 8, 8, 3], np.random.default_rng(1))
    loss = (model(Tensor(np.ones((2, 4)))) ** 2).mean()
    full = node_ids(draw(loss, max_nodes=None).source)
    src = draw(loss, max_nodes=14).source
    assert len(node_ids(src)) <= 14 < len(full)
    assert "net.layers.0: Linear(4, 8)" in src and "ops, " in src and "leaves collapsed" in src
    # small limit: everything inside the model becomes one summary node
    tiny = draw(loss, max_nodes=4).source
    assert len(node_ids(tiny)) <= 4


def test_wide_graph_without_modules_or_chains_still_respects_max_nodes() -> None:
    xs = [Tensor(np.ones(2), requires_grad=True) for _ in range(60)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    src = draw(total.sum(), max_nodes=10).source
    assert len(node_ids(src)) <= 10
    assert "more nodes" in src or " x " in src


def test_draw_is_exported_and_tensor_draw_is_the_same() -> None:
    t = column_mlp()
    assert tinygrad_nn.draw(t["J"]).source == draw(t["J"]).source
    assert t["J"].draw(rankdir="LR").source == draw(t["J"], rankdir="LR").source
    assert "rankdir=LR" in draw(t["J"], rankdir="LR").source
    assert "rankdir=TB" in draw(t["J"]).source  # top to bottom by default: scrolls down


def test_linear_helper_matches_manual_formula() -> None:
    lin = Linear(3, 2, np.random.default_rng(0))
    x = Tensor(np.ones((4, 3)))
    np.testing.assert_allclose(lin(x).data, x.data @ lin.weight.data.T + lin.bias.data)


def test_drawing_a_large_mlp_keeps_no_memory_alive() -> None:
    """A drawing reads shapes and names: the intermediates the program dropped stay freed."""
    import gc
    import tracemalloc

    from tinygrad_nn import functional as F
    from tinygrad_nn import nn

    rng = np.random.default_rng(0)
    model = nn.MLP([256, 512, 512, 10], rng=rng)
    x = Tensor(rng.normal(size=(512, 256)).astype(np.float32), name="x")
    gc.collect()
    tracemalloc.start()
    try:
        loss = F.cross_entropy(model(x), rng.integers(0, 10, 512))
        loss.backward()  # releases what backward saved; the dropped intermediates are gone
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        draw(loss, show_data=True, notation="math").source  # noqa: B018
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 256 * 1024, (before, after)  # one activation alone is 1 MiB
