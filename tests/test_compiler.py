"""tinygrad_nn.compile: a compiled step gives the eager step's results bit for bit.

Each check builds two copies of a network from the same seed, trains one eagerly and one
through ``compile`` on the same batches, and after every step compares the loss and every
parameter's data and .grad byte for byte (same dtype and shape too). Then: random graphs
(hypothesis), the guards (new shapes, dtypes and numbers make new plans), the steps that
cannot be compiled (each refused with an error saying why), memory, and the plan's source.
"""

from __future__ import annotations

import ast
import functools
import gc
import itertools
import re
import tracemalloc
import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_nn
import tinygrad_nn.functional as F
from tinygrad_nn import CompileError, Tensor, nn, no_grad, optim
from tinygrad_nn.compiler import MAX_PLANS

Step = Callable[..., Any]
Build = Callable[[], tuple[Step, list[Tensor]]]
Batches = Callable[[int], Sequence[Any]]

# ---------------------------------------------------------------------- comparing bits


def _assert_same_array(a: Any, b: Any, what: str) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} (eager) != {b.dtype} (compiled)"
    assert a.shape == b.shape, f"{what}: shape {a.shape} (eager) != {b.shape} (compiled)"
    if a.tobytes() != b.tobytes():
        with np.errstate(all="ignore"):
            diff = np.abs(a.astype(np.float64) - b.astype(np.float64)).max()
        raise AssertionError(f"{what}: the bits differ (max |eager - compiled| = {diff:.3e})")


def _leaves(obj: Any) -> list[Any]:
    if isinstance(obj, (tuple, list)):
        return [x for item in obj for x in _leaves(item)]
    if isinstance(obj, dict):
        return [x for k in sorted(obj) for x in _leaves(obj[k])]
    return [obj]


def _assert_same_result(eager: Any, compiled: Any, what: str) -> None:
    e, c = _leaves(eager), _leaves(compiled)
    assert len(e) == len(c), f"{what}: {len(e)} returned values (eager) != {len(c)}"
    for k, (x, y) in enumerate(zip(e, c, strict=True)):
        if isinstance(x, Tensor):
            assert isinstance(y, Tensor), f"{what}: returned value {k} is a {type(y).__name__}"
            _assert_same_array(x.data, y.data, f"{what}, returned value {k}")
        else:
            assert type(x) is type(y) and x == y, f"{what}: returned value {k}: {x!r} != {y!r}"


def _assert_same_params(eager: list[Tensor], compiled: list[Tensor], what: str) -> None:
    assert len(eager) == len(compiled)
    for k, (p, q) in enumerate(zip(eager, compiled, strict=True)):
        _assert_same_array(p.data, q.data, f"{what}, parameter {k} {p.shape}")
        if p.grad is None or q.grad is None:
            assert p.grad is None and q.grad is None, (
                f"{what}, parameter {k}: .grad is {p.grad!r} (eager) but {q.grad!r} (compiled)"
            )
        else:
            _assert_same_array(p.grad.data, q.grad.data, f"{what}, .grad of parameter {k}")


def _has_graph(result: Any) -> bool:
    return any(isinstance(x, Tensor) and x.grad_fn is not None for x in _leaves(result))


