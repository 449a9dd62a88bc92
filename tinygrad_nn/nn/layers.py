"""Layers and containers built from the engine's primitives, so a drawing shows what a user
would write."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from tinygrad_nn.autograd import Tensor
from tinygrad_nn.nn import init
from tinygrad_nn.nn.module import Module, Parameter, _device_name
from tinygrad_nn.random import as_rng

Seed = np.random.Generator | int | None


def _check_device(where: str, device: Any) -> None:
    if device is not None and _device_name(device) != "cpu":
        raise RuntimeError(
            f"{where}: tinygrad_nn runs on NumPy on the CPU; there is no {str(device)!r} "
            "device. Leave out device= (or pass device='cpu')"
        )


def check_int(where: str, name: str, value: Any, low: int | None = None) -> int:
    """`value` as an int (not a bool, float or str) that is >= low, else an error saying so."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be an int, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{where}: {name} must be >= {low}, got {value}")
    return int(value)


def match_input_dtype(where: str, x: Any, like: Tensor) -> Tensor:
    """`x` as a Tensor in the parameters' dtype.

    A floating input of another dtype is cast to the parameters' dtype (a float64 NumPy batch
    fed to a float32 model computes in float32; PyTorch would raise instead). A non-floating
    input raises, naming both dtypes.
    """
    try:
        t = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    except (TypeError, ValueError) as e:
        raise TypeError(f"{where}: the input must be a Tensor or numeric array ({e})") from None
    if t.dtype == like.dtype:
        return t
    if t.dtype.kind != "f":
        raise TypeError(
            f"{where}: input has dtype {t.dtype} but the parameters are {like.dtype}; "
            f"convert the input first (x.astype(np.{like.dtype}) or x.float())"
        )
    return t.astype(like.dtype)


