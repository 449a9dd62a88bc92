"""Module: the base class of every layer and network, with automatic parameter discovery."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from tinygrad_nn import autograd
from tinygrad_nn.autograd import Tensor


def _is_parameter(value: Any) -> bool:
    return isinstance(value, Tensor) and value.requires_grad


class Module:
    """Base class for layers and networks.

    Parameters (Tensors with `requires_grad=True`) and sub-modules are found automatically
    in the instance's attributes, including inside lists, tuples and dicts, in the order
    they were assigned; `named_parameters()` names them with dotted paths such as
    `"layers.0.weight"`. Subclasses implement `forward`; calling the module runs `forward`
    inside the module's scope, so graph drawings can group the ops it created.
    """

    training: bool = True

    def __setattr__(self, name: str, value: Any) -> None:
        if _is_parameter(value) and value.name is None:
            value.name = name
        object.__setattr__(self, name, value)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        token = autograd.enter_scope(self)
        try:
            return self.forward(*args, **kwargs)
        finally:
            autograd.exit_scope(token)

    # ---- discovery -------------------------------------------------------------------------

    def _members(self) -> Iterator[tuple[str, Any]]:
        """(dotted name, value) for every attribute value, looking one level into containers."""
        for name, value in vars(self).items():
            if isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    yield f"{name}.{i}", item
            elif isinstance(value, dict):
                for key, item in value.items():
                    yield f"{name}.{key}", item
            else:
                yield name, value

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, value in self._members():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every descendant, each once, depth first."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module.named_children()
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, parameter) pairs; a parameter shared by two modules appears once."""
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, value in module._members():
                if _is_parameter(value) and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{prefix}.{name}" if prefix else name), value

    def parameters(self) -> list[Tensor]:
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """Total number of scalar parameters."""
        return sum(int(p.data.size) for p in self.parameters())

    # ---- training helpers ------------------------------------------------------------------

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set `.grad` to None)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    # ---- state -----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter name -> a copy of its array."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(
        self, state_dict: dict[str, Any], strict: bool = True
    ) -> tuple[list[str], list[str]]:
        """Copy arrays into the parameters (in place, keeping each parameter's dtype).

        Raises a `RuntimeError` (as PyTorch does) naming a missing, unexpected (both only
        with `strict`) or wrongly shaped entry. Returns (missing, unexpected) names.
        """
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        where = f"{type(self).__name__}.load_state_dict"
        if strict and missing:
            shapes = ", ".join(f"{k!r} {own[k].data.shape}" for k in missing)
            raise RuntimeError(f"{where}: missing entries {shapes}")
        if strict and unexpected:
            raise RuntimeError(
                f"{where}: unexpected entries {unexpected}; the model has {list(own)}"
            )
        arrays: dict[str, np.ndarray] = {}
        for name, p in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            arr = value.data if isinstance(value, Tensor) else np.asarray(value)
            if arr.shape != p.data.shape:
                raise RuntimeError(
                    f"{where}: entry {name!r} has shape {arr.shape}, "
                    f"but the parameter has shape {p.data.shape}"
                )
            arrays[name] = arr
        for name, arr in arrays.items():
            own[name].data[...] = arr
        return missing, unexpected

    # ---- display ---------------------------------------------------------------------------

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        lines = [head]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"