def _twin_args(batch: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """The batch for the eager copy (new tensors on copied arrays) and for the compiled one
    (the batch's own tensors); other arguments (numbers) go to both as they are."""
    eager: list[Any] = []
    compiled: list[Any] = []
    for x in batch:
        if isinstance(x, (Tensor, np.ndarray)):
            eager.append(Tensor(np.array(x.data if isinstance(x, Tensor) else x)))
            compiled.append(x if isinstance(x, Tensor) else Tensor(np.array(x)))
        else:
            eager.append(x)
            compiled.append(x)
    return eager, compiled


def run_twins(build: Build, batches: Batches, steps: int = 100, trains: bool = True,
              **options: Any) -> Any:
    """Train two copies from ``build()`` on ``batches(i)``, one eagerly and one compiled,
    and compare everything after each step; returns the compiled step. With ``trains``
    the parameters must have moved and stayed finite (there was something to compare)."""
    step_e, params_e = build()
    fn_c, params_c = build()
    _assert_same_params(params_e, params_c, "the two copies as built")
    initial = [p.data.copy() for p in params_c]
    step_c = tinygrad_nn.compile(fn_c, **options)
    args_c: list[Any] = []
    replays = 0
    for i in range(steps):
        args_e, args_c = _twin_args(batches(i))
        replay = step_c.plan_for(*args_c) is not None
        out_e = step_e(*args_e)
        out_c = step_c(*args_c)
        _assert_same_result(out_e, out_c, f"step {i}")
        _assert_same_params(params_e, params_c, f"step {i}")
        if replay:  # the returned tensors of a replay have no graph
            assert not _has_graph(out_c), f"step {i}: a replayed result has a graph"
        replays += replay
    # the comparison is about the plan: make sure it ran (not an eager fallback)
    assert replays >= steps - 2 * len(step_c.plans), f"only {replays} of {steps} replayed"
    assert step_c.plan_for(*args_c) is not None, "the compiled step made no plan"
    if trains:
        assert any(not np.array_equal(a, p.data)
                   for a, p in zip(initial, params_c, strict=True)), "no parameter changed"
        assert all(np.isfinite(p.data).all() for p in params_c), "a parameter is not finite"
    return step_c


def _normal_batches(*shapes: tuple[int, ...], dtype: Any = np.float64) -> Batches:
    """A different batch of standard normals at every step (the same for both copies)."""

    def batch(i: int) -> list[np.ndarray]:
        rng = np.random.default_rng(i)
        return [rng.standard_normal(s).astype(dtype) for s in shapes]

    return batch


def _labels(n: int, classes: int) -> np.ndarray:
    """Class labels that stay the same from step to step (the inputs change); the labels
    get new tensors at every call. Labels that change: test_changing_targets_*."""
    return np.random.default_rng(123).integers(0, classes, n)


def _train_step(model: Callable[[Tensor], Tensor], opt: optim.Optimizer,
                loss_fn: Callable[..., Tensor]) -> Step:
    def step(X: Tensor, y: Tensor) -> Tensor:
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
        return loss

    return step


# ---------------------------------------------------------------------- the examples' networks


def test_shapes_walkthrough_network_trains_bit_identically() -> None:
    from tinygrad_nn.examples import shapes_walkthrough as ex

    def build() -> tuple[Step, list[Tensor]]:
        Ws, bs, _, _ = ex.build(16, np.random.default_rng(0))
        opt = optim.SGD(Ws + bs, lr=0.5)

        def step(X: Tensor, Y: Tensor) -> Tensor:
            _, As = ex.forward(Ws, bs, X)
            J = ex.cost(As[-1], Y)
            opt.zero_grad()
            J.backward()
            opt.step()
            return J

        return step, Ws + bs

    def batch(i: int) -> list[np.ndarray]:
        rng = np.random.default_rng(i)
        return [rng.standard_normal((ex.SIZES[0], 16)), rng.random((ex.SIZES[-1], 16))]

    run_twins(build, batch)


def test_toy_1d_network_trains_bit_identically_on_changing_minibatches() -> None:
    from tinygrad_nn.examples import toy_1d as ex

    X, Y = ex.data()
    order = np.random.default_rng(1).permutation(X.shape[1])

    def build() -> tuple[Step, list[Tensor]]:
        params = ex.init_params(np.random.default_rng(0))
        opt = optim.SGD(params, lr=3.0)

        def step(Xb: Tensor, Yb: Tensor) -> Tensor:
            C = ex.quadratic_cost(ex.forward(Xb, *params), Yb)
            opt.zero_grad()
            C.backward()
            opt.step()
            return C

        return step, params

    def batch(i: int) -> list[np.ndarray]:
        cols = order[10 * i: 10 * i + 10]
        return [X[:, cols], Y[:, cols]]

    run_twins(build, batch)


@pytest.mark.parametrize("layout", ["columns", "nn.MLP rows"])
def test_nielsen_equivalence_networks_train_bit_identically(layout: str) -> None:
    from tinygrad_nn.examples import nielsen_equivalence as ex

    def build() -> tuple[Step, list[Tensor]]:
        weights, biases = ex.initial_weights(np.random.default_rng(0))
        forward: Callable[[Tensor], Tensor]
        if layout == "columns":
            params = [Tensor(a.copy(), requires_grad=True)
                      for pair in zip(weights, biases, strict=True) for a in pair]

            def forward(X: Tensor) -> Tensor:
                return ex.forward_columns(X, params)
        else:
            mlp = nn.MLP(ex.SIZES, activation="sigmoid", output_activation="sigmoid",
                         dtype=np.float64)
            for lin, w, b in zip([m for m in mlp if isinstance(m, nn.Linear)], weights, biases,
                                 strict=True):
                lin.weight.data[...] = w
                lin.bias.data[...] = b[:, 0]  # type: ignore[union-attr]
            params = list(mlp.parameters())
            forward = mlp
        opt = optim.SGD(params, lr=3.0)
        axis = 1 if layout == "columns" else 0

        def step(X: Tensor, Y: Tensor) -> Tensor:
            C = ex.quadratic_cost(forward(X), Y, axis)
            opt.zero_grad()
            C.backward()
            opt.step()
            return C

        return step, params

    x, y = tinygrad_nn.data.toy_sign(200)
    order = np.random.default_rng(2).permutation(200)

    def batch(i: int) -> list[np.ndarray]:
        rows = order[(10 * i) % 200: (10 * i) % 200 + 10]
        xb, yb = x[rows], (y[rows] + 1) / 2.0
        return [xb.T, yb.T] if layout == "columns" else [xb, yb]

    run_twins(build, batch)


def test_hidden_representations_network_trains_bit_identically_with_adam() -> None:
    from tinygrad_nn.examples import hidden_representations as ex

    X, Y = ex.dataset(64, 0)

    def build() -> tuple[Step, list[Tensor]]:
        params = ex.init_params(np.random.default_rng(0))
        opt = optim.Adam(params, lr=0.02)

        def step(Xb: Tensor, Yb: Tensor) -> Tensor:
            loss = ex.loss_of(Xb, Yb, params)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        return step, params

    run_twins(build, lambda i: [X, Y])  # full batch, as the example trains


def test_bce_three_layer_network_trains_bit_identically() -> None:
    from tinygrad_nn.examples import bce_three_layer as ex

    X, Y, _ = ex.make_problem(60, 10, 3, 6, np.random.default_rng(5))

    def build() -> tuple[Step, list[Tensor]]:
        _, _, params = ex.make_problem(60, 10, 3, 6, np.random.default_rng(5))
        opt = optim.SGD(params, lr=0.5)

        def step(Xb: Tensor, Yb: Tensor) -> Tensor:
            _, A2 = ex.forward(Xb, *params)
            cost = ex.cost_per_output(A2, Yb)  # (n_y,): one cost per output row
            opt.zero_grad()
            cost.sum().backward()
            opt.step()
            return cost

        return step, params

    run_twins(build, lambda i: [X, Y])  # batch gradient descent, as the example


def test_relu_softmax_network_trains_bit_identically_with_a_numpy_target() -> None:
    from tinygrad_nn.examples import relu_softmax as ex

    X, Y, _ = ex.tutorial_data_and_params()

    def build() -> tuple[Step, list[Tensor]]:
        params = [Tensor(p, requires_grad=True) for p in ex.tutorial_data_and_params()[2]]
        opt = optim.SGD(params, lr=0.5)

        def step(Xb: Tensor) -> Tensor:
            # Y is a NumPy array captured from outside, as in the example
            loss = F.cross_entropy(ex.forward(Xb, *params), Y, axis=0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss

        return step, params

    run_twins(build, lambda i: [X + 0.01 * i])


def _digits_run(label_smoothing: float) -> None:
    pytest.importorskip("sklearn")
    from tinygrad_nn.examples import digits_mlp as ex

    from tinygrad_nn.data import DataLoader

    Xtr, _, ytr, _ = ex.prepared_data(0)
    loader = DataLoader(Xtr, ytr, batch_size=32, shuffle=True, seed=0, drop_last=True)
    batches = itertools.chain.from_iterable(itertools.repeat(loader))

    def build() -> tuple[Step, list[Tensor]]:
        model = nn.MLP([64, 128, 64, 10], rng=np.random.default_rng(0))
        opt = optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = functools.partial(F.cross_entropy, label_smoothing=label_smoothing)
        return _train_step(model, opt, loss_fn), list(model.parameters())

    # the DataLoader's own tensors go to the compiled step, copies to the eager one
    run_twins(build, lambda i: list(next(batches)))


def test_digits_mlp_trains_bit_identically_on_dataloader_batches() -> None:
    _digits_run(label_smoothing=0.1)  # the example's loop


def test_digits_mlp_without_label_smoothing_trains_on_dataloader_batches() -> None:
    _digits_run(label_smoothing=0.0)


def test_dataloader_batches_train_bit_identically() -> None:
    from tinygrad_nn.data import DataLoader

    rng = np.random.default_rng(4)
    X = rng.standard_normal((96, 3)).astype(np.float32)
    Y = (X @ rng.standard_normal((3, 2))).astype(np.float32) + 0.1
    loader = DataLoader(X, Y, batch_size=16, shuffle=True, seed=1)
    batches = itertools.chain.from_iterable(itertools.repeat(loader))
    seen: list[Tensor] = []  # kept alive, so that their ids stay distinct

    def build() -> tuple[Step, list[Tensor]]:
        model = nn.MLP([3, 16, 2], activation="tanh", rng=0)
        opt = optim.Adam(model.parameters(), lr=0.01)
        return _train_step(model, opt, F.mse_loss), list(model.parameters())

    def batch(i: int) -> list[Tensor]:
        x, y = next(batches)
        seen.append(x)
        return [x, y]

    run_twins(build, batch)
    assert len({id(x) for x in seen}) == 100  # a new batch tensor at every call


# ---------------------------------------------------------------------- nn.MLP, losses, dtypes


def _mlp_problem(activation: str, loss: str, dtype: Any) -> tuple[Build, Batches]:
    n_out = 3 if loss == "cross_entropy" else 1
    labels = _labels(12, n_out if loss == "cross_entropy" else 2)
    target = labels if loss == "cross_entropy" else labels.reshape(12, 1).astype(dtype)

    def build() -> tuple[Step, list[Tensor]]:
        out_act = "sigmoid" if loss == "bce" else None
        model = nn.MLP([5, 8, 6, n_out], activation=activation, output_activation=out_act,
                       rng=0, dtype=dtype)
        opt = optim.SGD(model.parameters(), lr=0.1)
        loss_fn: Callable[..., Tensor] = getattr(F, {"cross_entropy": "cross_entropy",
                                                     "mse": "mse_loss",
                                                     "bce": "binary_cross_entropy"}[loss])
        return _train_step(model, opt, loss_fn), list(model.parameters())

    def batch(i: int) -> list[np.ndarray]:
        X = np.random.default_rng(i).standard_normal((12, 5)).astype(dtype)
        if loss == "mse":  # a regression target that changes with X
            return [X, np.sin(X[:, :1]) + X[:, 1:2]]
        return [X, target]

    return build, batch


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "bce"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_trains_bit_identically(activation: str, loss: str, dtype: Any) -> None:
    step = run_twins(*_mlp_problem(activation, loss, dtype))
    assert len(step.plans) == 1


TARGET_LOSSES: dict[str, tuple[Callable[..., Tensor], Any]] = {
    # loss, the target of a (6, 3) prediction at step i (as a function of a Generator)
    "mse_loss": (F.mse_loss, lambda rng: rng.standard_normal((6, 3))),
    "l1_loss": (F.l1_loss, lambda rng: rng.standard_normal((6, 3))),
    "cross_entropy": (F.cross_entropy, lambda rng: rng.integers(0, 3, 6)),
    "nll_loss": (lambda z, y: F.nll_loss(z.log_softmax(axis=1), y),
                 lambda rng: rng.integers(0, 3, 6)),
    "binary_cross_entropy": (lambda z, y: F.binary_cross_entropy(z.sigmoid(), y),
                             lambda rng: rng.integers(0, 2, (6, 3)).astype(np.float64)),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits,
                                         lambda rng: rng.random((6, 3))),
}


@pytest.mark.parametrize("name", list(TARGET_LOSSES))
def test_changing_targets_train_bit_identically(name: str) -> None:
    loss_fn, target = TARGET_LOSSES[name]

    def build() -> tuple[Step, list[Tensor]]:
        model = nn.MLP([4, 5, 3], rng=0, dtype=np.float64)
        opt = optim.SGD(model.parameters(), lr=0.1)
        return _train_step(model, opt, loss_fn), list(model.parameters())

    def batch(i: int) -> list[np.ndarray]:
        rng = np.random.default_rng(i)
        return [rng.standard_normal((6, 4)), target(rng)]

    run_twins(build, batch, steps=20)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_raw_tensors_with_manual_sgd_train_bit_identically(dtype: Any) -> None:
    labels = _labels(9, 2)

    def build() -> tuple[Step, list[Tensor]]:
        rng = np.random.default_rng(3)
        W1 = Tensor(rng.standard_normal((6, 4)).astype(dtype), requires_grad=True)
        b1 = Tensor(np.zeros(6, dtype), requires_grad=True)
        W2 = Tensor(rng.standard_normal((2, 6)).astype(dtype), requires_grad=True)
        b2 = Tensor(np.zeros(2, dtype), requires_grad=True)
        params = [W1, b1, W2, b2]

        def step(X: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
            for p in params:
                p.grad = None
            h = (X @ W1.T + b1).tanh()
            loss = F.cross_entropy(h @ W2.T + b2, y)
            loss.backward()
            with no_grad():
                for p in params:
                    p -= 0.1 * p.grad  # type: ignore[operator]
            return loss, W1.grad  # type: ignore[return-value]

        return step, params

    def batch(i: int) -> list[np.ndarray]:
        return [np.random.default_rng(i).standard_normal((9, 4)).astype(dtype), labels]

    run_twins(build, batch)


OPTIMIZERS: dict[str, Callable[[list[Tensor]], optim.Optimizer]] = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "SGD momentum": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
    "SGD nesterov": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "SGD weight_decay": lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.01),
    "SGD weight_decay momentum dampening": lambda ps: optim.SGD(
        ps, lr=0.1, weight_decay=0.01, momentum=0.5, dampening=0.1),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01),
    "Adam amsgrad weight_decay": lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True,
                                                       weight_decay=0.01),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.01),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01),
    "RMSprop centered momentum": lambda ps: optim.RMSprop(ps, lr=0.01, centered=True,
                                                          momentum=0.9),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.05, lr_decay=0.01),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizers_train_bit_identically(name: str, dtype: Any) -> None:
    labels = _labels(10, 3)

    def build() -> tuple[Step, list[Tensor]]:
        model = nn.MLP([4, 7, 3], activation="tanh", rng=1, dtype=dtype)
        opt = OPTIMIZERS[name](list(model.parameters()))
        return _train_step(model, opt, F.cross_entropy), list(model.parameters())

    def batch(i: int) -> list[np.ndarray]:
        return [np.random.default_rng(i).standard_normal((10, 4)).astype(dtype), labels]

    run_twins(build, batch)


