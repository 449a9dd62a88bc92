"""The top-level names of PyTorch's ``torch`` namespace: constructors, functions, dtype names.

``import tinygrad_nn as torch`` then runs ``torch.tensor([0, 2, 1])``, ``torch.zeros(2, 3)``,
``torch.randn(4, requires_grad=True)``, ``torch.cat(xs, dim=1)``, ``torch.exp(x)`` and
``x.to(torch.float64)`` with PyTorch's signatures and dtype rules. Random constructors
draw from the default generator (``tinygrad_nn.manual_seed``). Dtypes are NumPy dtypes
(``tinygrad_nn.float32 == np.dtype("float32")``), so they work with NumPy as well.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from tinygrad_nn.autograd import Tensor, check_allocatable, get_default_dtype, is_grad_enabled
from tinygrad_nn.autograd import _state as _engine_state  # this thread's switches
from tinygrad_nn.autograd import where as where  # torch.where(condition, input, other)
from tinygrad_nn.random import as_rng

# ----------------------------------------------------------------------------- dtype names

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
# ``float``, ``int`` and ``bool`` (torch.float is float32, torch.int is int32) are bound in
# tinygrad_nn/__init__.py, where shadowing the builtins harms no code.
DTYPE_ALIASES = {"float": float32, "int": int32, "bool": bool_}


def _dtype(dtype: Any, default: np.dtype | None = None) -> np.dtype:
    if dtype is None:
        return get_default_dtype() if default is None else default
    if isinstance(dtype, str) and dtype in ("cuda", "cpu", "mps"):
        raise TypeError(f"dtype={dtype!r} is a device, not a dtype; pass device= instead")
    return np.dtype(dtype)


def _shape(size: tuple[Any, ...], fn: str) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        shape = tuple(operator.index(n.item() if isinstance(n, Tensor) else n) for n in size)
    except TypeError:
        raise TypeError(f"{fn}: size must be integers, got {size!r}") from None
    if builtins.any(n < 0 for n in shape):  # any() is torch.any below
        raise ValueError(f"{fn}: negative dimension in size {shape}")
    return check_allocatable(fn, shape)


def _check_device(fn: str, device: Any) -> None:
    if device is None:
        return
    name = device if isinstance(device, str) else getattr(device, "type", str(device))
    if name != "cpu":
        raise RuntimeError(
            f"{fn}: device={device!r}: tinygrad_nn runs on NumPy on the CPU; leave device out "
            "or pass 'cpu'"
        )


class device:  # noqa: N801 - PyTorch's name
    """``torch.device("cpu")``; any other device raises, since everything runs on NumPy."""

    def __init__(self, type: str = "cpu", index: int | None = None) -> None:
        _check_device("device", type)
        self.type = "cpu"
        self.index = index

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __eq__(self, other: object) -> bool:
        return other == "cpu" or isinstance(other, device)

    def __hash__(self) -> int:
        return hash("cpu")

    def __str__(self) -> str:
        return "cpu"


class _NoAccelerator:
    """``torch.cuda`` / ``torch.accelerator`` / ``torch.backends.mps``: nothing is available."""

    def __init__(self, name: str) -> None:
        self._name = name

    def is_available(self) -> bool:
        return False

    def device_count(self) -> int:
        return 0

    def manual_seed(self, seed: int) -> None:  # torch.cuda.manual_seed: nothing to seed
        return None

    manual_seed_all = manual_seed


cuda = _NoAccelerator("cuda")
accelerator = _NoAccelerator("accelerator")


# ---------------------------------------------------------------------------- constructors


class DtypeOverflowError(OverflowError, ValueError, RuntimeError):
    """A value that does not fit the dtype asked for (PyTorch raises a RuntimeError)."""


def _cast(fn: str, arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``arr`` as ``dtype``; integer values that ``dtype`` cannot hold raise (as PyTorch
    does) instead of wrapping around as NumPy's cast would (300 as int8 is not 44)."""
    if dtype.kind in "iu" and arr.dtype.kind in "iuf" and arr.size:
        info = np.iinfo(dtype)
        low, high = arr.min(), arr.max()
        if low < info.min or high > info.max:
            bad = low if low < info.min else high
            raise DtypeOverflowError(
                f"{fn}: value {bad} does not fit {dtype} (range {info.min} to {info.max}); "
                "choose a wider dtype"
            )
    return arr.astype(dtype, copy=False)


