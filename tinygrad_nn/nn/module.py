"""Module: the base class of every layer and network, with automatic parameter discovery."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from tinygrad_nn import autograd
from tinygrad_nn.autograd import Tensor, traced

# bookkeeping attributes of a Module that discovery must not treat as members
_INTERNAL = frozenset({"_param_names", "_buffer_names", "training"})

_CPU_ONLY = (
    "tinygrad_nn runs on NumPy on the CPU; there is no {device!r} device. Leave out "
    ".to({device!r}) / .cuda() (every tensor already lives in host memory), or write "
    ".to('cpu'), which does nothing"
)


class Parameter(Tensor):
    """A Tensor that a Module registers as a parameter: `requires_grad=True` by default.

    `Parameter(t)` shares `t`'s array (no copy). A Parameter stays in `parameters()` and
    `state_dict()` after `requires_grad = False` (a frozen layer is still part of the model).
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=autograd.get_default_dtype())
        elif isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict` returns, as in PyTorch: (missing_keys, unexpected_keys)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _is_tensor_param(value: Any) -> bool:
    """An nn.Parameter, or a leaf Tensor that requires grad (a computed tensor is not)."""
    if isinstance(value, Parameter):
        return True
    return isinstance(value, Tensor) and value.requires_grad and value.is_leaf


def _check_name(where: str, name: Any, owner: Module) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{where}: name must be a str, got {type(name).__name__}")
    if name == "" or "." in name:
        raise KeyError(f"{where}: name must be non-empty and contain no '.', got {name!r}")


def _device_name(arg: Any) -> str | None:
    """'cpu', 'cuda', ... for a device string or torch.device-like object, else None."""
    if isinstance(arg, str):
        head = arg.split(":")[0].lower()
        if head in ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "vulkan", "ipu", "npu"):
            return head
        return None
    kind = getattr(arg, "type", None)
    if type(arg).__name__ == "device" and isinstance(kind, str):
        return kind
    return None


def _as_array(value: Any) -> np.ndarray:
    """A state_dict value (ndarray, Tensor, torch.Tensor, list) as a NumPy array."""
    if isinstance(value, Tensor):
        return value.data
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return np.asarray(value.detach().cpu().numpy())
    return np.asarray(value)


def _grad_array(p: Tensor) -> np.ndarray | None:
    """The gradient's array (`p.grad.data`), or None."""
    return None if p.grad is None else p.grad.data


class Module:
    """Base class for layers and networks.

    Parameters and sub-modules are found in the instance's attributes, in the order they
    were assigned, as PyTorch registers them: a parameter is an `nn.Parameter`, or any
    Tensor assigned with `requires_grad=True` (it stays a parameter when frozen later);
    one level inside lists, tuples and dicts is searched too. `register_buffer` adds
    non-trainable state (saved in `state_dict`). `named_parameters()` names them with
    dotted paths such as `"fc1.weight"` or `"0.weight"` inside a `Sequential`. Subclasses
    implement `forward`; calling the module runs `forward` inside the module's scope, so
    graph drawings can group the ops it created. Calling `super().__init__()` is optional.
    """

    training: bool = True

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        buffers: dict[str, bool] | None = d.get("_buffer_names")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                if not isinstance(value, np.ndarray):
                    raise TypeError(
                        f"{type(self).__name__}: cannot assign a {type(value).__name__} to "
                        f"buffer {name!r} (a Tensor, an array or None is expected)"
                    )
                value = Tensor(value)
        elif _is_tensor_param(value):
            if value.name is None:
                value.name = name
            d.setdefault("_param_names", {})[name] = None
        elif value is not None and not isinstance(value, Tensor):
            params = d.get("_param_names")
            if params is not None:
                params.pop(name, None)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in ("_param_names", "_buffer_names"):
            self.__dict__.get(registry, {}).pop(name, None)
        object.__delattr__(self, name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The module's computation; call the module (module(x)), which runs it in its scope."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        token = autograd.enter_scope(self)
        try:
            return self.forward(*args, **kwargs)
        finally:
            autograd.exit_scope(token)

    # ---- registration ----------------------------------------------------------------------

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Add non-trainable state (running statistics, masks): saved in `state_dict()`
        unless `persistent=False`, moved by `to(dtype)`, never given to an optimiser."""
        where = f"{type(self).__name__}.register_buffer"
        _check_name(where, name, self)
        if hasattr(self, name) and name not in self.__dict__.get("_buffer_names", {}):
            raise KeyError(f"{where}: attribute {name!r} already exists")
        if tensor is not None and not isinstance(tensor, (Tensor, np.ndarray)):
            raise TypeError(
                f"{where}: buffer {name!r} must be a Tensor, an array or None, "
                f"got {type(tensor).__name__}"
            )
        self.__dict__.setdefault("_buffer_names", {})[name] = bool(persistent)
        self.__dict__.get("_param_names", {}).pop(name, None)
        setattr(self, name, tensor)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add `param` (an `nn.Parameter`, or None) under `name`."""
        where = f"{type(self).__name__}.register_parameter"
        _check_name(where, name, self)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"{where}: {name!r} must be an nn.Parameter or None, got "
                f"{type(param).__name__}; wrap it: nn.Parameter(tensor)"
            )
        if hasattr(self, name) and name not in self.__dict__.get("_param_names", {}):
            raise KeyError(f"{where}: attribute {name!r} already exists")
        self.__dict__.setdefault("_param_names", {})[name] = None
        setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under `name` (any string without '.', e.g. "0")."""
        where = f"{type(self).__name__}.add_module"
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{where}: {type(module).__name__} is not an nn.Module")
        _check_name(where, name, self)
        if name not in self.__dict__ and hasattr(self, name):
            raise KeyError(f"{where}: attribute {name!r} already exists")
        setattr(self, name, module)

    register_module = add_module

    # ---- discovery -------------------------------------------------------------------------

    def _members(self) -> Iterator[tuple[str, Any]]:
        """(dotted name, value) for every attribute value, looking one level into containers."""
        for name, value in vars(self).items():
            if name in _INTERNAL:
                continue
            if isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    yield f"{name}.{i}", item
            elif isinstance(value, dict):
                for key, item in value.items():
                    yield f"{name}.{key}", item
            else:
                yield name, value

    def _own_parameters(self) -> Iterator[tuple[str, Tensor]]:
        d = self.__dict__
        registered = d.get("_param_names", {})
        buffers = d.get("_buffer_names", {})
        for name, value in self._members():
            if name in buffers or not isinstance(value, Tensor):
                continue
            if name in registered or _is_tensor_param(value):
                yield name, value

    def _own_buffers(self) -> Iterator[tuple[str, Tensor, bool]]:
        d = self.__dict__
        for name, persistent in d.get("_buffer_names", {}).items():
            value = d.get(name)
            if value is not None:
                yield name, value, persistent

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) pairs of the direct sub-modules."""
        seen: set[int] = set()
        for name, value in self._members():
            if isinstance(value, Module) and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, m in self.named_children():
            yield m

    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and every descendant, depth first (each once unless told otherwise)."""
        seen: set[int] = set() if memo is None else memo
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
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
        """This module and every module inside it, each once."""
        for _, m in self.named_modules():
            yield m

    def _named_members(
        self, own: Callable[[Module], Iterator[tuple[str, Any]]], prefix: str, recurse: bool
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        scopes = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for module_prefix, module in scopes:
            for name, value in own(module):
                if id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, parameter) pairs; a parameter shared by two modules appears once."""
        return self._named_members(lambda m: m._own_parameters(), prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every parameter of this module and its sub-modules, each once."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs: tensors that are state but not parameters."""
        return self._named_members(
            lambda m: ((n, b) for n, b, _ in m._own_buffers()), prefix, recurse
        )

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer of this module and its sub-modules."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The descendant at the dotted path `target` ("" is this module)."""
        module: Module = self
        for part in target.split(".") if target else []:
            child = dict(module.named_children()).get(part)
            if child is None:
                raise AttributeError(
                    f"{type(module).__name__} has no submodule {part!r} (looking up {target!r})"
                )
            module = child
        return module

    def num_parameters(self) -> int:
        """Total number of scalar parameters."""
        return sum(int(p.data.size) for p in self.parameters())

    # ---- training helpers ------------------------------------------------------------------

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn` on every sub-module (children first) and then on this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    @traced
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: `.grad = None`, or zeros with set_to_none=False."""
        for p in self.parameters():
            g = _grad_array(p)
            if set_to_none or g is None:
                p._grad = None  # (the .grad setter's checks are for a gradient, not None)
            else:
                g[...] = 0

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set `requires_grad` on every parameter (False freezes the module)."""
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def train(self, mode: bool = True) -> Module:
        """Set training mode (mode=True) or evaluation mode on every module; return self."""
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (as train(False)); return self."""
        return self.train(False)

    # ---- dtype and device ------------------------------------------------------------------

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """`to(dtype)` casts every floating parameter and buffer in place (the Parameter
        objects stay the same, so an optimiser built earlier keeps working);
        `to("cpu")` does nothing; any other device raises."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("copy", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}.to: unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if _device_name(arg) is not None:
                device = arg
            elif isinstance(arg, Tensor):
                dtype = arg.dtype
            elif dtype is None:
                dtype = arg
            else:
                raise TypeError(f"{type(self).__name__}.to: cannot interpret argument {arg!r}")
        if device is not None:
            name = _device_name(device)
            if name is None:
                raise TypeError(f"{type(self).__name__}.to: {device!r} is not a device")
            if name != "cpu":
                raise RuntimeError(_CPU_ONLY.format(device=str(device)))
        if dtype is not None:
            self._cast(dtype)
        return self

    def _cast(self, dtype: Any) -> None:
        try:
            dt = np.dtype(dtype)
        except TypeError as e:
            raise TypeError(
                f"{type(self).__name__}.to: {dtype!r} is not a dtype (try np.float32)"
            ) from e
        if dt.kind not in "fc":
            raise TypeError(
                f"{type(self).__name__}.to: only floating dtypes can be given to a module, got {dt}"
            )
        for t in [*self.parameters(), *self.buffers()]:
            if t.data.dtype.kind in "fc" and t.data.dtype != dt:
                t.data = t.data.astype(dt)
                g = _grad_array(t)
                if g is not None:
                    t.grad = Tensor(g.astype(dt))

    def float(self) -> Module:
        """Cast every floating-point parameter and buffer to float32; return self."""
        return self.to(np.float32)

    def double(self) -> Module:
        """Cast every floating-point parameter and buffer to float64; return self."""
        return self.to(np.float64)

    def half(self) -> Module:
        """Cast every floating-point parameter and buffer to float16; return self."""
        return self.to(np.float16)

    def cpu(self) -> Module:
        """Return self: tinygrad_nn runs on the CPU only."""
        return self

    def cuda(self, device: Any = None) -> Module:
        """Raise: tinygrad_nn runs on NumPy, on the CPU only."""
        raise RuntimeError(_CPU_ONLY.format(device="cuda"))

    # ---- state -----------------------------------------------------------------------------

    def _state_items(self, prefix: str) -> Iterator[tuple[str, Tensor]]:
        """PyTorch's state_dict order: own parameters, own persistent buffers, then each
        child's (a module shared under two names appears under both, as in PyTorch)."""
        for name, p in self._own_parameters():
            yield prefix + name, p
        for name, b, persistent in self._own_buffers():
            if persistent:
                yield prefix + name, b
        for name, child in self._members():
            if isinstance(child, Module):
                yield from child._state_items(f"{prefix}{name}.")

    def state_dict(
        self, destination: dict[str, Any] | None = None, prefix: str = "", keep_vars: bool = False
    ) -> dict[str, Any]:
        """Name -> a copy of the array, for every parameter (frozen or not) and persistent
        buffer, with PyTorch's names and order (`keep_vars=True`: the Tensors themselves).
        To load it into PyTorch: `{k: torch.from_numpy(v) for k, v in sd.items()}`."""
        out: dict[str, Any] = {} if destination is None else destination
        for name, t in self._state_items(prefix):
            out[name] = t if keep_vars else t.data.copy()
        return out

    def _upgrade_state_dict(self, state_dict: Mapping[str, Any]) -> Mapping[str, Any]:
        """Rename entries saved under older key names (overridden where names changed)."""
        return state_dict

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy arrays (or Tensors, or torch tensors) into the parameters and buffers in place,
        keeping each one's dtype.

        Raises a `RuntimeError` (as PyTorch does) naming every missing and unexpected entry
        (only with `strict`) and every wrongly shaped one; nothing is changed then. Returns
        `(missing_keys, unexpected_keys)`.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict: expected a dict of name -> array, "
                f"got {type(state_dict).__name__}"
            )
        state_dict = self._upgrade_state_dict(state_dict)
        own = dict(self._state_items(""))
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors: list[str] = []
        if strict and missing:
            errors.append("missing entries " + ", ".join(f"{k!r} {own[k].shape}" for k in missing))
        if strict and unexpected:
            errors.append(f"unexpected entries {unexpected}")
        arrays: dict[str, np.ndarray] = {}
        for name, t in own.items():
            if name not in state_dict:
                continue
            arr = _as_array(state_dict[name])
            if arr.shape != t.data.shape:
                errors.append(
                    f"entry {name!r} has shape {arr.shape}, but the model's has shape "
                    f"{t.data.shape}"
                )
            arrays[name] = arr
        if errors:
            raise RuntimeError(
                f"{type(self).__name__}.load_state_dict: "
                + "; ".join(errors)
                + (f" (the model has {list(own)})" if strict and (missing or unexpected) else "")
            )
        for name, arr in arrays.items():
            own[name].data[...] = arr
        return IncompatibleKeys(missing, unexpected)

    # ---- display ---------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """Extra text inside this module's repr (layer sizes, options)."""
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