class Linear(Module):
    """y = x @ W.T + b, rows are samples: x (batch, in) -> y (batch, out).

    `weight` W has shape (out, in), the tutorials' W[l] of shape n[l] x n[l-1]; `bias` b has
    shape (out,) and is broadcast over the batch. Initialised as PyTorch does: W and b
    uniform in +-1/sqrt(in_features), drawn from the default generator (`manual_seed`) unless
    `rng` is given.

    Dtypes: a floating input is cast to the parameters' dtype, so a float64 NumPy batch fed to
    a float32 layer computes (and returns) float32 instead of silently moving the whole model's
    arithmetic to float64. (PyTorch raises on the mismatch; an integer input raises here.)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: Seed = None,
        dtype: Any = None,
        device: Any = None,
    ) -> None:
        super().__init__()
        _check_device("Linear", device)
        in_features = check_int("Linear", "in_features", in_features, 1)
        out_features = check_int("Linear", "out_features", out_features, 1)
        self.in_features = in_features
        self.out_features = out_features
        gen = as_rng(rng)
        self.weight = Parameter(Tensor.zeros(out_features, in_features, dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5.0), generator=gen)
        self.bias: Parameter | None
        if bias:
            self.bias = Parameter(Tensor.zeros(out_features, dtype=dtype))
            bound = 1.0 / math.sqrt(in_features)
            init.uniform_(self.bias, -bound, bound, generator=gen)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        weight = self.weight
        # the usual case (a Tensor of the weight's dtype) is checked inline: forward is per step
        if type(x) is not Tensor or x.data.dtype is not weight.data.dtype:
            x = match_input_dtype(f"Linear({self.in_features}, {self.out_features})", x, weight)
        if x.data.ndim == 0 or x.data.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}): expected input with "
                f"{self.in_features} features in its last axis (rows are samples), "
                f"got shape {x.shape}"
            )
        y = x @ weight.T  # (batch, out)
        if self.bias is not None:
            y = y + self.bias
        return y

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Flatten(Module):
    """Merge dims start_dim..end_dim into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = check_int("Flatten", "start_dim", start_dim)
        self.end_dim = check_int("Flatten", "end_dim", end_dim)

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim `dim` into `unflattened_size`: (N, 784) -> (N, 1, 28, 28)."""

    def __init__(self, dim: int, unflattened_size: Iterable[int]) -> None:
        super().__init__()
        self.dim = check_int("Unflatten", "dim", dim)
        self.unflattened_size = tuple(
            check_int("Unflatten", "unflattened_size entry", s, -1) for s in unflattened_size
        )

    def forward(self, x: Tensor) -> Tensor:
        d = self.dim + x.ndim if self.dim < 0 else self.dim
        if not 0 <= d < x.ndim:
            raise ValueError(f"Unflatten: dim {self.dim} is out of range for shape {x.shape}")
        size = self.unflattened_size
        known = math.prod(s for s in size if s != -1)
        n = x.shape[d]
        if (-1 not in size and known != n) or (-1 in size and (known == 0 or n % known)):
            raise ValueError(
                f"Unflatten: cannot split dim {self.dim} of size {n} (shape {x.shape}) into {size}"
            )
        return x.reshape(*x.shape[:d], *size, *x.shape[d + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout(Module):
    """Zero each element with probability p while training, scaling the rest by 1/(1-p);
    the identity in eval mode (`model.eval()`). Masks come from the default generator."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not (isinstance(p, (int, float)) and 0.0 <= p <= 1.0):
            raise ValueError(f"Dropout: probability p must be in [0, 1], got {p!r}")
        self.p = float(p)
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        from tinygrad_nn import functional as F

        return F.dropout(x, self.p, training=self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


# ---- containers ------------------------------------------------------------------------------


class _Indexed(Module):
    """Children kept as attributes "0", "1", ... (PyTorch's names), in order."""

    def _items(self) -> list[Module]:
        return [v for v in vars(self).values() if isinstance(v, Module)]

    def _renumber(self, modules: list[Module]) -> None:
        for key in [k for k, v in vars(self).items() if isinstance(v, Module)]:
            object.__delattr__(self, key)
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def _index(self, i: int) -> int:
        n = len(self)
        if not isinstance(i, (int, np.integer)):
            raise TypeError(f"{type(self).__name__} indices must be ints or slices, got {i!r}")
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__}: index {i} is out of range for {n} modules")
        return int(i) % n

    def __len__(self) -> int:
        return len(self._items())

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items())

    def __setitem__(self, i: int, module: Module) -> None:
        key = list(k for k, v in vars(self).items() if isinstance(v, Module))[self._index(i)]
        self.add_module(key, module)

    def __delitem__(self, i: int | slice) -> None:
        items = self._items()
        if isinstance(i, slice):
            del items[i]
        else:
            del items[self._index(i)]
        self._renumber(items)

    def append(self, module: Module) -> Any:
        """Add `module` at the end (named by its position)."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Any:
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = self._items()
        items.insert(index, module)
        self._renumber(items)


class Sequential(_Indexed):
    """Apply modules in order. Children are named "0", "1", ... as in PyTorch (or by the keys
    of an OrderedDict), so `state_dict()` keys are "0.weight", "2.bias", ..."""

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for key, m in modules[0].items():
                self._check(key, m)
                self.add_module(str(key), m)
            return
        for i, item in enumerate(modules):
            self._check(i, item)
            self.add_module(str(i), item)  # type: ignore[arg-type]

    @staticmethod
    def _check(i: Any, m: Any) -> None:
        if not isinstance(m, Module):
            raise TypeError(f"Sequential: argument {i!r} is a {type(m).__name__}, not an nn.Module")

    @property
    def layers(self) -> list[Module]:
        """The modules in order (kept for older code; iterate the Sequential instead)."""
        return self._items()

    def forward(self, x: Any) -> Any:
        for layer in self._items():
            x = layer(x)
        return x

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            pairs = [(k, v) for k, v in vars(self).items() if isinstance(v, Module)][i]
            return Sequential(OrderedDict(pairs))
        return self._items()[self._index(i)]

    def append(self, module: Module) -> Sequential:
        """Add module at the end (named by its position); return self."""
        self._check(len(self), module)
        self.add_module(str(len(self)), module)
        return self

    def _upgrade_state_dict(self, state_dict: Mapping[str, Any]) -> Mapping[str, Any]:
        """Files saved before Sequential used PyTorch's names say "layers.0.weight"."""
        if any(k.startswith("layers.") for k in state_dict) and not any(
            k.startswith("layers.") for k, _ in self._state_items("")
        ):
            return {k.removeprefix("layers."): v for k, v in state_dict.items()}
        return state_dict


