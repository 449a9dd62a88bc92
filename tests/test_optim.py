"""optim: updates checked by hand and against torch.optim (when torch is installed)."""

from __future__ import annotations

import copy
import math
import re
from typing import Any

import numpy as np
import pytest

from tinygrad_nn import Tensor, nn, optim


def _param(values: list[float], dtype: Any = np.float64) -> Tensor:
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def _set_grad(p: Tensor, g: np.ndarray) -> None:
    """Give p the gradient g (a Tensor without a graph, as in PyTorch)."""
    p.grad = Tensor(g)


def _grad(p: Tensor) -> np.ndarray | None:
    g = p.grad
    return None if g is None else (g.data if isinstance(g, Tensor) else np.asarray(g))


def test_sgd_plain_step_by_hand() -> None:
    p = _param([1.0, -2.0])
    opt = optim.SGD([p], lr=0.1)
    _set_grad(p, np.array([0.5, -1.0]))
    opt.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.05, -2.0 + 0.1])


def test_sgd_momentum_weight_decay_by_hand() -> None:
    p = _param([1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    _set_grad(p, np.array([2.0]))
    opt.step()  # g = 2 + 0.01*1 = 2.01; buf = 2.01; p = 1 - 0.201
    np.testing.assert_allclose(p.data, [0.799])
    _set_grad(p, np.array([2.0]))
    opt.step()  # g = 2 + 0.00799 = 2.00799; buf = 0.9*2.01 + 2.00799 = 3.81699; p -= 0.381699
    np.testing.assert_allclose(p.data, [0.799 - 0.381699])


def test_sgd_nesterov_by_hand() -> None:
    p = _param([0.0])
    opt = optim.SGD([p], lr=1.0, momentum=0.5, nesterov=True)
    _set_grad(p, np.array([1.0]))
    opt.step()  # buf = 1; step = g + 0.5*buf = 1.5
    np.testing.assert_allclose(p.data, [-1.5])
    _set_grad(p, np.array([1.0]))
    opt.step()  # buf = 0.5 + 1 = 1.5; step = 1 + 0.75 = 1.75
    np.testing.assert_allclose(p.data, [-3.25])


def test_adam_first_steps_by_hand() -> None:
    p = _param([1.0])
    opt = optim.Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    _set_grad(p, np.array([0.5]))
    opt.step()  # bias-corrected m/sqrt(v) = g/|g| = 1 on the first step
    np.testing.assert_allclose(p.data, [1.0 - 0.1 * 0.5 / (0.5 + 1e-8)])
    _set_grad(p, np.array([-1.0]))
    opt.step()
    m = 0.9 * 0.05 + 0.1 * -1.0
    v = 0.999 * 0.00025 + 0.001 * 1.0
    expected = p_before = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8)
    expected = p_before - 0.1 / (1 - 0.9**2) * m / (math.sqrt(v) / math.sqrt(1 - 0.999**2) + 1e-8)
    np.testing.assert_allclose(p.data, [expected], rtol=1e-12)


def test_adamw_decays_weights_directly() -> None:
    p = _param([2.0])
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    _set_grad(p, np.array([0.0]))  # zero gradient: only the decay moves p
    opt.step()
    np.testing.assert_allclose(p.data, [2.0 * (1 - 0.1 * 0.5)])
    q = _param([2.0])
    adam = optim.Adam([q], lr=0.1, weight_decay=0.5)
    _set_grad(q, np.array([0.0]))  # L2 in the gradient: g = 1, normalised step of lr
    adam.step()
    np.testing.assert_allclose(q.data, [2.0 - 0.1 * 1.0 / (1.0 + 1e-8)])


def test_updates_in_place_and_keep_float32() -> None:
    p = _param([1.0, 2.0], np.float32)
    data = p.data
    opts = [
        optim.SGD([p], lr=0.1, momentum=0.9),
        optim.Adam([p], amsgrad=True),
        optim.AdamW([p]),
        optim.RMSprop([p], momentum=0.5, centered=True),
        optim.Adagrad([p]),
    ]
    for opt in opts:
        _set_grad(p, np.array([0.1, 0.2], np.float32))
        opt.step()
        assert p.data is data and p.data.dtype == np.float32
        assert opt.state[p]  # has state
        for v in opt.state[p].values():
            if isinstance(v, np.ndarray):
                assert v.dtype == np.float32


def test_params_without_grad_are_skipped_and_zero_grad_clears() -> None:
    a, b = _param([1.0]), _param([1.0])
    opt = optim.SGD([a, b], lr=1.0)
    _set_grad(a, np.array([1.0]))
    opt.step()
    assert a.data[0] == 0.0 and b.data[0] == 1.0
    opt.zero_grad(set_to_none=False)
    assert _grad(a) is not None and not _grad(a).any() and b.grad is None  # type: ignore[union-attr]
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_frozen_parameters_are_accepted_and_skipped() -> None:
    # PyTorch lets model.parameters() include frozen ones: they get no grad, so no update
    model = nn.Linear(2, 2, rng=0)
    model.weight.requires_grad = False
    before = model.weight.data.copy()
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(Tensor(np.ones((3, 2), np.float32))).sum().backward()
    opt.step()
    np.testing.assert_array_equal(model.weight.data, before)
    assert model.bias is not None and model.bias.grad is not None


def test_optimizer_argument_errors() -> None:
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="parameter 0 is a ndarray, not a Tensor"):
        optim.SGD([np.zeros(2)], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="not a leaf"):
        optim.SGD([_param([1.0]) * 2], lr=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([_param([1.0])], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="got a dict"):
        optim.Adam(nn.MLP([2, 2], rng=0).state_dict())  # type: ignore[arg-type]
    p = _param([1.0])
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['momentun'\]"):
        optim.SGD([{"params": [p], "momentun": 0.9}], lr=0.1)


BAD_HYPERPARAMETERS = [
    ("SGD", {"lr": float("nan")}, "lr"),
    ("SGD", {"lr": -0.1}, "lr"),
    ("SGD", {"lr": float("inf")}, "lr"),
    ("SGD", {"lr": 0.1, "momentum": float("nan")}, "momentum"),
    ("SGD", {"lr": 0.1, "momentum": -0.5}, "momentum"),
    ("SGD", {"lr": 0.1, "weight_decay": float("nan")}, "weight_decay"),
    ("SGD", {"lr": 0.1, "dampening": float("-inf")}, "dampening"),
    ("Adam", {"lr": float("nan")}, "lr"),
    ("Adam", {"lr": -1e-3}, "lr"),
    ("Adam", {"betas": (1.0, 0.999)}, "betas[0]"),
    ("Adam", {"betas": (0.9, -0.1)}, "betas[1]"),
    ("Adam", {"betas": (0.9, float("nan"))}, "betas[1]"),
    ("Adam", {"eps": -1e-8}, "eps"),
    ("Adam", {"weight_decay": float("nan")}, "weight_decay"),
    ("AdamW", {"lr": float("nan")}, "lr"),
    ("AdamW", {"weight_decay": float("nan")}, "weight_decay"),
    ("AdamW", {"weight_decay": -0.01}, "weight_decay"),
    ("AdamW", {"betas": (0.9, 1.5)}, "betas[1]"),
    ("AdamW", {"eps": float("inf")}, "eps"),
    ("RMSprop", {"lr": float("nan")}, "lr"),
    ("RMSprop", {"alpha": 1.5}, "alpha"),
    ("RMSprop", {"alpha": float("nan")}, "alpha"),
    ("RMSprop", {"eps": -1.0}, "eps"),
    ("RMSprop", {"momentum": float("nan")}, "momentum"),
    ("RMSprop", {"weight_decay": -1.0}, "weight_decay"),
    ("Adagrad", {"lr": float("nan")}, "lr"),
    ("Adagrad", {"lr_decay": -0.1}, "lr_decay"),
    ("Adagrad", {"weight_decay": float("nan")}, "weight_decay"),
    ("Adagrad", {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    ("Adagrad", {"eps": float("nan")}, "eps"),
]


@pytest.mark.parametrize(("name", "kwargs", "arg"), BAD_HYPERPARAMETERS)
def test_hyperparameters_are_checked_finite_and_in_range(
    name: str, kwargs: dict[str, Any], arg: str
) -> None:
    (key, value), *_ = [(k, v) for k, v in kwargs.items() if arg.startswith(k)]
    shown = value if not isinstance(value, tuple) else value[int(arg[-2])]
    pattern = rf"^{name}: .*{re.escape(arg)}.*{re.escape(repr(shown))}"
    with pytest.raises(ValueError, match=pattern):
        getattr(optim, name)([_param([1.0])], **kwargs)
    # the same value in a param group is refused too
    good = _param([1.0])
    with pytest.raises(ValueError, match=pattern):
        getattr(optim, name)([{"params": [good], key: value}])


def test_nan_learning_rate_set_later_is_refused_at_step() -> None:
    p = _param([1.0])
    opt = optim.Adam([p])
    opt.param_groups[0]["lr"] = float("nan")
    _set_grad(p, np.array([1.0]))
    with pytest.raises(ValueError, match="Adam.step: invalid lr=nan"):
        opt.step()
    assert p.data[0] == 1.0
    with pytest.raises(ValueError, match="lr"):
        opt.lr = float("nan")


def test_param_groups_have_their_own_options_and_add_param_group() -> None:
    a, b, c = _param([1.0]), _param([1.0]), _param([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.0)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.0 and opt.param_groups[1]["params"] == [b]
    opt.add_param_group({"params": c, "lr": 1.0})
    for p in (a, b, c):
        _set_grad(p, np.array([1.0]))
    opt.step()
    assert [a.data[0], b.data[0], c.data[0]] == [0.9, 0.5, 0.0]
    with pytest.raises(ValueError, match="appears twice"):
        opt.add_param_group({"params": [a]})


def test_schedulers() -> None:
    opt = optim.SGD([_param([1.0])], lr=1.0)
    sched = optim.StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        sched.step()
        lrs.append(opt.lr)
    assert lrs == [1.0, 0.5, 0.5, 0.25, 0.25]
    opt = optim.SGD([_param([1.0])], lr=1.0)
    cos = optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    values = []
    for _ in range(4):
        cos.step()
        values.append(opt.lr)
    np.testing.assert_allclose(values[1], 0.55)
    np.testing.assert_allclose(values[-1], 0.1)


# ---- against torch.optim -------------------------------------------------------------------

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6, "maximize": True}),
]


def _torch_pair(torch: Any, rng: np.random.Generator) -> tuple[list[Tensor], list[Any]]:
    inits = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    ours = [Tensor(a.copy(), requires_grad=True) for a in inits]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in inits]
    return ours, theirs