@pytest.mark.parametrize("how", ["module.zero_grad()", "zero_grad(set_to_none=False)",
                                 "two backward() accumulate", "no zero_grad: across calls"])
def test_zero_grad_variants_and_accumulation_train_bit_identically(how: str) -> None:
    def build() -> tuple[Step, list[Tensor]]:
        model = nn.MLP([4, 5, 2], rng=2, dtype=np.float64)
        if how == "no zero_grad: across calls":  # the gradients grow: small steps
            opt = optim.SGD(model.parameters(), lr=0.001)
        else:
            opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

        def step(X: Tensor, y: Tensor) -> Tensor:
            if how == "module.zero_grad()":
                model.zero_grad()
            elif how == "zero_grad(set_to_none=False)":
                opt.zero_grad(set_to_none=False)
            elif how == "two backward() accumulate":
                opt.zero_grad()
                F.mse_loss(model(X).sum(axis=1, keepdims=True), y).backward()
            loss = F.mse_loss(model(X), y.expand(y.shape[0], 2))
            loss.backward()
            opt.step()
            return loss

        return step, list(model.parameters())

    run_twins(build, _normal_batches((6, 4), (6, 1)))


def test_lr_scheduler_stepped_outside_the_compiled_step_is_honoured() -> None:
    schedulers = []
    labels = _labels(8, 3)

    def build() -> tuple[Step, list[Tensor]]:
        model = nn.MLP([4, 6, 3], rng=0)
        opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
        schedulers.append(optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5))
        return _train_step(model, opt, F.cross_entropy), list(model.parameters())

    def batch(i: int) -> list[np.ndarray]:
        if i > 0:  # both copies finished step i - 1: the scheduler's epoch ends
            for s in schedulers:
                s.step()
        return [np.random.default_rng(i).standard_normal((8, 4)).astype(np.float32), labels]

    step = run_twins(build, batch, steps=40)
    assert len(step.plans) == 1  # one plan reads each new lr
    assert [s.optimizer.lr for s in schedulers] == [0.2 * 0.5 ** 5] * 2


def test_a_plan_reads_the_lr_when_it_runs() -> None:
    model = nn.MLP([3, 2], rng=0, dtype=np.float64)
    opt = optim.SGD(model.parameters(), lr=0.1)
    step = tinygrad_nn.compile(_train_step(model, opt, F.mse_loss))
    X, y = Tensor(np.ones((4, 3))), Tensor(np.zeros((4, 2)))
    for _ in range(3):
        step(X, y)
    assert step.plan_for(X, y) is not None
    w = model[0].weight
    before = w.data.copy()
    opt.lr = 0.0
    step(X, y)
    _assert_same_array(before, w.data, "the weight after a step with lr 0")
    opt.lr = 0.1
    step(X, y)
    assert not np.array_equal(before, w.data)