def _from_python(data: Any) -> np.ndarray:
    """PyTorch's inference: bools -> bool, ints -> int64, floats -> the default dtype."""
    try:
        arr = np.asarray(data)
    except ValueError as e:  # a ragged nested list
        raise ValueError(
            f"tensor: cannot make a tensor from a ragged nested list ({e}); every row must "
            "have the same length"
        ) from None
    if arr.dtype.kind == "b":
        return arr
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "f":
        return arr.astype(get_default_dtype(), copy=False)
    raise TypeError(
        f"tensor: cannot make a numeric tensor from {type(data).__name__} (got NumPy dtype "
        f"{arr.dtype}); expected numbers, bools or (nested) lists of them"
    )


def tensor(
    data: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (as ``torch.tensor``).

    An array or tensor keeps its dtype; Python data is inferred as PyTorch does: bools are
    bool, ints int64, floats the default dtype (float32).
    """
    _check_device("tensor", device)
    if isinstance(data, Tensor):
        arr = data.data.copy()
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data)
    else:
        arr = _from_python(data)
    if dtype is not None:
        arr = _cast("tensor", arr, _dtype(dtype))
    return Tensor(arr, requires_grad=requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but without a copy where none is needed (a tensor comes back as is)."""
    _check_device("as_tensor", device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.astype(_dtype(dtype))
    arr = data if isinstance(data, np.ndarray) else None
    if arr is None:
        arr = np.asarray(data) if isinstance(data, np.generic) else _from_python(data)
    return Tensor(arr if dtype is None else _cast("as_tensor", arr, _dtype(dtype)))


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (changes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(
            f"from_numpy: expected np.ndarray, got {type(ndarray).__name__}; use "
            "tinygrad_nn.tensor(data) for Python data"
        )
    return Tensor(ndarray)


def _filled(
    fn: str, size: tuple[Any, ...], value: Any, dtype: Any, requires_grad: bool,
    device: Any,
) -> Tensor:  # fmt: skip
    _check_device(fn, device)
    dt = _dtype(dtype)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and dt.kind in "iu":
        if not np.iinfo(dt).min <= value <= np.iinfo(dt).max:
            raise DtypeOverflowError(
                f"{fn}: fill value {value} does not fit {dt}; choose a wider dtype"
            )
    shape = check_allocatable(fn, _shape(size, fn), dt.itemsize)
    return Tensor(np.full(shape, value, dt), requires_grad=requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given size (the default float dtype unless dtype=)."""
    return _filled("zeros", size, 0, dtype, requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given size (the default float dtype unless dtype=)."""
    return _filled("ones", size, 1, dtype, requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros: PyTorch leaves the values unspecified; here they are never garbage (or NaN)."""
    return _filled("empty", size, 0, dtype, requires_grad, device)


def _fill_dtype(value: Any) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    return get_default_dtype()


def full(
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``size`` filled with ``fill_value``; the dtype follows the value (int -> int64)."""
    fill = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    dt = _dtype(dtype, _fill_dtype(fill))
    return _filled("full", (size,), fill, dt, requires_grad, device)


def _like(input: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    arr = input.data if isinstance(input, Tensor) else np.asarray(input)
    return arr.shape, (arr.dtype if dtype is None else _dtype(dtype))


def zeros_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of input's shape (and dtype, unless given)."""
    shape, dt = _like(input, dtype)
    return Tensor(np.zeros(shape, dt), requires_grad=requires_grad)


def ones_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of input's shape (and dtype, unless given)."""
    shape, dt = _like(input, dtype)
    return Tensor(np.ones(shape, dt), requires_grad=requires_grad)


def empty_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of input's shape (and dtype, unless given); its values are zeros here."""
    return zeros_like(input, dtype, requires_grad)


def full_like(
    input: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of input's shape (and dtype, unless given) filled with fill_value."""
    shape, dt = _like(input, dtype)
    return Tensor(np.full(shape, fill_value, dt), requires_grad=requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The n x m identity matrix (m = n by default)."""
    _check_device("eye", device)
    rows, cols = _shape((n, n if m is None else m), "eye")
    return Tensor(np.eye(rows, cols, dtype=_dtype(dtype)), requires_grad=requires_grad)


def _is_int(x: Any) -> bool:
    if isinstance(x, Tensor):
        return x.dtype.kind in "iu"
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _number(x: Any) -> Any:
    return x.item() if isinstance(x, Tensor) else x


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """[start, end) in steps of ``step``; int64 when every argument is an integer, as PyTorch."""
    _check_device("arange", device)
    if end is None:
        start, end = 0, start
    if _number(step) == 0:
        raise ValueError("arange: step must be nonzero")
    if not builtins.all(np.isfinite(_number(x)) for x in (start, end, step)):
        raise ValueError(f"arange: start, end and step must be finite, got {start}, {end}, {step}")
    ints = _is_int(start) and _is_int(end) and _is_int(step)
    values = np.arange(
        _number(start), _number(end), _number(step), dtype=np.int64 if ints else np.float64
    )
    return Tensor(_cast("arange", values, _dtype(dtype, int64 if ints else None)), requires_grad)


def linspace(
    start: Any,
    end: Any,
    steps: int,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive (the default float dtype)."""
    _check_device("linspace", device)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"linspace: steps must be an integer, got {steps!r}")
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    dt = _dtype(dtype)
    if dt.kind != "f" or steps < 2:
        values = np.linspace(_number(start), _number(end), int(steps), dtype=np.float64)
        return Tensor(values.astype(dt), requires_grad=requires_grad)
    # PyTorch's rounding, so that programs see the same x: step in the dtype, the first half
    # counted up from start and the second down from end, each value one fused multiply-add
    lo, hi = dt.type(_number(start)), dt.type(_number(end))
    step = np.longdouble((hi - lo) / dt.type(steps - 1))
    k = np.arange(steps, dtype=np.longdouble)
    half = steps // 2
    values = np.concatenate([lo + step * k[:half], hi - step * (steps - 1 - k[half:])])
    return Tensor(values.astype(dt), requires_grad=requires_grad)


def randn(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples from the default generator (or ``generator``, a seed or
    np.random.Generator)."""
    _check_device("randn", device)
    data = as_rng(generator).standard_normal(_shape(size, "randn"))
    return Tensor(data.astype(_dtype(dtype)), requires_grad=requires_grad)


def rand(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples in [0, 1) from the default generator."""
    _check_device("rand", device)
    data = as_rng(generator).random(_shape(size, "rand"))
    return Tensor(data.astype(_dtype(dtype)), requires_grad=requires_grad)


def randint(
    *args: Any,
    size: Any = None,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high), int64."""
    _check_device("randint", device)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        *args_, size = args  # type: ignore[assignment]
        args = tuple(args_)
    if size is None or len(args) not in (1, 2):
        raise TypeError(
            "randint: expected randint(high, size) or randint(low, high, size) with size a "
            f"tuple, got args {args!r} and size={size!r}"
        )
    low, high = (0, args[0]) if len(args) == 1 else args
    if _number(high) <= _number(low):
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    shape = _shape((size,), "randint")
    data = as_rng(generator).integers(_number(low), _number(high), shape)
    return Tensor(data.astype(_dtype(dtype, int64)), requires_grad=requires_grad)


def randperm(n: int, *, generator: Any = None, dtype: Any = None) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    return Tensor(as_rng(generator).permutation(n).astype(_dtype(dtype, int64)))


def randn_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal values of input's shape, from the default generator (manual_seed)."""
    shape, dt = _like(input, dtype)
    return randn(shape, dtype=dt, requires_grad=requires_grad)


def rand_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) values of input's shape, from the default generator (manual_seed)."""
    shape, dt = _like(input, dtype)
    return rand(shape, dtype=dt, requires_grad=requires_grad)


# ----------------------------------------------------------------- joining and predicates


def _join_dim(fn: str, dim: int | None, axis: int | None) -> int:
    if dim is not None and axis is not None and dim != axis:
        raise TypeError(f"{fn}: got dim={dim} and axis={axis}; pass one of them")
    return int(dim if dim is not None else (axis if axis is not None else 0))


def cat(tensors: Sequence[Tensor], dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim (0 by default), as ``torch.cat``."""
    if isinstance(tensors, Tensor):
        raise TypeError("cat: expected a sequence of tensors, got one Tensor; wrap it in a list")
    return Tensor.concatenate(list(tensors), _join_dim("cat", dim, axis))


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Join tensors along a new dim (0 by default), as ``torch.stack``."""
    if isinstance(tensors, Tensor):
        raise TypeError("stack: expected a sequence of tensors, got one Tensor; wrap it in a list")
    return Tensor.stack(list(tensors), _join_dim("stack", dim, axis))


def is_tensor(obj: Any) -> bool:
    """True if obj is a tinygrad_nn Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    """True if input's dtype is a floating-point type."""
    return input.dtype.kind == "f"


def numel(input: Tensor) -> int:
    """The number of elements of input."""
    return int(input.data.size)


# ------------------------------------------------------------------------------ grad mode


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """Switch recording on or off: as a call it takes effect at once, as a ``with`` block (or
    decorator) it lasts until the block ends."""

    def __init__(self, mode: bool) -> None:
        self.previous = is_grad_enabled()
        self.mode = bool(mode)
        _engine_state().grad_enabled = self.mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        _engine_state().grad_enabled = self.previous

    def __call__(self, fn: Any) -> Any:
        import functools

        mode = self.mode
        _engine_state().grad_enabled = self.previous  # decorating alone changes nothing

        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapped


class inference_mode(set_grad_enabled):  # noqa: N801 - PyTorch's name
    """Same as ``no_grad()`` here (there is no version counter to skip)."""

    def __init__(self, mode: bool = True) -> None:
        super().__init__(not mode)


# ------------------------------------------------- tensor methods as functions (torch.exp(x))


def exp(input: Tensor) -> Tensor:
    """e ** input, elementwise."""
    return input.exp()


def log(input: Tensor) -> Tensor:
    """The natural logarithm of input, elementwise."""
    return input.log()


def sqrt(input: Tensor) -> Tensor:
    """The square root of input, elementwise."""
    return input.sqrt()


def abs(input: Tensor) -> Tensor:
    """|input|, elementwise."""
    return input.abs()


def neg(input: Tensor) -> Tensor:
    """-input, elementwise (negative is the same function)."""
    return -input


negative = neg


def square(input: Tensor) -> Tensor:
    """input ** 2, elementwise."""
    return input**2


def pow(input: Any, exponent: Any) -> Any:
    """input ** exponent, elementwise (either may be a number)."""
    return input**exponent


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e ** -input), elementwise."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """The hyperbolic tangent of input, elementwise."""
    return input.tanh()


def relu(input: Tensor) -> Tensor:
    """max(input, 0), elementwise."""
    return input.relu()


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """The matrix product input @ other (batched and broadcast as ``@``)."""
    return input @ other


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-D tensors (``matmul`` for any dims)."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(
            f"mm: expected two 2-D tensors, got shapes {input.shape} and {mat2.shape}; use "
            "matmul for other dims"
        )
    return input @ mat2


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """exp(input) / sum(exp(input)) along ``dim``."""
    from tinygrad_nn import functional

    return functional.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """log(softmax(input, dim)), computed stably."""
    from tinygrad_nn import functional

    return functional.log_softmax(input, dim, dtype=dtype)


# Reductions and shape functions take the method's arguments (dim=, keepdim=, ...) as is.


def sum(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """The sum of input (over ``dim`` if given; ``keepdim=`` as the method)."""
    return input.sum(*args, **kwargs)


def mean(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """The mean of input (over ``dim`` if given; ``keepdim=`` as the method)."""
    return input.mean(*args, **kwargs)


def max(input: Tensor, *args: Any, **kwargs: Any) -> Any:
    """The maximum; with ``dim``, ``(values, indices)``; with a tensor, ``maximum``."""
    if args and isinstance(args[0], Tensor):
        return input.maximum(args[0])
    if "other" in kwargs:  # max(input, other=t)
        return input.maximum(kwargs.pop("other"), **kwargs)
    return input.max(*args, **kwargs)


def min(input: Tensor, *args: Any, **kwargs: Any) -> Any:
    """The minimum; with ``dim``, ``(values, indices)``; with a tensor, ``minimum``."""
    if args and isinstance(args[0], Tensor):
        return input.minimum(args[0])
    if "other" in kwargs:  # min(input, other=t)
        return input.minimum(kwargs.pop("other"), **kwargs)
    return input.min(*args, **kwargs)


def maximum(input: Tensor, other: Any) -> Tensor:
    """The elementwise maximum of input and other."""
    return input.maximum(other)


def minimum(input: Tensor, other: Any) -> Tensor:
    """The elementwise minimum of input and other."""
    return input.minimum(other)


def amax(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """The maximum over ``dim`` (all dims by default), without indices."""
    return input.amax(*args, **kwargs)


def amin(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """The minimum over ``dim`` (all dims by default), without indices."""
    return input.amin(*args, **kwargs)


def std(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """The standard deviation (over ``dim`` if given; Bessel-corrected as PyTorch)."""
    return input.std(*args, **kwargs)


def var(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """The variance (over ``dim`` if given; Bessel-corrected as PyTorch)."""
    return input.var(*args, **kwargs)


def argmax(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """The index of the maximum (of the flattened input, or along ``dim``)."""
    return input.argmax(*args, **kwargs)


def argmin(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """The index of the minimum (of the flattened input, or along ``dim``)."""
    return input.argmin(*args, **kwargs)


def clip(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """input limited to [min, max] (the same function as clamp)."""
    return input.clip(*args, **kwargs)


def clamp(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """input limited to [min, max]; either bound may be left out."""
    return input.clamp(*args, **kwargs)


def sin(input: Tensor) -> Tensor:
    """The sine of input, elementwise."""
    return input.sin()


def cos(input: Tensor) -> Tensor:
    """The cosine of input, elementwise."""
    return input.cos()


def permute(input: Tensor, *dims: Any) -> Tensor:
    """input with its dims reordered as ``dims``."""
    return input.permute(*dims)


def squeeze(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """input without its size-1 dims (or only ``dim``)."""
    return input.squeeze(*args, **kwargs)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """input with a new size-1 dim at ``dim``."""
    return input.unsqueeze(dim)


def gather(input: Tensor, dim: int, index: Any) -> Tensor:
    """The values of input at ``index`` along ``dim``."""
    return input.gather(dim, index)


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """input with a new shape of the same number of elements."""
    return input.reshape(*shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """input with dims start_dim..end_dim merged into one."""
    return input.flatten(start_dim, end_dim)


def transpose(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """input with two dims swapped."""
    return input.transpose(*args, **kwargs)


def t(input: Tensor) -> Tensor:
    """The transpose of a tensor of at most 2 dims."""
    return input.t()


# ------------------------------------------- arithmetic, products and reductions as functions


def add(input: Any, other: Any, *, alpha: Any = 1) -> Any:
    """input + alpha * other, elementwise (either may be a number)."""
    return input + (other if alpha == 1 else alpha * other)


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Any:
    """input - alpha * other, elementwise (subtract is the same function)."""
    return input - (other if alpha == 1 else alpha * other)


subtract = sub


def mul(input: Any, other: Any) -> Any:
    """input * other, elementwise (multiply is the same function)."""
    return input * other


multiply = mul


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Any:
    """input / other, elementwise (divide is the same function); ``rounding_mode`` "trunc"
    or "floor" rounds the quotient (which then has zero gradient, as PyTorch)."""
    if rounding_mode is None:
        return input / other
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
        )
    a = input if isinstance(input, Tensor) else as_tensor(input)
    b = other.data if isinstance(other, Tensor) else other
    if a.dtype.kind in "iu" and np.asarray(b).dtype.kind in "iub":  # ints stay ints
        if not np.all(b):
            raise ZeroDivisionError(f"div: integer division by zero ({rounding_mode=})")
        q = np.floor_divide(a.data, b)
        if rounding_mode == "trunc":  # floor rounds the inexact negative quotients down by one
            q = q + ((np.remainder(a.data, b) != 0) & ((a.data < 0) != (b < 0)))
        return Tensor(np.asarray(q))
    quotient = a / other
    fn = np.trunc if rounding_mode == "trunc" else np.floor
    return _zero_grad(quotient, fn(quotient.data))


divide = div


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product: (b, n, m) @ (b, m, p) -> (b, n, p)."""
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0]:
        raise ValueError(
            f"bmm: expected two 3-D tensors with the same batch size, got shapes {input.shape} "
            f"and {mat2.shape}; use matmul to broadcast"
        )
    return input @ mat2


def _given(**kwargs: Any) -> dict[str, Any]:
    """The arguments that differ from their defaults (None, False, "fro"), to pass on as is."""
    return {k: v for k, v in kwargs.items() if v is not None and v is not False and v != "fro"}


def dot(input: Tensor, other: Tensor) -> Tensor:
    """The inner product sum(input * other) of two 1-D tensors."""
    return cast(Any, input).dot(other)


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """The product of input's elements (over ``dim`` if given)."""
    return cast(Any, input).prod(**_given(dim=dim, keepdim=keepdim, dtype=dtype))


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Any:
    """Running sums along ``dim``."""
    return cast(Any, input).cumsum(dim, **_given(dtype=dtype))


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """True where every element (over ``dim`` if given) is nonzero; a bool tensor."""
    return cast(Any, input).all(**_given(dim=dim, keepdim=keepdim))


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """True where some element (over ``dim`` if given) is nonzero; a bool tensor."""
    return cast(Any, input).any(**_given(dim=dim, keepdim=keepdim))


def norm(
    input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None
) -> Any:
    """The p-norm of input (Frobenius / 2-norm by default), over ``dim`` if given."""
    return cast(Any, input).norm(**_given(p=p, dim=dim, keepdim=keepdim, dtype=dtype))


# ------------------------------------------------- rounding, signs and tests of the values


def _zero_grad(input: Tensor, values: np.ndarray) -> Tensor:
    """``values`` as a function of input whose derivative is zero (sign, floor, round...):
    as in PyTorch it requires grad when input does, and passes back a gradient of zeros."""
    out = Tensor(np.asarray(values, dtype=input.dtype))
    if not (input.requires_grad and is_grad_enabled()):
        return out
    return where(np.ones(values.shape, dtype=np.bool_), out, input)


def _elementwise(fn: str, input: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: expected a Tensor, got {type(input).__name__}")
    return input


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 as input is negative, zero or positive (zero gradient, as PyTorch)."""
    x = _elementwise("sign", input)
    if x.dtype.kind == "b":
        return Tensor(x.data.copy())
    return _zero_grad(x, np.sign(x.data))


def _rounder(name: str, fn: Any) -> Any:
    def rounding(input: Tensor) -> Tensor:
        x = _elementwise(name, input)
        if x.dtype.kind in "iub":  # already whole: a copy, as PyTorch
            return Tensor(x.data.copy())
        return _zero_grad(x, fn(x.data))

    return rounding


def floor(input: Tensor) -> Tensor:
    """The largest integer <= input, elementwise, in input's dtype (zero gradient)."""
    return _rounder("floor", np.floor)(input)  # type: ignore[no-any-return]


def ceil(input: Tensor) -> Tensor:
    """The smallest integer >= input, elementwise, in input's dtype (zero gradient)."""
    return _rounder("ceil", np.ceil)(input)  # type: ignore[no-any-return]


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """input rounded to ``decimals`` places, halves to even as PyTorch (zero gradient)."""
    return _rounder("round", lambda a: np.round(a, decimals))(input)  # type: ignore[no-any-return]


def isnan(input: Tensor) -> Tensor:
    """True where input is NaN; a bool tensor."""
    return Tensor(np.isnan(_elementwise("isnan", input).data))


def isinf(input: Tensor) -> Tensor:
    """True where input is +inf or -inf; a bool tensor."""
    return Tensor(np.isinf(_elementwise("isinf", input).data))


def isfinite(input: Tensor) -> Tensor:
    """True where input is neither NaN nor infinite; a bool tensor."""
    return Tensor(np.isfinite(_elementwise("isfinite", input).data))


# -------------------------------------------------------------------------------- comparing


def _arrays(fn: str, input: Any, other: Any) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(
            f"{fn}: expected two Tensors, got {type(input).__name__} and "
            f"{type(other).__name__}; wrap numbers with tinygrad_nn.tensor"
        )
    return input.data, other.data


def equal(input: Tensor, other: Tensor) -> bool:
    """True if input and other have the same shape and the same elements (NaN != NaN)."""
    a, b = _arrays("equal", input, other)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _close(
    fn: str, input: Any, other: Any, rtol: float, atol: float, equal_nan: bool
) -> np.ndarray:
    a, b = _arrays(fn, input, other)
    if a.dtype != b.dtype:
        raise TypeError(
            f"{fn}: input and other must have the same dtype, got {a.dtype} and {b.dtype}; "
            "convert one with .to(dtype)"
        )
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"{fn}: cannot broadcast shapes {a.shape} and {b.shape} together"
        ) from None
    return np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
    equal_nan: bool = False,
) -> Tensor:  # fmt: skip
    """|input - other| <= atol + rtol * |other|, elementwise; a bool tensor."""
    return Tensor(_close("isclose", input, other, rtol, atol, equal_nan))


def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
    equal_nan: bool = False,
) -> bool:  # fmt: skip
    """True if isclose(input, other, rtol, atol, equal_nan) holds everywhere."""
    return bool(_close("allclose", input, other, rtol, atol, equal_nan).all())


class Size(tuple):  # type: ignore[type-arg]
    """``torch.Size``: a tuple of dims; equal to the plain tuple ``x.shape`` of the same dims."""

    def __new__(cls, sizes: Any = ()) -> Size:
        try:
            dims = tuple(operator.index(n) for n in sizes)
        except TypeError:
            raise TypeError(f"Size: expected a sequence of integers, got {sizes!r}") from None
        return super().__new__(cls, dims)

    def numel(self) -> int:
        """The number of elements of a tensor of this shape."""
        return int(np.prod(self, dtype=np.int64))

    def __getitem__(self, key: Any) -> Any:
        item = super().__getitem__(key)
        return Size(item) if isinstance(key, slice) else item

    def __repr__(self) -> str:
        return f"tinygrad_nn.Size({list(self)})"


# ------------------------------------------------------------- torch.save / torch.load


def save(obj: Any, f: Any) -> None:
    """Write ``obj`` (a state_dict, or dicts / lists / tuples of tensors, arrays, numbers and
    strings, such as an optimiser's state_dict) to the path or binary file ``f``.

    The file is a NumPy ``.npz`` archive: the arrays, plus the structure as JSON, so loading
    it runs no code (no pickle). Writing to a path is atomic.
    """
    import json  # here, not at the top: `import tinygrad_nn` stays fast
    import os
    import tempfile
    from pathlib import Path

    from tinygrad_nn.nn.serialization import check_destination

    arrays: dict[str, np.ndarray] = {}
    structure = _encode(obj, arrays)
    for array in arrays.values():
        if array.dtype.kind in "fc" and not np.isfinite(array).all():
            raise ValueError(
                f"save: an array of shape {array.shape} holds NaN/Inf; refusing to write it "
                "(did training diverge? try a smaller lr)"
            )
    arrays["__structure__"] = np.array(json.dumps(structure))
    if hasattr(f, "write"):
        np.savez(f, **arrays)  # type: ignore[arg-type]
        return
    path = check_destination(Path(f).resolve(), "save")  # the error names the user's path
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)  # type: ignore[arg-type]
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(f: Any, map_location: Any = None, weights_only: bool = True, **kwargs: Any) -> Any:
    """Read what ``save`` wrote; tensors come back as Tensors, arrays as arrays."""
    import json
    import zipfile
    from pathlib import Path

    if map_location is not None and not callable(map_location):
        _check_device("load", map_location)
    source = f if hasattr(f, "read") else Path(f)
    try:
        with np.load(source, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
        raise RuntimeError(
            f"load: {f!r} is not a file written by tinygrad_nn.save ({e}); a file written by "
            "torch.save needs PyTorch: load it there and save its state_dict with NumPy arrays"
        ) from None
    if "__structure__" not in arrays:
        raise RuntimeError(
            f"load: {f!r} has no structure entry; was it written by tinygrad_nn.save?"
        )
    return _decode(json.loads(str(arrays.pop("__structure__"))), arrays)


def _encode(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(obj, (Tensor, np.ndarray)):
        key = str(len(arrays))
        arrays[key] = np.ascontiguousarray(obj.data if isinstance(obj, Tensor) else obj)
        return {"array": key, "tensor": isinstance(obj, Tensor)}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    if isinstance(obj, dict):
        return {"dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {type(obj).__name__: [_encode(v, arrays) for v in obj]}
    hint = ""
    if hasattr(obj, "state_dict"):
        hint = "; save its state_dict instead: save(model.state_dict(), path)"
    raise TypeError(
        f"save: cannot store a {type(obj).__name__}: tensors, arrays, numbers, strings, None "
        f"and dicts / lists / tuples of them can be saved{hint}"
    )


def _decode(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    if "array" in node:
        arr = arrays[node["array"]]
        return Tensor(arr) if node["tensor"] else arr
    if "value" in node:
        return node["value"]
    if "dict" in node:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in node["dict"]}
    if "tuple" in node:
        return tuple(_decode(v, arrays) for v in node["tuple"])
    return [_decode(v, arrays) for v in node["list"]]