def _give_grads(
    ours: list[Tensor], theirs: list[Any], rng: np.random.Generator, torch: Any
) -> None:
    for p, tp in zip(ours, theirs, strict=True):
        g = rng.standard_normal(p.shape)
        _set_grad(p, g.copy())
        tp.grad = torch.tensor(g.copy())


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_matches_torch_optim_over_50_steps(name: str, kwargs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours, theirs = _torch_pair(torch, rng)
    opt = getattr(optim, name)(ours, **kwargs)
    topt = getattr(torch.optim, name)(theirs, **kwargs, foreach=False)
    for _ in range(50):
        _give_grads(ours, theirs, rng, torch)
        opt.step()
        topt.step()
    for p, tp in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_param_groups_match_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    (a, b), (ta, tb) = _torch_pair(torch, rng)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.1, "betas": (0.5, 0.9)}], lr=0.01)
    topt = torch.optim.Adam(
        [{"params": [ta]}, {"params": [tb], "lr": 0.1, "betas": (0.5, 0.9)}], lr=0.01
    )
    for _ in range(50):
        _give_grads([a, b], [ta, tb], rng, torch)
        opt.step()
        topt.step()
    for p, tp in ((a, ta), (b, tb)):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)
    ours_keys = {k for g in opt.param_groups for k in g}
    torch_keys = {k for g in topt.param_groups for k in g}
    assert {"params", "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"} <= (
        ours_keys & torch_keys
    )


