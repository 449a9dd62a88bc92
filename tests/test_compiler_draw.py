"""A compiled plan draws as the eager graph does, plus where each op runs in the plan."""

from __future__ import annotations

import gc
import weakref

import numpy as np

import tinygrad_nn as tn
import tinygrad_nn.functional as F
from tinygrad_nn import nn, optim


def _compiled_mlp() -> tuple[object, tn.Tensor, tn.Tensor, nn.Module]:
    tn.manual_seed(0)
    model = nn.MLP([3, 5, 2], activation="tanh")
    opt = optim.SGD(model.parameters(), lr=0.1)

    @tn.compile
    def step(X: tn.Tensor, y: tn.Tensor) -> tn.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
        return loss

    rng = np.random.default_rng(0)
    X = tn.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    y = tn.tensor(np.array([0, 1, 1, 0]))
    for _ in range(3):
        step(X, y)
    return step, X, y, model


def _labels(source: str) -> list[str]:
    return [line for line in source.splitlines() if "label=" in line]


def test_plan_draws_the_eager_graph_with_plan_lines() -> None:
    step, X, y, model = _compiled_mlp()
    plan = step.plan_for(X, y)  # type: ignore[attr-defined]
    drawn = plan.draw().source
    eager = F.cross_entropy(model(X), y).draw().source
    # the same operations (by name), the same number of edges
    for name in ("matmul", "add", "tanh", "cross_entropy"):
        assert drawn.count(f"<B>{name}</B>") == eager.count(f"<B>{name}</B>") > 0
    assert drawn.count("->") == eager.count("->")
    # and where each op runs: its forward and backward lines in plan.source
    lines = plan.source.splitlines()
    for n, op in plan.ops.items():
        if op.role == "transpose":  # W.T is drawn on its edge (rhs = weight^T), not as a node
            continue
        name = plan.op_names[n]
        forward = next(k + 1 for k, line in enumerate(lines) if f"{name}.forward(" in line)
        assert f"forward line {forward}" in drawn
    assert "output kept for backward until line" in drawn  # tanh keeps its output
    assert "compiled plan:" in drawn


def test_plan_keeps_no_batch_alive() -> None:
    step, X, y, _ = _compiled_mlp()
    batch = tn.tensor(np.ones((4, 3), np.float32))
    step(batch, y)  # a third call with the same shapes: a replay
    ref, array_ref = weakref.ref(batch), weakref.ref(batch.data)
    del batch
    gc.collect()
    assert ref() is None and array_ref() is None
    step.plan_for(X, y).draw()  # type: ignore[attr-defined]  # drawing needs no batch either