def test_float64_default_dtype_network_trains_bit_identically() -> None:
    previous = tinygrad_nn.get_default_dtype()
    tinygrad_nn.set_default_dtype(np.float64)
    try:
        def build() -> tuple[Step, list[Tensor]]:
            model = nn.MLP([5, 8, 1], rng=0)  # float64 from the default dtype
            assert model[0].weight.dtype == np.float64
            opt = optim.Adam(model.parameters(), lr=0.01)
            return _train_step(model, opt, F.mse_loss), list(model.parameters())

        run_twins(build, _normal_batches((12, 5), (12, 1)))
    finally:
        tinygrad_nn.set_default_dtype(previous)


def test_parameters_loaded_or_replaced_between_calls_are_used() -> None:
    def make() -> tuple[nn.MLP, Step]:
        model = nn.MLP([3, 4, 2], rng=0, dtype=np.float64)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return model, _train_step(model, opt, F.mse_loss)

    (model_e, step_e), (model_c, fn_c) = make(), make()
    step_c = tinygrad_nn.compile(fn_c)
    batch = _normal_batches((5, 3), (5, 2))
    for i in range(12):
        if i == 5:  # a checkpoint is loaded (in place)
            state = nn.MLP([3, 4, 2], rng=7, dtype=np.float64).state_dict()
            model_e.load_state_dict(state)
            model_c.load_state_dict(state)
        if i == 8:  # a new array is bound to a parameter
            for model in (model_e, model_c):
                model[0].weight.data = model[0].weight.data * 0.5
        args_e, args_c = _twin_args(batch(i))
        _assert_same_result(step_e(*args_e), step_c(*args_c), f"step {i}")
        _assert_same_params(list(model_e.parameters()), list(model_c.parameters()), f"step {i}")
    assert len(step_c.plans) == 1 and step_c.plan_for(*args_c) is not None


def test_keyword_arguments_and_input_gradients_are_bit_identical() -> None:
    def fn_of(W: Tensor) -> Step:
        def step(X: Tensor, *, scale: float) -> Tensor:
            W.grad = None
            loss = ((X @ W.T).tanh() * scale).sum()
            loss.backward()
            return loss

        return step

    W_e, W_c = (Tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
                for _ in range(2))
    step_e, step_c = fn_of(W_e), tinygrad_nn.compile(fn_of(W_c))
    for i in range(6):
        a = np.random.default_rng(i).standard_normal((4, 3))
        X_e, X_c = Tensor(a.copy(), requires_grad=True), Tensor(a.copy(), requires_grad=True)
        _assert_same_result(step_e(X_e, scale=0.5), step_c(X_c, scale=0.5), f"call {i}")
        _assert_same_array(X_e.grad.data, X_c.grad.data, f"call {i}: X.grad")  # type: ignore[union-attr]
        _assert_same_array(W_e.grad.data, W_c.grad.data, f"call {i}: W.grad")  # type: ignore[union-attr]
    assert step_c.plan_for(X_c, scale=0.5) is not None
    assert step_c.plan_for(Tensor(a), scale=0.5) is None  # requires_grad is part of the guard


def test_a_step_returning_the_input_gradient_compiles() -> None:
    W = Tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)

    @tinygrad_nn.compile
    def saliency(X: Tensor) -> tuple[Tensor, Any]:
        W.grad = None
        loss = (X @ W.T).tanh().sum()
        loss.backward()
        return loss, X.grad

    for i in range(3):
        a = np.random.default_rng(i).standard_normal((4, 3))
        _, dX = saliency(Tensor(a, requires_grad=True))
        X = Tensor(a.copy(), requires_grad=True)
        (X @ W.T).tanh().sum().backward()
        _assert_same_array(X.grad.data, dX.data, f"call {i}: dX")  # type: ignore[union-attr]


def test_switching_a_module_to_training_mode_is_not_silently_ignored() -> None:
    model = nn.Sequential(nn.Linear(4, 8, rng=0), nn.Dropout(0.5), nn.Linear(8, 2, rng=1))
    model.eval()
    opt = optim.SGD(model.parameters(), lr=0.1)
    step = tinygrad_nn.compile(_train_step(model, opt, F.mse_loss))
    X, y = Tensor(np.ones((3, 4), np.float32)), Tensor(np.zeros((3, 2), np.float32))
    for _ in range(3):
        step(X, y)
    model.train()  # dropout now draws random numbers: a step that does is refused
    with pytest.raises(CompileError, match="random numbers"):
        for _ in range(2):
            step(X, y)


# ---------------------------------------------------------------------- inference


def test_inference_under_no_grad_matches_eager_while_training_goes_on() -> None:
    labels = _labels(12, 3)

    def make() -> tuple[nn.Module, Step]:
        model = nn.MLP([5, 8, 6, 3], activation="tanh", rng=0)
        opt = optim.Adam(model.parameters(), lr=0.01)
        return model, _train_step(model, opt, F.cross_entropy)

    model_e, train_e = make()
    model_c, train_c_fn = make()
    train_c = tinygrad_nn.compile(train_c_fn)
    predict = tinygrad_nn.compile(model_c)  # what torch.compile(model) users write

    def predict_inside(X: Tensor) -> Tensor:
        with no_grad():
            return model_c(X).softmax(axis=1)

    predict_in = tinygrad_nn.compile(predict_inside)
    batch = _normal_batches((12, 5), dtype=np.float32)
    X_test = np.random.default_rng(9).standard_normal((7, 5)).astype(np.float32)
    for i in range(30):
        args_e, args_c = _twin_args([batch(i)[0], labels])
        _assert_same_result(train_e(*args_e), train_c(*args_c), f"training step {i}")
        with no_grad():
            out_e = model_e(Tensor(X_test.copy()))
            out_c = predict(Tensor(X_test.copy()))
            probs_e = model_e(Tensor(X_test.copy())).softmax(axis=1)
        _assert_same_result(out_e, out_c, f"prediction after step {i}")
        assert out_c.grad_fn is None
        _assert_same_result(probs_e, predict_in(Tensor(X_test.copy())),
                            f"prediction (no_grad inside) after step {i}")
    _assert_same_params(list(model_e.parameters()), list(model_c.parameters()), "the end")
    assert train_c.plan_for(*args_c) is not None
    assert predict.plan_for(Tensor(X_test)) is None  # its plan was made under no_grad
    with no_grad():
        assert predict.plan_for(Tensor(X_test)) is not None
    assert predict_in.plan_for(Tensor(X_test)) is not None


# ---------------------------------------------------------------------- random graphs

SHAPES = [(), (4,), (3, 4), (1, 4)]
UNARY: dict[str, Callable[[Tensor], Tensor]] = {
    "exp": lambda x: x.exp(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "neg": lambda x: -x,
    "square": lambda x: x.square(),
    "log": lambda x: (x.square() + 1.0).log(),  # of a positive value
    "sqrt": lambda x: (x.abs() + 0.5).sqrt(),
}
BINARY: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / (y.sigmoid() + 0.5),  # a denominator away from zero
}