def test_mlp_training_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    import tinygrad_nn.functional as F

    rng = np.random.default_rng(1)
    X = rng.standard_normal((16, 3))
    y = rng.integers(0, 4, 16)
    model = nn.MLP([3, 5, 4], rng=0, dtype=np.float64)
    tmodel = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 4)
    ).double()
    tmodel.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01)
    topt = torch.optim.Adam(tmodel.parameters(), lr=0.01, weight_decay=0.01)
    for _ in range(5):
        loss = F.cross_entropy(model(Tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tloss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(X)), torch.tensor(y))
        topt.zero_grad()
        tloss.backward()
        topt.step()
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-12)
    for p, tp in zip(model.parameters(), tmodel.parameters(), strict=False):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_torch_optimizer_state_dict_loads_and_continues() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    ours, theirs = _torch_pair(torch, rng)
    topt = torch.optim.Adam(theirs, lr=0.01, foreach=False)
    for _ in range(5):
        _give_grads(ours, theirs, rng, torch)
        topt.step()
    for p, tp in zip(ours, theirs, strict=True):
        p.data[...] = tp.detach().numpy()
    opt = optim.Adam(ours, lr=0.5)
    opt.load_state_dict(topt.state_dict())
    assert opt.lr == 0.01
    for _ in range(5):
        _give_grads(ours, theirs, rng, torch)
        opt.step()
        topt.step()
    for p, tp in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


