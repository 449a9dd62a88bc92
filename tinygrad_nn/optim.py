"""Optimisers with PyTorch's exact update rules, updating `param.data` in place.

Notation: p parameter, g = p.grad.data, lr learning rate, t step count (from 1).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tinygrad_nn.autograd import Tensor


class Optimizer:
    """Base class: holds the parameters, per-parameter state and the hyper-parameters."""

    def __init__(self, params: Iterable[Tensor], lr: float, **hyper: Any) -> None:
        if isinstance(params, dict):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Tensors, got a dict; "
                "pass model.parameters()"
            )
        self.params: list[Tensor] = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        seen: set[int] = set()
        for i, p in enumerate(self.params):
            if not hasattr(p, "data") or not hasattr(p, "grad"):
                raise TypeError(
                    f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, not a Tensor"
                )
            if not getattr(p, "requires_grad", False):
                raise ValueError(
                    f"{type(self).__name__}: parameter {i} (name={getattr(p, 'name', None)!r}, "
                    f"shape {p.data.shape}) does not require grad"
                )
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: parameter {i} appears twice")
            seen.add(id(p))
        if lr < 0:
            raise ValueError(f"{type(self).__name__}: invalid learning rate {lr}")
        self.lr = float(lr)
        self.hyper = hyper
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Forget the gradients (set `.grad` to None) so the next backward starts from zero."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        for p, state in zip(self.params, self.state, strict=False):
            if p.grad is not None:
                self._update(p.data, np.asarray(p.grad.data, dtype=p.data.dtype), state)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and per-parameter state (copies), indexed by parameter position."""
        return {
            "lr": self.lr,
            "hyper": dict(self.hyper),
            "state": [
                {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                for s in self.state
            ],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` returned (for the same parameters, in the same order)."""
        name = type(self).__name__
        states = state_dict.get("state")
        if not isinstance(states, list) or len(states) != len(self.params):
            got = len(states) if isinstance(states, list) else type(states).__name__
            raise ValueError(
                f"{name}.load_state_dict: expected state for {len(self.params)} parameters, "
                f"got {got}"
            )
        for i, (p, s) in enumerate(zip(self.params, states, strict=False)):
            for k, v in s.items():
                if isinstance(v, np.ndarray) and v.shape != p.data.shape:
                    raise ValueError(
                        f"{name}.load_state_dict: state {k!r} of parameter {i} has shape "
                        f"{v.shape}, expected {p.data.shape}"
                    )
        self.lr = float(state_dict["lr"])
        self.hyper.update(state_dict.get("hyper", {}))
        self.state = [
            {
                k: (np.array(v, dtype=p.data.dtype) if isinstance(v, np.ndarray) else v)
                for k, v in s.items()
            }
            for p, s in zip(self.params, states, strict=False)
        ]

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v}" for k, v in self.hyper.items())
        return f"{type(self).__name__}({len(self.params)} params, lr={self.lr}, {hyper})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, Nesterov momentum, weight decay.

    g <- g + weight_decay * p
    buf <- g (first step), else momentum * buf + (1 - dampening) * g
    g <- g + momentum * buf (nesterov) or buf
    p <- p - lr * g
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        dampening: float = 0.0,
    ) -> None:
        if momentum < 0:
            raise ValueError(f"SGD: invalid momentum {momentum}")
        if weight_decay < 0:
            raise ValueError(f"SGD: invalid weight_decay {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov momentum requires momentum > 0 and dampening = 0")
        super().__init__(
            params,
            lr,
            momentum=momentum,
            weight_decay=weight_decay,
            nesterov=nesterov,
            dampening=dampening,
        )

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        h = self.hyper
        if h["weight_decay"]:
            g = g + h["weight_decay"] * p
        if h["momentum"]:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= h["momentum"]
                buf += (1.0 - h["dampening"]) * g
            g = g + h["momentum"] * buf if h["nesterov"] else buf
        p -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's formulation.

    g <- g + weight_decay * p            (L2 penalty; AdamW decays p directly instead)
    m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
    p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    decoupled = False

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"{type(self).__name__}: betas must be in [0, 1), got {betas}")
        if eps < 0 or weight_decay < 0:
            raise ValueError(
                f"{type(self).__name__}: eps and weight_decay must be >= 0, "
                f"got {eps}, {weight_decay}"
            )
        super().__init__(params, lr, betas=(b1, b2), eps=eps, weight_decay=weight_decay)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        h = self.hyper
        b1, b2 = h["betas"]
        if h["weight_decay"]:
            if self.decoupled:
                p *= 1.0 - self.lr * h["weight_decay"]
            else:
                g = g + h["weight_decay"] * p
        if "step" not in state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * (g * g)
        step_size = self.lr / (1.0 - b1**t)
        denom = np.sqrt(v) / math.sqrt(1.0 - b2**t) + h["eps"]
        p -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p * (1 - lr * weight_decay) before the Adam step."""

    decoupled = True

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


class LRScheduler:
    """Sets `optimizer.lr` from the epoch count; call `step()` once per epoch."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0

    def get_lr(self) -> float:
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self.optimizer.lr = self.get_lr()


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        super().__init__(optimizer)
        self.step_size = step_size
        self.gamma = gamma

    def get_lr(self) -> float:
        return self.base_lr * self.gamma ** (self.last_epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        super().__init__(optimizer)
        self.T_max = T_max
        self.eta_min = eta_min

    def get_lr(self) -> float:
        cos = math.cos(math.pi * self.last_epoch / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + cos) / 2.0