def _broadcastable(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def _matmul_shape(a: tuple[int, ...], b: tuple[int, ...], transpose: bool
                  ) -> tuple[int, ...] | None:
    """The shape of a @ b (b.T if transpose), or None if they do not fit."""
    if not a or not b or (transpose and len(b) != 2):
        return None
    b = b[::-1] if transpose else b
    inner = b[0] if len(b) == 1 else b[-2]
    if a[-1] != inner:
        return None
    return tuple(np.matmul(np.zeros(a), np.zeros(b)).shape)


@st.composite
def programs(draw: Any) -> tuple[list[tuple[int, ...]], list[tuple[Any, ...]], str]:
    """Leaf shapes, instructions (each reads earlier values by index), the loss."""
    leaves = draw(st.lists(st.sampled_from(SHAPES), min_size=1, max_size=3))
    shapes = list(leaves)
    code: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["unary"] * 3 + ["binary"] * 3 + ["matmul", "view"]
                                    + ["reduce"] * 2))
        i = draw(st.integers(0, len(shapes) - 1))  # earlier values are reused: fan-out
        s = shapes[i]
        if kind == "binary":
            j = draw(st.sampled_from([j for j, t in enumerate(shapes) if _broadcastable(s, t)]))
            code.append(("binary", draw(st.sampled_from(list(BINARY))), i, j))
            shapes.append(np.broadcast_shapes(s, shapes[j]))
            continue
        if kind == "matmul":
            pairs = [(a, b, t) for a, b, t in itertools.product(range(len(shapes)),
                                                                  range(len(shapes)),
                                                                  (False, True))
                     if _matmul_shape(shapes[a], shapes[b], t) is not None]
            if pairs:
                a, b, t = draw(st.sampled_from(pairs))
                code.append(("matmul", a, b, t))
                shapes.append(_matmul_shape(shapes[a], shapes[b], t))  # type: ignore[arg-type]
                continue
            kind = "unary"
        if kind == "reduce":
            axis = draw(st.sampled_from([None, *range(len(s))]))
            keepdim = draw(st.booleans())
            code.append(("reduce", draw(st.sampled_from(["sum", "mean"])), i, axis, keepdim))
            out = np.empty(s).sum(axis=axis, keepdims=keepdim)
            shapes.append(np.shape(out))
            continue
        if kind == "view":
            size = int(np.prod(s))
            options: list[Any] = ["T"] if len(s) == 2 else []
            options += [(size,), (1, size), (size, 1), s[::-1]]
            target = draw(st.sampled_from(options))
            code.append(("view", i, target))
            shapes.append(s[::-1] if target == "T" else target)
            continue
        code.append(("unary", draw(st.sampled_from(list(UNARY))), i))
        shapes.append(s)
    return leaves, code, draw(st.sampled_from(["sum", "mean", "square mean"]))


def _run_program(code: list[tuple[Any, ...]], loss: str, leaves: list[Tensor]) -> Tensor:
    values: list[Tensor] = list(leaves)
    for ins in code:
        if ins[0] == "unary":
            values.append(UNARY[ins[1]](values[ins[2]]))
        elif ins[0] == "binary":
            values.append(BINARY[ins[1]](values[ins[2]], values[ins[3]]))
        elif ins[0] == "matmul":
            b = values[ins[2]]
            values.append(values[ins[1]] @ (b.T if ins[3] else b))
        elif ins[0] == "reduce":
            x = values[ins[2]]
            values.append(x.sum(axis=ins[3], keepdims=ins[4]) if ins[1] == "sum"
                          else x.mean(axis=ins[3], keepdims=ins[4]))
        else:
            x = values[ins[1]]
            values.append(x.T if ins[2] == "T" else x.reshape(*ins[2]))
    out = values[-1]
    if loss == "sum":
        return out.sum()
    if loss == "mean":
        return out.mean()
    return out.square().mean()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(), seed=st.integers(0, 2**16),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_random_graphs_compile_bit_identically(
    program: tuple[list[tuple[int, ...]], list[tuple[Any, ...]], str], seed: int, dtype: Any
) -> None:
    shapes, code, loss_kind = program

    def build() -> tuple[Step, list[Tensor]]:
        rng = np.random.default_rng(seed)
        leaves = [Tensor(rng.uniform(-1, 1, s).astype(dtype), requires_grad=True)
                  for s in shapes]

        def step() -> Tensor:
            for p in leaves:
                p.grad = None
            loss = _run_program(code, loss_kind, leaves)
            loss.backward()
            with no_grad():
                for p in leaves:
                    if p.grad is not None:
                        p -= 0.1 * p.grad.clamp(-1.0, 1.0)
            return loss

        return step, leaves

    with np.errstate(all="ignore"):  # exp of exp of ... may overflow: both sides alike
        run_twins(build, lambda i: [], steps=5, trains=False)



# ---------------------------------------------------------------------- guards