# ---- resuming: state_dict of model, optimiser and schedule --------------------------------

RESUME = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, None),
    ("Adam", {"lr": 0.01, "amsgrad": True}, ("StepLR", {"step_size": 3, "gamma": 0.5})),
    ("AdamW", {"lr": 0.01}, ("CosineAnnealingLR", {"T_max": 20, "eta_min": 1e-4})),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}, ("ExponentialLR", {"gamma": 0.9})),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}, ("MultiStepLR", {"milestones": [4, 12]})),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, ("OneCycleLR", {"max_lr": 0.5, "total_steps": 25})),
    (
        "Adam",
        {"lr": 0.01},
        ("OneCycleLR", {"max_lr": 0.05, "total_steps": 25, "three_phase": True}),
    ),
]


def _run(model: nn.Module, opt: optim.Optimizer, sched: Any, steps: range) -> None:
    import tinygrad_nn.functional as F

    for i in steps:
        rng = np.random.default_rng(i)
        x = Tensor(rng.standard_normal((8, 3)))
        y = rng.standard_normal((8, 2))
        opt.zero_grad()
        F.mse_loss(model(x), y).backward()
        opt.step()
        if sched is not None:
            sched.step()


def _setup(name: str, kwargs: dict[str, Any], sched_spec: Any) -> tuple[nn.Module, Any, Any]:
    model = nn.MLP([3, 6, 2], activation="tanh", rng=0, dtype=np.float64)
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    sched = None
    if sched_spec is not None:
        sched = getattr(optim.lr_scheduler, sched_spec[0])(opt, **sched_spec[1])
    return model, opt, sched


@pytest.mark.parametrize(("name", "kwargs", "sched_spec"), RESUME)
def test_training_resumes_bit_exactly_from_state_dicts(
    name: str, kwargs: dict[str, Any], sched_spec: Any
) -> None:
    straight, opt, sched = _setup(name, kwargs, sched_spec)
    _run(straight, opt, sched, range(20))

    first, opt1, sched1 = _setup(name, kwargs, sched_spec)
    _run(first, opt1, sched1, range(10))
    saved = {
        "model": first.state_dict(),
        "optimizer": copy.deepcopy(opt1.state_dict()),
        "scheduler": copy.deepcopy(sched1.state_dict()) if sched1 is not None else None,
    }
    _run(first, opt1, sched1, range(10, 13))  # keep going: the saved copies must not change

    resumed, opt2, sched2 = _setup(name, kwargs, sched_spec)
    resumed[0].weight.data[...] = 7.0  # type: ignore[union-attr] # garbage, overwritten by load
    resumed.load_state_dict(saved["model"])
    opt2.load_state_dict(saved["optimizer"])
    if sched2 is not None:
        sched2.load_state_dict(saved["scheduler"])
    _run(resumed, opt2, sched2, range(10, 20))
    for (n, a), (_, b) in zip(straight.named_parameters(), resumed.named_parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data, err_msg=n)
    assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]


def test_load_state_dict_errors_name_what_differs() -> None:
    a = _param([1.0, 2.0])
    opt = optim.Adam([a])
    _set_grad(a, np.array([1.0, 1.0]))
    opt.step()
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="param group 0 has 1 parameters in the saved state, 2"):
        optim.Adam([_param([1.0]), _param([2.0])]).load_state_dict(saved)
    with pytest.raises(
        ValueError,
        match=r"state 'exp_avg' of parameter 0 has shape \(2,\), "
        r"expected \(3,\)",
    ):
        optim.Adam([_param([1.0, 2.0, 3.0])]).load_state_dict(saved)
    with pytest.raises(ValueError, match="1 param groups, this optimiser 2"):
        optim.Adam([{"params": [_param([1.0])]}, {"params": [_param([1.0])]}]).load_state_dict(
            saved
        )
    bad = copy.deepcopy(saved)
    bad["param_groups"][0]["lr"] = float("nan")
    with pytest.raises(ValueError, match="Adam: lr must be finite"):
        optim.Adam([_param([1.0, 2.0])]).load_state_dict(bad)