class ModuleList(_Indexed):
    """A list of modules, registered as children "0", "1", ... (no forward of its own)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return ModuleList(self._items()[i])
        return self._items()[self._index(i)]

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)


class ModuleDict(Module):
    """A dict of modules, registered as children under their keys (no forward of its own)."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _pairs(self) -> list[tuple[str, Module]]:
        return [(k, v) for k, v in vars(self).items() if isinstance(v, Module)]

    def __getitem__(self, key: str) -> Module:
        value = self.__dict__.get(key)
        if not isinstance(value, Module):
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        self[key]  # noqa: B018 - raises KeyError for an unknown key
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._pairs())

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __contains__(self, key: object) -> bool:
        return isinstance(self.__dict__.get(key), Module) if isinstance(key, str) else False

    def keys(self) -> list[str]:
        """The names, in insertion order."""
        return [k for k, _ in self._pairs()]

    def values(self) -> list[Module]:
        """The modules, in insertion order."""
        return [v for _, v in self._pairs()]

    def items(self) -> list[tuple[str, Module]]:
        """(name, module) pairs, in insertion order."""
        return self._pairs()

    def pop(self, key: str) -> Module:
        """Remove the module called key and return it."""
        m = self[key]
        del self[key]
        return m

    def clear(self) -> None:
        """Remove every module."""
        for key in self.keys():
            del self[key]

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add or replace modules from a mapping or (name, module) pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for key, m in pairs:
            self[key] = m


# ---- the MLP ---------------------------------------------------------------------------------


def _activations() -> dict[str, Callable[[], Module]]:
    from tinygrad_nn.nn import activation as A

    return {
        "relu": A.ReLU,
        "sigmoid": A.Sigmoid,
        "tanh": A.Tanh,
        "softmax": lambda: A.Softmax(dim=-1),
        "gelu": A.GELU,
        "silu": A.SiLU,
        "leaky_relu": A.LeakyReLU,
        "identity": A.Identity,
        "linear": A.Identity,
    }


def _activation(spec: str | Callable[[], Module] | None, where: str) -> Module | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        table = _activations()
        if spec.lower() not in table:
            raise ValueError(f"{where}: unknown activation {spec!r}; choose from {sorted(table)}")
        return table[spec.lower()]()
    if isinstance(spec, Module):
        raise TypeError(f"{where}: pass an activation name or class, not an instance ({spec!r})")
    made = spec()
    if not isinstance(made, Module):
        raise TypeError(f"{where}: activation factory returned {type(made).__name__}, not a Module")
    return made


class MLP(Sequential):
    """Linear layers of the given sizes with `activation` between them.

    `MLP([784, 128, 10])` is Sequential(Linear(784, 128), ReLU(), Linear(128, 10)), with the
    same state_dict keys ("0.weight", "0.bias", "2.weight", ...) as that torch.nn.Sequential;
    `output_activation` (None: raw scores, ready for `F.cross_entropy`) comes last.
    """

    def __init__(
        self,
        sizes: list[int] | tuple[int, ...],
        activation: str | Callable[[], Module] | None = "relu",
        output_activation: str | Callable[[], Module] | None = None,
        rng: Seed = None,
        dtype: Any = None,
    ) -> None:
        sizes = list(sizes)
        for s in sizes:
            check_int("MLP", "every size", s)
        if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
            raise ValueError(
                f"MLP: sizes must list at least an input and an output size, all >= 1, got {sizes}"
            )
        _activation(activation, "MLP")  # reject a bad name even when no hidden layer uses it
        gen = as_rng(rng)
        modules: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
            modules.append(Linear(int(n_in), int(n_out), rng=gen, dtype=dtype))
            last = i == len(sizes) - 2
            act = _activation(output_activation if last else activation, "MLP")
            if act is not None:
                modules.append(act)
        super().__init__(*modules)
        self.sizes = sizes

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}"
