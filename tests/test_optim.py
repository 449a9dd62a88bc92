"""optim: updates checked by hand and against torch.optim (when torch is installed)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from tinygrad_nn import Tensor, nn, optim


def _param(values: list[float], dtype: Any = np.float64) -> Tensor:
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def test_sgd_plain_step_by_hand() -> None:
    p = _param([1.0, -2.0])
    opt = optim.SGD([p], lr=0.1)
    p.grad = Tensor(np.array([0.5, -1.0]))
    opt.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.05, -2.0 + 0.1])


def test_sgd_momentum_weight_decay_by_hand() -> None:
    p = _param([1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    p.grad = Tensor(np.array([2.0]))
    opt.step()  # g = 2 + 0.01*1 = 2.01; buf = 2.01; p = 1 - 0.201
    np.testing.assert_allclose(p.data, [0.799])
    p.grad = Tensor(np.array([2.0]))
    opt.step()  # g = 2 + 0.00799 = 2.00799; buf = 0.9*2.01 + 2.00799 = 3.81699; p -= 0.381699
    np.testing.assert_allclose(p.data, [0.799 - 0.381699])


def test_sgd_nesterov_by_hand() -> None:
    p = _param([0.0])
    opt = optim.SGD([p], lr=1.0, momentum=0.5, nesterov=True)
    p.grad = Tensor(np.array([1.0]))
    opt.step()  # buf = 1; step = g + 0.5*buf = 1.5
    np.testing.assert_allclose(p.data, [-1.5])
    p.grad = Tensor(np.array([1.0]))
    opt.step()  # buf = 0.5 + 1 = 1.5; step = 1 + 0.75 = 1.75
    np.testing.assert_allclose(p.data, [-3.25])


def test_adam_first_steps_by_hand() -> None:
    p = _param([1.0])
    opt = optim.Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    p.grad = Tensor(np.array([0.5]))
    opt.step()  # bias-corrected m/sqrt(v) = g/|g| = 1 on the first step
    np.testing.assert_allclose(p.data, [1.0 - 0.1 * 0.5 / (0.5 + 1e-8)])
    p.grad = Tensor(np.array([-1.0]))
    opt.step()
    m = 0.9 * 0.05 + 0.1 * -1.0
    v = 0.999 * 0.00025 + 0.001 * 1.0
    expected = p_before = 1.0 - 0.1 * 0.5 / (0.5 + 1e-8)
    expected = p_before - 0.1 / (1 - 0.9**2) * m / (math.sqrt(v) / math.sqrt(1 - 0.999**2) + 1e-8)
    np.testing.assert_allclose(p.data, [expected], rtol=1e-12)


def test_adamw_decays_weights_directly() -> None:
    p = _param([2.0])
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = Tensor(np.array([0.0]))  # zero gradient: only the decay moves p
    opt.step()
    np.testing.assert_allclose(p.data, [2.0 * (1 - 0.1 * 0.5)])
    q = _param([2.0])
    adam = optim.Adam([q], lr=0.1, weight_decay=0.5)
    q.grad = Tensor(np.array([0.0]))  # L2 in the gradient: g = 1, normalised step of lr
    adam.step()
    np.testing.assert_allclose(q.data, [2.0 - 0.1 * 1.0 / (1.0 + 1e-8)])


def test_updates_in_place_and_keep_float32() -> None:
    p = _param([1.0, 2.0], np.float32)
    data = p.data
    for opt in (optim.SGD([p], lr=0.1, momentum=0.9), optim.Adam([p]), optim.AdamW([p])):
        p.grad = Tensor(np.array([0.1, 0.2], np.float32))
        opt.step()
        assert p.data is data and p.data.dtype == np.float32
        for s in opt.state:
            for v in s.values():
                if isinstance(v, np.ndarray):
                    assert v.dtype == np.float32


def test_params_without_grad_are_skipped_and_zero_grad_clears() -> None:
    a, b = _param([1.0]), _param([1.0])
    opt = optim.SGD([a, b], lr=1.0)
    a.grad = Tensor(np.array([1.0]))
    opt.step()
    assert a.data[0] == 0.0 and b.data[0] == 1.0
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_optimizer_argument_errors() -> None:
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="does not require grad"):
        optim.SGD([Tensor(np.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([_param([1.0])], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="got a dict"):
        optim.Adam(nn.MLP([2, 2], rng=0).state_dict())  # type: ignore[arg-type]
    p = _param([1.0])
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([p, p], lr=0.1)


def test_state_dict_round_trip_continues_identically() -> None:
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(3) for _ in range(6)]
    a = _param([1.0, 2.0, 3.0])
    opt_a = optim.Adam([a], lr=0.01)
    for g in grads[:3]:
        a.grad = Tensor(g)
        opt_a.step()
    saved, saved_p = opt_a.state_dict(), a.data.copy()
    for g in grads[3:]:
        a.grad = Tensor(g)
        opt_a.step()
    b = Tensor(saved_p, requires_grad=True)
    opt_b = optim.Adam([b], lr=0.5)
    opt_b.load_state_dict(saved)
    assert opt_b.lr == 0.01
    for g in grads[3:]:
        b.grad = Tensor(g)
        opt_b.step()
    np.testing.assert_array_equal(a.data, b.data)
    with pytest.raises(ValueError, match="expected state for 2 parameters, got 1"):
        optim.Adam([_param([1.0]), _param([2.0])]).load_state_dict(saved)


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
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.3}),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_matches_torch_optim_over_steps(name: str, kwargs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    init = rng.standard_normal((3, 4))
    ours = Tensor(init.copy(), requires_grad=True)
    theirs = torch.tensor(init.copy(), requires_grad=True)
    opt = getattr(optim, name)([ours], **kwargs)
    topt = getattr(torch.optim, name)([theirs], **kwargs)
    for _ in range(10):
        g = rng.standard_normal((3, 4))
        ours.grad = Tensor(g.copy())
        theirs.grad = torch.tensor(g.copy())
        opt.step()
        topt.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


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
    with torch.no_grad():
        for (_, p), tp in zip(model.named_parameters(), tmodel.parameters(), strict=False):
            tp.copy_(torch.tensor(p.data))
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


def test_schedulers_match_torch() -> None:
    torch = pytest.importorskip("torch")
    w = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([w], lr=0.3)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=7, eta_min=0.01)
    opt = optim.SGD([_param([0.0])], lr=0.3)
    sched = optim.CosineAnnealingLR(opt, T_max=7, eta_min=0.01)
    for _ in range(10):
        topt.step()
        tsched.step()
        sched.step()
        np.testing.assert_allclose(opt.lr, topt.param_groups[0]["lr"], rtol=1e-9)