def test_a_new_input_shape_gets_its_own_plan_and_stays_bit_identical() -> None:
    def build() -> tuple[Step, list[Tensor]]:
        model = nn.MLP([3, 4, 2], rng=0, dtype=np.float64)
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return _train_step(model, opt, F.mse_loss), list(model.parameters())

    sizes = [8, 5, 1]

    def batch(i: int) -> list[np.ndarray]:
        rng = np.random.default_rng(i)
        m = sizes[(i // 2) % 3] if i < 6 else sizes[i % 3]  # two calls each, then mixed
        return [rng.standard_normal((m, 3)), rng.standard_normal((m, 2))]

    step = run_twins(build, batch, steps=30)
    plans = {m: step.plan_for(Tensor(np.ones((m, 3))), Tensor(np.ones((m, 2)))) for m in sizes}
    assert len(step.plans) == 3 and len({id(p) for p in plans.values()}) == 3
    assert all(p is not None for p in plans.values())


def test_a_dtype_change_gets_its_own_plan_and_stays_bit_identical() -> None:
    def build() -> tuple[Step, list[Tensor]]:
        model = nn.MLP([3, 4, 2], rng=0, dtype=np.float64)
        opt = optim.Adam(model.parameters(), lr=0.01)
        return _train_step(model, opt, F.mse_loss), list(model.parameters())

    def batch(i: int) -> list[np.ndarray]:
        rng = np.random.default_rng(i)
        dtype = np.float32 if (i // 2) % 2 == 0 else np.float64
        return [rng.standard_normal((5, 3)).astype(dtype), rng.standard_normal((5, 2))]

    step = run_twins(build, batch, steps=20)
    assert len(step.plans) == 2
    p32 = step.plan_for(Tensor(np.ones((5, 3), np.float32)), Tensor(np.ones((5, 2))))
    p64 = step.plan_for(Tensor(np.ones((5, 3))), Tensor(np.ones((5, 2))))
    assert p32 is not None and p64 is not None and p32 is not p64


def test_a_python_number_argument_that_changes_gets_a_new_plan() -> None:
    def build() -> tuple[Step, list[Tensor]]:
        W = Tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)

        def step(X: Tensor, y: Tensor, lr: float) -> Tensor:
            W.grad = None
            loss = F.mse_loss(X @ W.T, y)
            loss.backward()
            with no_grad():
                W.sub_(lr * W.grad)  # type: ignore[operator]
            return loss

        return step, [W]

    lrs = [0.1, 0.1, 0.02, 0.02, 0.1, 0.02, 0.02, 0.1]

    def batch(i: int) -> list[Any]:
        rng = np.random.default_rng(i)
        return [rng.standard_normal((4, 3)), rng.standard_normal((4, 2)), lrs[i % len(lrs)]]

    step = run_twins(build, batch, steps=24)
    X, y = Tensor(np.ones((4, 3))), Tensor(np.ones((4, 2)))
    assert len(step.plans) == 2
    assert step.plan_for(X, y, 0.1) is not step.plan_for(X, y, 0.02)
    assert step.plan_for(X, y, 0.5) is None


def test_more_than_max_plans_shapes_is_refused_naming_the_shape() -> None:
    W = Tensor(np.ones((2, 3)), requires_grad=True)

    @tinygrad_nn.compile
    def step(X: Tensor) -> Tensor:
        W.grad = None
        loss = (X @ W.T).sum()
        loss.backward()
        return loss

    for m in range(1, MAX_PLANS + 1):
        for _ in range(2):
            step(Tensor(np.ones((m, 3))))
    assert len(step.plans) == MAX_PLANS
    with pytest.raises(CompileError) as info:
        step(Tensor(np.ones((MAX_PLANS + 1, 3))))
    message = str(info.value)
    assert f"{MAX_PLANS} different argument shapes" in message
    assert f"({MAX_PLANS + 1}, 3)" in message and "float64" in message
    assert "step" in message  # the function's name
    # the plans it has keep working
    loss = step(Tensor(np.full((2, 3), 2.0)))
    assert loss.grad_fn is None and loss.item() == 24.0
    _assert_same_array(W.grad.data, np.full((2, 3), 4.0), "W.grad")  # type: ignore[union-attr]


def _twin_calls(fn_of: Callable[[list[Tensor]], Step], args: Batches,
                calls: int, compare: bool = True
                ) -> tuple[Any, Exception | None, list[Tensor], list[Tensor]]:
    """Run a step eagerly and compiled for ``calls`` calls or until the compiled one raises
    (the eager copy then runs that call too): (compiled step, error, params e, params c)."""
    def params() -> list[Tensor]:
        rng = np.random.default_rng(0)
        return [Tensor(rng.standard_normal((3, 4)), requires_grad=True),
                Tensor(rng.standard_normal(3), requires_grad=True)]

    params_e, params_c = params(), params()
    step_e, step_c = fn_of(params_e), tinygrad_nn.compile(fn_of(params_c))
    for i in range(calls):
        args_e, args_c = _twin_args(args(i))
        out_e = step_e(*args_e)
        try:
            out_c = step_c(*args_c)
        except CompileError as e:
            return step_c, e, params_e, params_c
        if compare:
            _assert_same_result(out_e, out_c, f"call {i}")
            _assert_same_params(params_e, params_c, f"call {i}")
    return step_c, None, params_e, params_c


def _loss_of(params: list[Tensor], X: Tensor) -> Tensor:
    W, b = params
    return ((X @ W.T + b).tanh() ** 2).mean()


def _sgd(params: list[Tensor], lr: float = 0.1) -> None:
    with no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad


def test_data_dependent_control_flow_is_refused_and_the_call_stands() -> None:
    def fn_of(params: list[Tensor]) -> Step:
        def step(X: Tensor) -> Tensor:
            for p in params:
                p.grad = None
            loss = _loss_of(params, X)
            if X.sum().item() > 0:  # the first call takes this branch, the second not
                loss = loss * 2.0
            loss.backward()
            _sgd(params)
            return loss

        return step

    signs = [1.0, -1.0]
    step, error, params_e, params_c = _twin_calls(
        fn_of, lambda i: [np.full((5, 4), signs[i] * 0.5)], calls=2)
    assert isinstance(error, CompileError), "the first call should have been refused"
    message = str(error)
    # refused at once: the branch needs a value the step computed, read into Python
    assert "reads a tensor's value into Python (item() of the output of 'sum'" in message
    assert "ran eagerly and its results stand" in message
    _assert_same_params(params_e, params_c, "after the refused call")  # it did run
    assert step.plans == {} and step._first == {}


def test_control_flow_on_python_state_is_refused_at_the_second_call() -> None:
    def fn_of(params: list[Tensor]) -> Step:
        calls: list[int] = []  # each twin its own counter

        def step(X: Tensor) -> Tensor:
            calls.append(1)
            for p in params:
                p.grad = None
            loss = _loss_of(params, X)
            if len(calls) % 2:  # a Python counter: the first call takes this branch
                loss = loss * 2.0
            loss.backward()
            _sgd(params)
            return loss

        return step

    step, error, params_e, params_c = _twin_calls(
        fn_of, lambda i: [np.full((5, 4), 0.5)], calls=3, compare=False)
    assert isinstance(error, CompileError), "the second call should have been refused"
    message = str(error)
    assert "did something else at its second call than at its first" in message
    counts = re.search(r"the first call did (\d+) operations and calls, the second (\d+)",
                       message)
    assert counts and int(counts[1]) == int(counts[2]) + 1, message  # the one multiply less
    assert "ran eagerly and its results stand" in message
    assert step.plans == {}


@pytest.mark.parametrize("where", ["tinygrad_nn.randn", "tinygrad_nn.rand_like",
                                   "F.dropout", "nn.Dropout"])
def test_random_numbers_in_the_step_are_refused(where: str) -> None:
    drop = nn.Dropout(0.5)
    drop.train()

    def fn_of(params: list[Tensor]) -> Step:
        def step(X: Tensor) -> Tensor:
            for p in params:
                p.grad = None
            h = X @ params[0].T
            if where == "tinygrad_nn.randn":
                h = h * tinygrad_nn.randn(*h.shape, dtype=h.dtype)
            elif where == "tinygrad_nn.rand_like":
                h = h + tinygrad_nn.rand_like(h)
            elif where == "F.dropout":
                h = F.dropout(h, 0.5, training=True)
            else:
                h = drop(h)
            loss = h.square().mean()
            loss.backward()
            _sgd(params)
            return loss

        return step

    tinygrad_nn.manual_seed(0)
    step, error, _, _ = _twin_calls(fn_of, lambda i: [np.ones((5, 4))], calls=3,
                                    compare=False)  # each copy draws its own numbers
    assert isinstance(error, CompileError)
    message = str(error)
    assert "random numbers" in message
    assert re.search(r"input 1 of operation \d+ \('(mul|add)'\) differs", message), message
    assert "shape (5, 3)" in message
    assert step.plans == {}


def test_numpy_code_on_data_is_refused_at_the_second_call_and_eager_results_stand() -> None:
    def fn_of(params: list[Tensor]) -> Step:
        def step(X: Tensor) -> Tensor:
            for p in params:
                p.grad = None
            loss = _loss_of(params, X)
            loss.backward()
            for p in params:
                p.data -= 0.1 * p.grad.data  # type: ignore[union-attr]  # unseen by the tracer
            return loss

        return step

    step, error, params_e, params_c = _twin_calls(fn_of, _normal_batches((5, 4)), calls=3)
    assert isinstance(error, CompileError), "the second call should have been refused"
    message = str(error)
    assert "does not reproduce the eager step" in message
    assert "the values of a tensor of shape (3, 4)" in message
    assert "NumPy code on .data" in message and "this call ran eagerly" in message
    _assert_same_params(params_e, params_c, "after the refused second call")
    assert step.plans == {}


def test_a_step_returning_loss_item_is_refused() -> None:
    def fn_of(params: list[Tensor]) -> Step:
        def step(X: Tensor) -> float:
            for p in params:
                p.grad = None
            loss = _loss_of(params, X)
            loss.backward()
            _sgd(params)
            return loss.item()  # type: ignore[no-any-return]

        return step

    _, error, params_e, params_c = _twin_calls(fn_of, _normal_batches((5, 4)), calls=3)
    assert isinstance(error, CompileError)
    message = str(error)
    assert "reads a tensor's value into Python (item() of the output of 'mean'" in message
    assert "Return the tensor and read it outside the step" in message and "loss.item()" in message
    _assert_same_params(params_e, params_c, "after the refused call")


def test_a_step_returning_item_is_never_replayed_with_a_stale_number() -> None:
    model = nn.MLP([4, 3], rng=0)
    X = Tensor(np.ones((2, 4), np.float32))
    evaluate = tinygrad_nn.compile(lambda X: model(X).sum().item())
    try:
        for _ in range(2):  # evaluated twice before training: the same value both times
            evaluate(X)
    except CompileError:
        return  # refusing such a step is a fine answer
    with no_grad():
        model[0].weight.mul_(0.5)  # training moved the weights
    try:
        value = evaluate(X)
    except CompileError:
        return
    assert value == model(X).sum().item()


def test_retain_grad_inside_the_step_is_refused() -> None:
    def fn_of(params: list[Tensor]) -> Step:
        def step(X: Tensor) -> Tensor:
            for p in params:
                p.grad = None
            h = X @ params[0].T
            h.retain_grad()
            loss = h.tanh().sum()
            loss.backward()
            _sgd(params)
            return loss

        return step

    _, error, params_e, params_c = _twin_calls(fn_of, _normal_batches((5, 4)), calls=3)
    assert isinstance(error, CompileError)
    assert "retain_grad() on an intermediate tensor" in str(error)
    assert "not supported" in str(error)
    _assert_same_params(params_e, params_c, "after the refused call")


def test_a_compiled_step_called_while_another_records_is_refused() -> None:
    W = Tensor(np.ones((2, 3)), requires_grad=True)

    @tinygrad_nn.compile
    def inner(X: Tensor) -> Tensor:
        W.grad = None
        loss = (X @ W.T).sum()
        loss.backward()
        return loss

    @tinygrad_nn.compile
    def outer(X: Tensor) -> Tensor:
        return inner(X) * 2.0

    with pytest.raises(CompileError, match="a compiled step was called while another one"):
        outer(Tensor(np.ones((4, 3))))
    assert inner.plans == {} and outer.plans == {}
    # the engine is left as it was: the inner step compiles on its own afterwards
    for _ in range(3):
        assert inner(Tensor(np.ones((4, 3)))).item() == 24.0
    assert inner.plan_for(Tensor(np.ones((4, 3)))) is not None


def test_detect_anomaly_runs_the_step_eagerly_with_the_same_results() -> None:
    def fn_of(params: list[Tensor]) -> Step:
        def step(X: Tensor) -> Tensor:
            for p in params:
                p.grad = None
            loss = _loss_of(params, X)
            loss.backward()
            _sgd(params)
            return loss

        return step

    params_e = [Tensor(np.ones((3, 4)) * 0.1, requires_grad=True),
                Tensor(np.zeros(3), requires_grad=True)]
    params_c = [Tensor(np.ones((3, 4)) * 0.1, requires_grad=True),
                Tensor(np.zeros(3), requires_grad=True)]
    step_e, step_c = fn_of(params_e), tinygrad_nn.compile(fn_of(params_c))
    batch = _normal_batches((5, 4))
    for i in range(6):
        args_e, args_c = _twin_args(batch(i))
        out_e = step_e(*args_e)
        with tinygrad_nn.detect_anomaly():
            out_c = step_c(*args_c)
        _assert_same_result(out_e, out_c, f"call {i}")
        _assert_same_params(params_e, params_c, f"call {i}")
        assert out_c.grad_fn is not None  # an eager result
    assert step_c.plans == {}
    with tinygrad_nn.detect_anomaly(), pytest.raises(FloatingPointError, match="'log'"):
        tinygrad_nn.compile(lambda X: (X - 1.0).log().sum())(Tensor(np.zeros(3)))


def test_compile_model_with_backward_outside_warns_and_stays_eager() -> None:
    def make() -> tuple[nn.Module, optim.Optimizer]:
        model = nn.MLP([4, 6, 2], rng=0)
        return model, optim.Adam(model.parameters(), lr=0.01)

    model_e, opt_e = make()
    model_c, opt_c = make()
    compiled = tinygrad_nn.compile(model_c)
    batch = _normal_batches((6, 4), (6, 2), dtype=np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(10):
            (X_e, y_e), (X_c, y_c) = _twin_args(batch(i))
            for model, opt, X, y in ((model_e, opt_e, X_e, y_e),
                                     (compiled, opt_c, X_c, y_c)):
                loss = F.mse_loss(model(X), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
            _assert_same_params(list(model_e.parameters()), list(model_c.parameters()),
                                f"step {i}")
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert messages, "compile(model) used for training should warn"
    assert all("MLP returns a tensor that still has a graph" in m and "runs eagerly" in m
               for m in messages), messages
    assert compiled.plans == {}


def test_verify_false_still_gives_bit_identical_results() -> None:
    build, batch = _mlp_problem("relu", "cross_entropy", np.float32)

    def build_adam() -> tuple[Step, list[Tensor]]:
        model = nn.MLP([5, 8, 6, 3], rng=0)
        opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01)
        return _train_step(model, opt, F.cross_entropy), list(model.parameters())

    for b in (build, build_adam):
        step = run_twins(b, batch, steps=30, verify=False)
        assert step.verify is False


# ---------------------------------------------------------------------- memory


def _small_mlp_step() -> tuple[Any, Callable[[int], tuple[Tensor, Tensor]]]:
    model = nn.MLP([8, 16, 4], rng=0)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    step = tinygrad_nn.compile(_train_step(model, opt, F.cross_entropy))
    rng = np.random.default_rng(0)
    pool = [rng.standard_normal((16, 8)).astype(np.float32) for _ in range(4)]
    labels = _labels(16, 4)

    def batch(i: int) -> tuple[Tensor, Tensor]:
        return Tensor(pool[i % 4]), Tensor(labels)

    return step, batch


def test_compiled_training_step_memory_is_flat_over_1000_steps() -> None:
    step, batch = _small_mlp_step()
    for i in range(20):  # recording, plan building, the first replays
        step(*batch(i))
    assert step.plan_for(*batch(0)) is not None
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(50):  # tracemalloc's own bookkeeping settles
            step(*batch(i))
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(1000):
            step(*batch(i))
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 3 * 1024, f"live memory grew by {after - before} bytes"


def test_a_batch_is_not_kept_alive_by_the_compiled_step() -> None:
    step, batch = _small_mlp_step()
    refs = []
    for i in range(6):  # calls 1 and 2 record, the plan is built, then replays
        X = Tensor(np.random.default_rng(i).standard_normal((16, 8)).astype(np.float32))
        y = Tensor(_labels(16, 4).copy())
        refs.append((i, weakref.ref(X), weakref.ref(X.data), weakref.ref(y)))
        loss = step(X, y)
        del X, y
        if i >= 2:  # replayed: dropping the batch frees it at once (no cycle, no cache)
            assert refs[-1][1]() is None and refs[-1][2]() is None and refs[-1][3]() is None
        del loss
    gc.collect()
    alive = [r[0] for r in refs if any(ref() is not None for ref in r[1:])]
    assert alive == [], f"the batches of calls {alive} are still alive"


# ---------------------------------------------------------------------- the plan's source


def test_the_plan_source_is_readable_python_with_one_forward_per_op() -> None:
    model = nn.MLP([5, 8, 3], rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    step = tinygrad_nn.compile(_train_step(model, opt, F.cross_entropy))
    X, y = Tensor(np.ones((4, 5), np.float32)), Tensor(_labels(4, 3))
    assert step.plan_for(X, y) is None
    for _ in range(3):
        step(X, y)
    plan = step.plan_for(X, y)
    assert plan is not None
    source = plan.source
    tree = ast.parse(source)  # valid Python
    assert [type(n).__name__ for n in tree.body] == ["FunctionDef"]
    # Linear: transpose, matmul, add (x2), ReLU, cross_entropy: 8 ops, all in the graph
    assert plan.n_ops == 8
    assert source.count(".forward(") == plan.n_ops
    assert len(re.findall(r"^\s+.*= o\d+\.backward\(", source, re.M)) == plan.n_ops
    assert source.count("\n") < 80 and max(len(line) for line in source.splitlines()) < 120
    first_forward = source.index(".forward(")
    assert first_forward < source.index(".backward(")  # forward first, then the sweep
    assert "def _step(a0, a1):" in source


def test_the_plan_source_of_a_manual_sgd_step_has_the_update_ops() -> None:
    params = [Tensor(np.ones((2, 3)), requires_grad=True)]

    @tinygrad_nn.compile
    def step(X: Tensor) -> Tensor:
        for W in params:
            W.grad = None
            loss = (X @ W.T).tanh().sum()
            loss.backward()
            with no_grad():
                W -= 0.1 * W.grad  # as the tutorials write it
        return loss

    X = Tensor(np.ones((4, 3)))
    for _ in range(3):
        step(X)
    plan = step.plan_for(X)
    assert plan is not None
    # forward: transpose, matmul, tanh, sum; update: 0.1 * grad (the -= is a traced call)
    assert plan.n_ops == 5
    assert plan.source.count(".forward(") == 5
    assert plan.source.count(".backward(") == 4


@pytest.mark.parametrize("clip", ["norm", "value"])
def test_gradient_clipping_in_the_step_replays(clip: str) -> None:
    from tinygrad_nn.nn.utils import clip_grad_norm_, clip_grad_value_

    def build() -> tuple[nn.Module, Any]:
        model = nn.MLP([4, 8, 3], rng=0)
        opt = optim.SGD(model.parameters(), lr=0.5)

        def step(X: Tensor, y: Tensor) -> Tensor:
            opt.zero_grad()
            loss = F.cross_entropy(model(X), y)
            loss.backward()
            if clip == "norm":  # a generator of parameters, as PyTorch code passes it
                clip_grad_norm_(model.parameters(), 0.05)
            else:
                clip_grad_value_(model.parameters(), 0.01)
            opt.step()
            return loss

        return model, step

    (m_e, step_e), (m_c, step_c) = build(), build()
    compiled = tinygrad_nn.compile(step_c)
    rng = np.random.default_rng(0)
    for i in range(6):
        X = rng.standard_normal((5, 4)).astype(np.float32)
        y = rng.integers(0, 3, 5)
        loss_e = step_e(Tensor(X), Tensor(y))
        loss_c = compiled(Tensor(X.copy()), Tensor(y.copy()))
        assert loss_e.data.tobytes() == loss_c.data.tobytes(), i
        for p_e, p_c in zip(m_e.parameters(), m_c.parameters(), strict=True):
            assert p_e.data.tobytes() == p_c.data.tobytes(), i
    assert len(compiled.plans) == 1


def test_masks_and_indices_made_in_the_step_follow_each_call() -> None:
    """Comparisons, argmax and casts of the step's own tensors are recomputed every call,
    even when the first two calls gave the same mask (a plan never freezes them)."""
    model = nn.Linear(3, 2, rng=0)

    @tinygrad_nn.compile
    def stats(X: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        with tinygrad_nn.no_grad():
            out = model(X)
            positive = (out > 0).float().sum()
            return positive, out.argmax(dim=1), (X < 0).any()

    same = Tensor(np.ones((4, 3), np.float32))
    for _ in range(2):  # the same batch twice: equal masks at both recordings
        stats(same)
    for seed in range(4):
        X = Tensor(np.random.default_rng(seed).standard_normal((4, 3)).astype(np.float32))
        positive, index, any_negative = stats(X)
        with tinygrad_nn.no_grad():
            out = model(X)
        assert positive.item() == float((out.data > 0).sum())
        assert np.array_equal(index.data, out.data.argmax(axis=1))
        assert any_negative.item() == bool((X.data < 0).any())
    assert len(stats.plans) == 1


def test_an_index_array_of_the_call_is_refused_not_frozen() -> None:
    W = Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)

    @tinygrad_nn.compile
    def step(X: Tensor) -> Tensor:
        W.grad = None
        values, _ = (X @ W).max(dim=1)  # max(dim) gathers at indices of this call
        loss = values.sum()
        loss.backward()
        return loss

    X = Tensor(np.ones((2, 3)))
    step(X)
    with pytest.raises(CompileError, match=r"the index= of 'gather' is an array of this call"):
        step(X)


def _saliency_step() -> tuple[Any, list[Tensor], list[np.ndarray]]:
    W = Tensor(np.random.default_rng(0).standard_normal((3, 6)), requires_grad=True)

    @tinygrad_nn.compile
    def saliency(X: Tensor) -> Any:  # d(loss)/dX: it depends on this call's batch alone
        W.grad = None
        loss = ((X @ W).tanh() ** 2).sum()
        loss.backward()
        return X.grad

    batches = [np.random.default_rng(i).standard_normal((8, 3)) for i in range(8)]
    expected = []
    for a in batches:
        X = Tensor(a, requires_grad=True)
        ((X @ W).tanh() ** 2).sum().backward()
        expected.append(X.grad.data.copy())  # type: ignore[union-attr]
    return saliency, [Tensor(a, requires_grad=True) for a in batches], expected


def _race(step: Any, batches: list[Tensor], expected: list[np.ndarray]) -> list[int]:
    import sys
    import threading

    wrong: list[Any] = []

    def work() -> None:
        own = [Tensor(X.data.copy(), requires_grad=True) for X in batches]  # this thread's
        try:
            for _ in range(40):
                for k, X in enumerate(own):
                    X.grad = None
                    dX = step(X)
                    if dX.data.tobytes() != expected[k].tobytes():
                        wrong.append(k)
        except Exception as e:  # a mixed-up call may also fail outright
            wrong.append(repr(e))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    return wrong


def test_two_threads_share_one_compiled_step() -> None:
    """Calls from two threads take turns (a plan's ops hold what forward saved for
    backward), so every input gradient is the eager one of the same batch."""
    step, batches, expected = _saliency_step()
    for X in batches[:3]:  # record and check the plan first
        X.grad = None
        step(X)
    assert _race(step, batches, expected) == []


def test_without_the_lock_two_threads_would_mix_their_saved_values() -> None:
    """The check above can fail: with the lock taken away, the threads' calls interleave."""
    import contextlib

    step, batches, expected = _saliency_step()
    for X in batches[:3]:
        X.grad = None
        step(X)
    step._lock = contextlib.nullcontext()
    assert _race(step, batches, expected) != []