# ---- schedules -------------------------------------------------------------------------------

SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 30], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("LambdaLR", {"lr_lambda": lambda e: 1.0 / (1 + e)}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 50}),
    (
        "OneCycleLR",
        {
            "max_lr": [0.5, 0.2],
            "epochs": 5,
            "steps_per_epoch": 10,
            "anneal_strategy": "linear",
            "three_phase": True,
        },
    ),
]


@pytest.mark.parametrize(("name", "kwargs"), SCHEDULES)
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_schedules_match_torch_over_50_steps(
    name: str, kwargs: dict[str, Any], opt_name: str
) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    (a, b), (ta, tb) = _torch_pair(torch, rng)
    extra = {"momentum": 0.9} if opt_name == "SGD" else {}
    opt = getattr(optim, opt_name)([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.3, **extra)
    topt = getattr(torch.optim, opt_name)(
        [{"params": [ta]}, {"params": [tb], "lr": 0.05}], lr=0.3, **extra
    )
    sched = getattr(optim.lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    steps = 49 if name == "OneCycleLR" else 50  # OneCycleLR refuses to step past total_steps
    for _ in range(steps):
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12)
        _give_grads([a, b], [ta, tb], rng, torch)
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    for p, tp in ((a, ta), (b, tb)):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)
    for g, tg in zip(opt.param_groups, topt.param_groups, strict=True):
        for key in ("lr", "momentum", "betas"):
            if key in tg:
                np.testing.assert_allclose(g[key], tg[key], rtol=1e-12)


BAD_SCHEDULES = [
    ("StepLR", {"step_size": 0}, "step_size"),
    ("StepLR", {"step_size": 2, "gamma": float("nan")}, "gamma"),
    ("MultiStepLR", {"milestones": [2, -1]}, "milestones"),
    ("MultiStepLR", {"milestones": 3}, "milestones"),
    ("MultiStepLR", {"milestones": [2], "gamma": float("inf")}, "gamma"),
    ("ExponentialLR", {"gamma": float("nan")}, "gamma"),
    ("ExponentialLR", {"gamma": -0.5}, "gamma"),
    ("CosineAnnealingLR", {"T_max": 0}, "T_max"),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": float("nan")}, "eta_min"),
    ("OneCycleLR", {"max_lr": float("nan"), "total_steps": 10}, "max_lr"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 0}, "total_steps"),
    ("OneCycleLR", {"max_lr": 0.1}, "total_steps"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.5}, "pct_start"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "div_factor": float("nan")}, "div_factor"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "exp"}, "anneal"),
    ("OneCycleLR", {"max_lr": [0.1, 0.2, 0.3], "total_steps": 10}, "max_lr"),
]


@pytest.mark.parametrize(("name", "kwargs", "arg"), BAD_SCHEDULES)
def test_schedule_arguments_are_checked(name: str, kwargs: dict[str, Any], arg: str) -> None:
    opt = optim.SGD([_param([1.0])], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=rf"^{name}: .*{arg}"):
        getattr(optim.lr_scheduler, name)(opt, **kwargs)


def test_lambda_schedule_giving_nan_is_refused() -> None:
    opt = optim.SGD([_param([1.0])], lr=0.1)
    sched = optim.lr_scheduler.LambdaLR(opt, lambda e: float("nan") if e == 2 else 1.0)
    sched.step()
    with pytest.raises(ValueError, match="LambdaLR: the learning rate of group 0 must be finite"):
        sched.step()


def test_one_cycle_needs_momentum_and_stops_at_total_steps() -> None:
    opt = optim.Adagrad([_param([1.0])])
    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimiser with momentum"):
        optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3, cycle_momentum=False)
    sched.step()
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match="tried to step 4 times; total_steps is 3"):
        sched.step()
