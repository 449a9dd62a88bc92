"""Optimisers with PyTorch's exact update rules, updating `param.data` in place.

Notation: p parameter, g = p.grad.data, lr learning rate, t step count (from 1). Each optimiser
keeps PyTorch's `param_groups` (a list of dicts: "params" plus that group's options) and its
per-parameter state under PyTorch's names (`momentum_buffer`, `exp_avg`, ...), so
`state_dict()` has PyTorch's layout. Every hyper-parameter is checked finite and in range.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from tinygrad_nn.autograd import Tensor, enable_grad, mark_modified, traced

Params = Iterable[Tensor] | Iterable[dict[str, Any]]


def _to_numpy(v: Any) -> np.ndarray:
    """A copy of a saved state value: an array, a Tensor or a torch tensor."""
    if isinstance(v, Tensor):
        return v.data.copy()
    if type(v).__module__.startswith("torch") and hasattr(v, "detach"):
        return np.array(v.detach().cpu().numpy())
    return np.array(v)


def _number(where: str, name: str, value: Any) -> float:
    """`value` as a finite float, or a ValueError naming the optimiser and the argument."""
    if isinstance(value, bool) or isinstance(value, str):
        raise ValueError(f"{where}: {name} must be a number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{where}: {name} must be finite, got {name}={value!r}")
    return x


def check_range(
    where: str,
    name: str,
    value: Any,
    low: float | None = 0.0,
    high: float | None = None,
    high_open: bool = False,
) -> float:
    """A finite float in [low, high] (or [low, high)), else a ValueError saying so."""
    x = _number(where, name, value)
    if (low is not None and x < low) or (
        high is not None and (x > high or (high_open and x == high))
    ):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        bracket = ")" if high_open or high is None else "]"
        raise ValueError(
            f"{where}: invalid {name}={value!r}: expected a value in [{lo}, {hi}{bracket}"
        )
    return x


class Optimizer:
    """Base class: parameter groups, per-parameter state, `step`, `zero_grad`, state dicts.

    `params` is an iterable of Tensors, or of dicts {"params": [...], option: value} whose
    options override the constructor's defaults for that group (PyTorch's param groups).
    """

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, (Tensor, dict)):
            raise TypeError(
                f"{name}: params must be an iterable of Tensors or of param-group dicts, got a "
                f"{type(params).__name__}; pass model.parameters()"
            )
        self.defaults = dict(defaults)
        self._validate(self.defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups: list[Any] = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---- groups --------------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group {"params": ..., options}; options it leaves out take the defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}: a param group must be a dict, got {type(param_group).__name__}"
            )
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError(f"{name}: a param group needs a 'params' entry")
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        if isinstance(params, set):
            raise TypeError(f"{name}: params in a group must be an ordered sequence, not a set")
        for i, p in enumerate(group["params"]):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: parameter {i} (shape {p.data.shape}) is not a leaf (it was "
                    "computed from other tensors); optimise the leaves it came from"
                )
        unknown = sorted(
            set(group)
            - set(self.defaults)
            - {"params", "initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"}
        )
        if unknown:
            raise TypeError(f"{name}: unknown option(s) {unknown} in a param group")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._validate(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        ids = [id(p) for p in group["params"]]
        if len(set(ids)) != len(ids) or seen & set(ids):
            raise ValueError(f"{name}: a parameter appears twice (in one or more param groups)")
        self.param_groups.append(group)

    def _validate(self, group: dict[str, Any]) -> None:
        """Check the group's options (each optimiser checks its own)."""
        group["lr"] = check_range(type(self).__name__, "lr", group["lr"])

    @property
    def params(self) -> list[Tensor]:
        """Every parameter, group after group."""
        return [p for g in self.param_groups for p in g["params"]]

    @property
    def lr(self) -> float:
        """The first group's learning rate (setting it sets every group's)."""
        return float(self.param_groups[0]["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        value = check_range(type(self).__name__, "lr", value)
        for g in self.param_groups:
            g["lr"] = value

    # ---- stepping ------------------------------------------------------------------------

    @traced
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients (`.grad = None`, or zeros in place with set_to_none=False)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p._grad is None:
                    p._grad = None  # (the .grad setter's checks are for a gradient, not None)
                else:
                    p._grad.data[...] = 0

    @traced
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient; `closure` (re-evaluating
        the loss, as PyTorch's) is called first and its value returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr = group["lr"]
            if not math.isfinite(lr) or lr < 0:
                raise ValueError(f"{type(self).__name__}.step: invalid lr={lr!r} in a param group")
            updated = self._step_group(group)
            if updated:  # graphs recorded before this step can no longer backward
                mark_modified(*updated)
        return loss

    def _step_group(self, group: dict[str, Any]) -> list[Tensor]:
        """Update the parameters of the group that have a gradient, each by ``_update``."""
        maximize = group.get("maximize")
        updated = []
        for p in group["params"]:
            grad = p._grad  # a Tensor of p's shape and dtype (the .grad setter checks both)
            if grad is None:
                continue
            g = -grad.data if maximize else grad.data
            self._update(p.data, g, self.state.setdefault(p, {}), group)
            updated.append(p)
        return updated

    def _update(
        self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    # ---- state ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: {"state": {index: {name: value}}, "param_groups": [{options,
        "params": [indices]}]}, parameters numbered in group order; arrays are copies."""
        index = {id(p): i for i, p in enumerate(self.params)}
        groups = []
        for g in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in g.items() if k != "params"}
            packed["params"] = [index[id(p)] for p in g["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` returned (same groups, same parameter shapes), so
        training continues exactly where it stopped. Torch optimiser state dicts load too."""
        name = f"{type(self).__name__}.load_state_dict"
        groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if not isinstance(groups, list) or "state" not in state_dict:
            raise ValueError(f"{name}: expected a dict with 'state' and 'param_groups'")
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: the saved state has {len(groups)} param groups, this optimiser "
                f"{len(self.param_groups)}"
            )
        for i, (saved, own) in enumerate(zip(groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    f"{name}: param group {i} has {len(saved['params'])} parameters in the "
                    f"saved state, {len(own['params'])} here"
                )
        by_index: dict[Any, Tensor] = {}
        for saved, own in zip(groups, self.param_groups, strict=True):
            by_index.update(zip(saved["params"], own["params"], strict=True))
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, s in state_dict["state"].items():
            if key not in by_index:
                raise ValueError(f"{name}: state for unknown parameter {key!r}")
            p = by_index[key]
            entry: dict[str, Any] = {}
            for k, v in s.items():
                if hasattr(v, "shape") and not isinstance(v, (int, float)):
                    arr = _to_numpy(v)
                    if arr.ndim == 0 and k == "step":
                        entry[k] = arr.item()
                        continue
                    if arr.shape != p.data.shape:
                        raise ValueError(
                            f"{name}: state {k!r} of parameter {key} has shape {arr.shape}, "
                            f"expected {p.data.shape}"
                        )
                    entry[k] = arr.astype(p.data.dtype)
                else:
                    entry[k] = v
            new_state[p] = entry
        new_groups = []
        for saved, own in zip(groups, self.param_groups, strict=True):
            group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            group["params"] = own["params"]
            self._validate(group)
            new_groups.append(group)
        self.param_groups = new_groups
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(k for k in g if k != "params"):
                lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, Nesterov momentum, weight decay.

    g <- -g if maximize;  g <- g + weight_decay * p
    buf <- g (first step), else momentum * buf + (1 - dampening) * g
    g <- g + momentum * buf (nesterov) or buf
    p <- p - lr * g
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=bool(nesterov),
            maximize=bool(maximize),
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        for key in ("momentum", "dampening", "weight_decay"):
            group[key] = check_range("SGD", key, group[key])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _step_group(self, group: dict[str, Any]) -> list[Tensor]:
        """The update above for every parameter of the group that has a gradient (the group's
        options read once: a small network's step is mostly this loop's overhead)."""
        lr, wd, momentum = group["lr"], group["weight_decay"], group["momentum"]
        maximize, dampening, nesterov = group["maximize"], group["dampening"], group["nesterov"]
        # lr as a 0-d array of each parameter's dtype: what NumPy makes of a Python float in
        # lr * g anyway (the same bits), without converting it again for every parameter
        rates: dict[np.dtype, np.ndarray] = {}
        updated = []
        for t in group["params"]:
            grad = t._grad
            if grad is None:
                continue
            p, g = t.data, (-grad.data if maximize else grad.data)
            rate = rates.get(p.dtype)
            if rate is None:
                rate = rates[p.dtype] = np.asarray(lr, p.dtype)
            if wd:
                g = g + wd * p
            if momentum:
                state = self.state.setdefault(t, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.copy()
                else:
                    buf *= momentum
                    buf += (1.0 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            p -= rate * g
            updated.append(t)
        return updated


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's formulation.

    g <- g + weight_decay * p            (L2 penalty; AdamW decays p directly instead)
    m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2      (amsgrad: v_max <- max(v_max, v))
    p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
        foreach: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=bool(amsgrad),
            maximize=bool(maximize),
            decoupled_weight_decay=bool(decoupled_weight_decay),
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        where = type(self).__name__
        super()._validate(group)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}")
        group["betas"] = (
            check_range(where, "betas[0]", betas[0], 0.0, 1.0, high_open=True),
            check_range(where, "betas[1]", betas[1], 0.0, 1.0, high_open=True),
        )
        group["eps"] = check_range(where, "eps", group["eps"])
        group["weight_decay"] = check_range(where, "weight_decay", group["weight_decay"])

    def _update(
        self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, wd = group["lr"], group["weight_decay"]
        b1, b2 = group["betas"]
        if not state:
            state["step"] = 0.0
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        if wd:
            if group["decoupled_weight_decay"]:
                p *= 1.0 - lr * wd
            else:
                g = g + wd * p
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1.0 - b1) * (g - m)  # lerp towards g, as PyTorch writes it
        v *= b2
        v += (1.0 - b2) * (g * g)
        step_size = lr / (1.0 - b1**t)
        root_bc2 = math.sqrt(1.0 - b2**t)
        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"]
            np.maximum(v_max, v, out=v_max)
            denom = np.sqrt(v_max) / root_bc2 + group["eps"]
        else:
            denom = np.sqrt(v) / root_bc2 + group["eps"]
        p -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p * (1 - lr * weight_decay) before the Adam step."""

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )


class RMSprop(Optimizer):
    """RMSprop, PyTorch's formulation.

    g <- g + weight_decay * p;   s <- alpha s + (1 - alpha) g^2
    centered: a <- alpha a + (1 - alpha) g, d = sqrt(s - a^2) + eps; else d = sqrt(s) + eps
    momentum > 0: buf <- momentum buf + g / d, p <- p - lr buf;   else p <- p - lr g / d
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=bool(centered),
            maximize=bool(maximize),
        )
        super().__init__(params, defaults)

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        group["alpha"] = check_range("RMSprop", "alpha", group["alpha"], 0.0, 1.0)
        for key in ("eps", "weight_decay", "momentum"):
            group[key] = check_range("RMSprop", key, group[key])

    def _update(
        self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0.0
            state["square_avg"] = np.zeros_like(p)
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p)
        state["step"] += 1
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        s = state["square_avg"]
        s *= alpha
        s += (1.0 - alpha) * (g * g)
        if group["centered"]:
            a = state["grad_avg"]
            a += (1.0 - alpha) * (g - a)
            denom = np.sqrt(s - a * a) + group["eps"]
        else:
            denom = np.sqrt(s) + group["eps"]
        if momentum > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(p))
            buf *= momentum
            buf += g / denom
            p -= group["lr"] * buf
        else:
            p -= group["lr"] * (g / denom)


class Adagrad(Optimizer):
    """Adagrad, PyTorch's formulation.

    g <- g + weight_decay * p;   clr = lr / (1 + (t - 1) lr_decay)
    s <- s + g^2 (s starts at initial_accumulator_value);   p <- p - clr g / (sqrt(s) + eps)
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=bool(maximize),
        )
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch fills the accumulators at construction
            for p in group["params"]:
                self.state[p] = {
                    "step": 0.0,
                    "sum": np.full_like(p.data, group["initial_accumulator_value"]),
                }

    def _validate(self, group: dict[str, Any]) -> None:
        super()._validate(group)
        for key in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            group[key] = check_range("Adagrad", key, group[key])

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self.state.setdefault(
                p, {"step": 0.0, "sum": np.full_like(p.data, group["initial_accumulator_value"])}
            )

    def _update(
        self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if "sum" not in state:
            state["step"] = 0.0
            state["sum"] = np.full_like(p, group["initial_accumulator_value"])
        state["step"] += 1
        t = state["step"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        clr = group["lr"] / (1.0 + (t - 1.0) * group["lr_decay"])
        s = state["sum"]
        s += g * g
        p -= clr * (g / (np.sqrt(s) + group["eps"]))
