"""Every differentiable operation, one class each: forward and backward side by side.

An op's ``forward`` receives NumPy arrays (and keyword parameters) and returns the output
array; ``backward`` receives ``grad_output`` (dZ, the gradient of the loss w.r.t. the output)
and returns one gradient per input, ``None`` where the engine said none is needed
(``self.needs_grad``). Gradients may have the broadcast shape of the output: the engine sums
them back to each input's shape (``unbroadcast``), so ops never do it themselves.

Notation follows the tutorials: Z is an op's output, dZ its incoming gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

Array = np.ndarray
Grads = tuple[Array | None, ...]


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum a gradient of a broadcast result back to an operand's ``shape`` (db = sum dZ)."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead == 1 and shape and grad.shape[1:] == shape:  # a bias (n,) added to (m, n)
        return grad.sum(axis=0)  # db = sum over m (a 0-d shape takes the path below: an array)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


def normalize_axes(op: str, axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    """Axis argument as a sorted tuple of non-negative axes; a clear error when out of range."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise ValueError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} dimension(s); "
                f"expected -{ndim} <= axis < {ndim}"
            )
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out))


def _broadcast_error(op: str, a: Array, b: Array) -> ValueError:
    return ValueError(
        f"{op}: cannot broadcast shapes {a.shape} and {b.shape}: sizes must be equal or 1 in "
        "each trailing dimension"
    )


class Op:
    """A node of the graph: the operation that produced a tensor, with what backward needs.

    The graph is made of ops, not tensors (like PyTorch's ``grad_fn``): ``inputs`` holds,
    for each input, the op that produced it, or the tensor itself for a leaf. So an
    intermediate tensor's array is freed as soon as the program drops the tensor, unless
    backward saved it; the op keeps only the output's shape and dtype, and ``out``, a weak
    reference to the output tensor (None once the program dropped it).

    Besides forward and backward, each op class states what a drawing needs to know about
    it (``tinygrad_nn.viz`` reads these; tests/test_ops.py fails for a class without them):

    - ``arg_names``: one short name per input, shown on the edges when there are several
      inputs and their order matters; ``()`` when it does not (add, mul) or there is one.
    - ``broadcasts``: inputs may broadcast against each other, so the engine sums an
      input's gradient back to its shape (the edge of a bias says so).
    - ``role``: the op's part in the tutorials' notation: ``"product"`` (Z = W A),
      ``"sum"`` (Z = W A + b), ``"activation"`` (A = g(Z)), ``"loss"`` (J of a prediction
      and a target Y), ``"transpose"`` (drawn as ᵀ on the edge of a parameter), or ``""``.
    - ``grad_rule``: the local rule per input in math notation, as templates: ``{out}`` is
      the output's name, ``{0}``, ``{1}``, ... the inputs' names, ``{/m}`` stands for
      " / m" where the op averages over m samples; None for an input with no gradient.
    """

    __slots__ = (
        "inputs", "needs_grad", "kwargs", "saved", "released", "scope", "seq",
        "shape", "dtype", "retain", "out", "label", "modified",
    )  # fmt: skip
    name: ClassVar[str] = "op"
    # One input, and a gradient that always has that input's shape and dtype: the engine
    # then skips its unbroadcast and cast checks (a tested promise, see test_ops.py).
    elementwise: ClassVar[bool] = False
    # Drawing facts: declared here, given by every op class (no defaults, see above).
    arg_names: ClassVar[tuple[str, ...]]
    broadcasts: ClassVar[bool]
    role: ClassVar[str]
    grad_rule: ClassVar[tuple[str | None, ...]]

    inputs: tuple[Any, ...]  # per input: its Op, or the leaf Tensor itself
    needs_grad: tuple[bool, ...]
    kwargs: dict[str, Any]
    saved: Any
    released: bool
    scope: tuple[Any, ...] | None
    seq: int  # creation order: a topological order of the graph
    shape: tuple[int, ...]  # of the output
    dtype: np.dtype  # of the output
    retain: bool  # the output tensor called retain_grad()
    out: Callable[[], Any]  # weak reference: the output tensor, or None once dropped
    label: str | None  # the output tensor's name; set only when the program names it
    modified: int  # set (a creation-order stamp) only if the output was changed in place

    def forward(self, *args: Any, **kwargs: Any) -> Array:
        """The output array from the input arrays; keeps in self.saved what backward needs."""
        raise NotImplementedError

    def backward(self, dZ: Array) -> Grads:
        """One gradient per input (None where self.needs_grad says none is needed), given dZ."""
        raise NotImplementedError

    def __repr__(self) -> str:
        """``<AddBackward>``, as PyTorch shows a ``grad_fn``."""
        return f"<{type(self).__name__}Backward>"


# ---------------------------------------------------------------- arithmetic (broadcasting)


class Add(Op):
    """Z = A + B.   dA = dZ,   dB = dZ   (summed back over broadcast axes by the engine)."""

    __slots__ = ()
    name = "add"
    arg_names = ()
    broadcasts = True
    role = "sum"
    grad_rule = ("d{0} = d{out}", "d{1} = d{out}")

    def forward(self, a: Array, b: Array) -> Array:
        try:
            return a + b
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None

    def backward(self, dZ: Array) -> Grads:
        return dZ, dZ


class Sub(Op):
    """Z = A - B.   dA = dZ,   dB = -dZ."""

    __slots__ = ()
    name = "sub"
    arg_names = ("lhs", "rhs")
    broadcasts = True
    role = ""
    grad_rule = ("d{0} = d{out}", "d{1} = -d{out}")

    def forward(self, a: Array, b: Array) -> Array:
        try:
            return a - b
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None

    def backward(self, dZ: Array) -> Grads:
        return dZ, (-dZ if self.needs_grad[1] else None)


class Mul(Op):
    """Z = A * B.   dA = dZ * B,   dB = dZ * A."""

    __slots__ = ()
    name = "mul"
    arg_names = ()
    broadcasts = True
    role = ""
    grad_rule = ("d{0} = d{out} * {1}", "d{1} = d{out} * {0}")

    def forward(self, a: Array, b: Array) -> Array:
        self.saved = (a, b)
        try:
            return a * b
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None

    def backward(self, dZ: Array) -> Grads:
        a, b = self.saved
        need_a, need_b = self.needs_grad
        return (dZ * b if need_a else None), (dZ * a if need_b else None)


class Div(Op):
    """Z = A / B.   dA = dZ / B,   dB = -dZ * Z / B."""

    __slots__ = ()
    name = "div"
    arg_names = ("lhs", "rhs")
    broadcasts = True
    role = ""
    grad_rule = ("d{0} = d{out} / {1}", "d{1} = -d{out} * {out} / {1}")

    def forward(self, a: Array, b: Array) -> Array:
        try:
            z = a / b
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None
        self.saved = (b, z)
        return z

    def backward(self, dZ: Array) -> Grads:
        b, z = self.saved
        dA = dZ / b
        return (dA if self.needs_grad[0] else None), (-dA * z if self.needs_grad[1] else None)


class Remainder(Op):
    """Z = A - B * q with q = floor(A / B) (``%``; fmod: q = trunc(A / B)).

    dA = dZ,   dB = -dZ * q (q is piecewise constant: its own derivative is 0 where defined).
    """

    __slots__ = ()
    name = "remainder"
    arg_names = ("lhs", "rhs")
    broadcasts = True
    role = ""
    grad_rule = ("d{0} = d{out}", "d{1} = -d{out} * floor({0} / {1})")

    def forward(self, a: Array, b: Array, *, trunc: bool) -> Array:
        try:
            z = np.fmod(a, b) if trunc else np.remainder(a, b)
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None
        self.saved = (a, b)
        return z

    def backward(self, dZ: Array) -> Grads:
        a, b = self.saved
        dB = None
        if self.needs_grad[1]:
            q = np.trunc(a / b) if self.kwargs["trunc"] else np.floor(a / b)
            dB = -dZ * q
        return (dZ if self.needs_grad[0] else None), dB


class Neg(Op):
    """Z = -A.   dA = -dZ."""

    __slots__ = ()
    name = "neg"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = -d{out}",)

    def forward(self, a: Array) -> Array:
        return -a

    def backward(self, dZ: Array) -> Grads:
        return (-dZ,)


class Pow(Op):
    """Z = A ** p (p a number).   dA = dZ * p * A ** (p - 1)."""

    __slots__ = ()
    name = "pow"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} * {exponent} {0}^({exponent} - 1)",)

    def forward(self, a: Array, *, exponent: float) -> Array:
        self.saved = a
        return a**exponent

    def backward(self, dZ: Array) -> Grads:
        a, p = self.saved, self.kwargs["exponent"]
        if p == 2:
            return (dZ * (2 * a),)
        return (dZ * (p * a ** (p - 1)),)


class MatMul(Op):
    """Z = W @ A.   dW = dZ @ A.T,   dA = W.T @ dZ   (1-D and batched like np.matmul)."""

    __slots__ = ()
    name = "matmul"
    arg_names = ("lhs", "rhs")
    broadcasts = False
    role = "product"
    grad_rule = ("d{0} = d{out} {1}^T", "d{1} = {0}^T d{out}")

    def forward(self, a: Array, b: Array) -> Array:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: operands must have at least 1 dimension, got shapes {a.shape} and "
                f"{b.shape}; use * to multiply by a scalar"
            )
        k_a, k_b = a.shape[-1], b.shape[0 if b.ndim == 1 else -2]
        if k_a != k_b:
            raise ValueError(_matmul_message(a.shape, b.shape))
        self.saved = (a, b)
        try:
            return a @ b
        except ValueError:
            raise ValueError(
                f"matmul: cannot multiply {a.shape} by {b.shape}: batch dimensions "
                f"{a.shape[:-2]} and {b.shape[:-2]} do not broadcast"
            ) from None

    def backward(self, dZ: Array) -> Grads:
        a, b = self.saved
        need_a, need_b = self.needs_grad
        if a.ndim == 2 and b.ndim == 2:  # the common case: no reshaping
            dB = None
            if need_b:  # same product; for x @ W.T this makes W.grad C-ordered like W
                dB = (dZ.T @ a).T if _is_transposed(b) else a.T @ dZ
            return (dZ @ b.T if need_a else None), dB
        a2 = a[None, :] if a.ndim == 1 else a  # (1, k)
        b2 = b[:, None] if b.ndim == 1 else b  # (k, 1)
        dZ2 = dZ[..., None] if b.ndim == 1 else dZ  # put back the dropped size-1 axes
        if a.ndim == 1:
            dZ2 = dZ2[..., None, :]
        dA = dB = None
        if need_a:
            dA = unbroadcast(dZ2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if need_b:
            dB = unbroadcast(np.swapaxes(a2, -1, -2) @ dZ2, b2.shape).reshape(b.shape)
        return dA, dB


def _is_transposed(x: Array) -> bool:
    return x.flags.f_contiguous and not x.flags.c_contiguous


def _matmul_message(sa: tuple[int, ...], sb: tuple[int, ...]) -> str:
    k_a, k_b = sa[-1], sb[0 if len(sb) == 1 else -2]
    msg = f"matmul: cannot multiply {sa} by {sb}: inner sizes {k_a} and {k_b} differ"
    if len(sb) >= 2 and sb[-1] == k_a:
        msg += f"; did you mean A @ B.T, i.e. {sa} @ {sb[:-2] + (sb[-1], sb[-2])}?"
    elif len(sa) >= 2 and sa[-2] == k_b:
        msg += f"; did you mean A.T @ B, i.e. {sa[:-2] + (sa[-1], sa[-2])} @ {sb}?"
    elif len(sa) >= 2 and len(sb) >= 2 and sb[-1] == sa[-2]:
        msg += "; did you mean B @ A?"
    return msg


class PowTensor(Op):
    """Z = A ** B (B a tensor).   dA = dZ * B * A ** (B - 1),   dB = dZ * Z * log(A)."""

    __slots__ = ()
    name = "pow_tensor"
    arg_names = ("base", "exponent")
    broadcasts = True
    role = ""
    grad_rule = ("d{0} = d{out} * {1} {0}^({1} - 1)", "d{1} = d{out} * {out} log({0})")

    def forward(self, a: Array, b: Array) -> Array:
        try:
            z = a**b
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None
        self.saved = (a, b, z)
        return z

    def backward(self, dZ: Array) -> Grads:
        a, b, z = self.saved
        need_a, need_b = self.needs_grad
        dA = dB = None
        if need_a:
            dA = dZ * b * a ** (b - 1)
        if need_b:  # log(0) is -inf; where A = 0 and B >= 0, Z does not move with B
            with np.errstate(divide="ignore", invalid="ignore"):
                dB = dZ * np.where((a == 0) & (b >= 0), 0, z * np.log(a))
        return dA, dB


class Maximum(Op):
    """Z = max(A, B) elementwise.   dA = dZ [A > B] + dZ/2 [A = B],   dB likewise."""

    __slots__ = ()
    name = "maximum"
    arg_names = ()
    broadcasts = True
    role = ""
    grad_rule = (
        "d{0} = d{out} where {0} > {1} (ties share)",
        "d{1} = d{out} where {1} > {0} (ties share)",
    )
    pick: ClassVar[Callable[..., Array]] = staticmethod(np.maximum)

    def forward(self, a: Array, b: Array) -> Array:
        try:
            z = self.pick(a, b)
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None
        self.saved = (a, b, z)
        return z

    def backward(self, dZ: Array) -> Grads:
        a, b, z = self.saved
        tie = (a == b) * 0.5  # a tie shares the gradient equally, as PyTorch does
        share_a = ((a == z) - tie).astype(dZ.dtype)
        need_a, need_b = self.needs_grad
        return (dZ * share_a if need_a else None), (dZ * (1 - share_a) if need_b else None)


class Minimum(Maximum):
    """Z = min(A, B) elementwise.   dA = dZ [A < B] + dZ/2 [A = B],   dB likewise."""

    __slots__ = ()
    name = "minimum"
    arg_names = ()
    broadcasts = True
    role = ""
    grad_rule = (
        "d{0} = d{out} where {0} < {1} (ties share)",
        "d{1} = d{out} where {1} < {0} (ties share)",
    )
    pick: ClassVar[Callable[..., Array]] = staticmethod(np.minimum)


class Where(Op):
    """Z = A where C else B (C a bool array).   dA = dZ [C],   dB = dZ [not C]."""

    __slots__ = ()
    name = "where"
    arg_names = ("if true", "if false")
    broadcasts = True
    role = ""
    grad_rule = ("d{0} = d{out} where condition", "d{1} = d{out} where not condition")

    def forward(self, a: Array, b: Array, *, condition: Array) -> Array:
        try:
            return np.where(condition, a, b)
        except ValueError:
            raise ValueError(
                f"where: cannot broadcast condition {condition.shape}, input {a.shape} and "
                f"other {b.shape} together"
            ) from None

    def backward(self, dZ: Array) -> Grads:
        c = self.kwargs["condition"]
        need_a, need_b = self.needs_grad
        zero = np.zeros((), dZ.dtype)
        return (np.where(c, dZ, zero) if need_a else None), (
            np.where(c, zero, dZ) if need_b else None
        )


# ---------------------------------------------------------------------------- elementwise


class Exp(Op):
    """Z = exp(A).   dA = dZ * Z."""

    __slots__ = ()
    name = "exp"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} * {out}",)

    def forward(self, a: Array) -> Array:
        self.saved = z = np.exp(a)
        return z

    def backward(self, dZ: Array) -> Grads:
        return (dZ * self.saved,)


class Log(Op):
    """Z = log(A).   dA = dZ / A."""

    __slots__ = ()
    name = "log"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} / {0}",)

    def forward(self, a: Array) -> Array:
        self.saved = a
        return np.log(a)

    def backward(self, dZ: Array) -> Grads:
        return (dZ / self.saved,)


class Sin(Op):
    """Z = sin(A).   dA = dZ * cos(A)."""

    __slots__ = ()
    name = "sin"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} * cos({0})",)
    elementwise = True

    def forward(self, a: Array) -> Array:
        self.saved = a
        return np.sin(a)

    def backward(self, dZ: Array) -> Grads:
        return (dZ * np.cos(self.saved),)


class Cos(Op):
    """Z = cos(A).   dA = -dZ * sin(A)."""

    __slots__ = ()
    name = "cos"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = -d{out} * sin({0})",)
    elementwise = True

    def forward(self, a: Array) -> Array:
        self.saved = a
        return np.cos(a)

    def backward(self, dZ: Array) -> Grads:
        return (-dZ * np.sin(self.saved),)


class Sqrt(Op):
    """Z = sqrt(A).   dA = dZ / (2 Z)."""

    __slots__ = ()
    name = "sqrt"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} / (2 {out})",)

    def forward(self, a: Array) -> Array:
        self.saved = z = np.sqrt(a)
        return z

    def backward(self, dZ: Array) -> Grads:
        return (dZ / (2 * self.saved),)


class Abs(Op):
    """Z = |A|.   dA = dZ * sign(A)   (0 at A = 0, like PyTorch)."""

    __slots__ = ()
    name = "abs"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} * sign({0})",)

    def forward(self, a: Array) -> Array:
        self.saved = a
        return np.abs(a)

    def backward(self, dZ: Array) -> Grads:
        return (dZ * np.sign(self.saved),)


class Sigmoid(Op):
    """A = sigma(Z) = 1 / (1 + exp(-Z)).   dZ = dA * A * (1 - A)."""

    __slots__ = ()
    name = "sigmoid"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = "activation"
    grad_rule = ("d{0} = d{out} * {out} (1 - {out})",)

    def forward(self, z: Array) -> Array:
        # exp(-|z|) never overflows; the two branches are the same function.
        e = np.exp(-np.abs(z))
        a = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        self.saved = a
        return a

    def backward(self, dA: Array) -> Grads:
        a = self.saved
        return (dA * a * (1 - a),)


class Tanh(Op):
    """A = tanh(Z).   dZ = dA * (1 - A^2)."""

    __slots__ = ()
    name = "tanh"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = "activation"
    grad_rule = ("d{0} = d{out} * (1 - {out}^2)",)

    def forward(self, z: Array) -> Array:
        self.saved = a = np.tanh(z)
        return a

    def backward(self, dA: Array) -> Grads:
        a = self.saved
        return (dA * (1 - a * a),)


class ReLU(Op):
    """A = max(Z, 0).   dZ = dA * [Z > 0]."""

    __slots__ = ()
    name = "relu"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = "activation"
    grad_rule = ("d{0} = d{out} * [{0} > 0]",)

    def forward(self, z: Array) -> Array:
        a = np.maximum(z, 0)
        self.saved = a
        return a

    def backward(self, dA: Array) -> Grads:
        return (dA * (self.saved > 0),)


class LeakyReLU(Op):
    """A = Z if Z > 0 else slope * Z.   dZ = dA if Z > 0 else slope * dA."""

    __slots__ = ()
    name = "leaky_relu"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = "activation"
    grad_rule = ("d{0} = d{out} * (1 if {0} > 0 else {slope})",)

    def forward(self, z: Array, *, slope: float) -> Array:
        self.saved = positive = z > 0
        return np.where(positive, z, z * slope)

    def backward(self, dA: Array) -> Grads:
        return (np.where(self.saved, dA, dA * self.kwargs["slope"]),)


class Clip(Op):
    """Z = min(max(A, lo), hi).   dA = dZ * [lo <= A <= hi]."""

    __slots__ = ()
    name = "clip"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} * [{lo} <= {0} <= {hi}]",)

    def forward(self, a: Array, *, lo: float | None, hi: float | None) -> Array:
        inside = np.ones(a.shape, dtype=bool)
        if lo is not None:
            inside &= a >= lo
        if hi is not None:
            inside &= a <= hi
        self.saved = inside
        return np.clip(a, lo, hi)

    def backward(self, dZ: Array) -> Grads:
        return (dZ * self.saved,)


class Cast(Op):
    """Z = A as another dtype.   dA = dZ (cast back by the engine)."""

    __slots__ = ()
    name = "cast"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out}",)

    def forward(self, a: Array, *, dtype: np.dtype) -> Array:
        return a.astype(dtype)

    def backward(self, dZ: Array) -> Grads:
        return (dZ,)


# ----------------------------------------------------------------------------- reductions


def _expand(dZ: Array, axes: tuple[int, ...], keepdims: bool) -> Array:
    """Put back the reduced axes of dZ (as size 1) so it broadcasts against the input."""
    if not keepdims:
        dZ = np.expand_dims(dZ, axes)
    return dZ


def _spread(dZ: Array, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> Array:
    """dZ copied over the reduced axes back to ``shape``, as a read-only broadcast view."""
    if dZ.size == 1 and dZ.flags.c_contiguous:  # a full reduction (a loss): a 0-stride view
        view = np.ndarray(shape, dZ.dtype, buffer=dZ, strides=(0,) * len(shape))
        view.flags.writeable = False  # (built directly: np.broadcast_to costs ~3 us of Python)
        return view
    return np.broadcast_to(_expand(dZ, axes, keepdims), shape)


class Sum(Op):
    """Z = sum(A, axis).   dA = dZ broadcast back over the summed axes."""

    __slots__ = ()
    name = "sum"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} copied over the summed axes",)

    def forward(self, a: Array, *, axis: tuple[int, ...], keepdims: bool) -> Array:
        self.saved = a.shape
        return a.sum(axis=axis, keepdims=keepdims)

    def backward(self, dZ: Array) -> Grads:
        shape, kw = self.saved, self.kwargs
        return (_spread(dZ, kw["axis"], kw["keepdims"], shape),)


class Prod(Op):
    """Z = prod(A, axis).   dA_i = dZ * (product of the other elements of A_i's slice).

    The product of the others is formed from prefix and suffix products, not Z / A_i, so a
    zero in the slice gives the right gradient (not 0/0).
    """

    __slots__ = ()
    name = "prod"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} * (product of the other elements)",)

    def forward(self, a: Array, *, axis: tuple[int, ...], keepdims: bool) -> Array:
        self.saved = a
        return np.asarray(a.prod(axis=axis, keepdims=keepdims))

    def backward(self, dZ: Array) -> Grads:
        a, axis = self.saved, self.kwargs["axis"]
        kept = [i for i in range(a.ndim) if i not in axis]
        perm = kept + list(axis)
        moved = a.transpose(perm)  # the reduced axes last, flattened into one of length n
        flat = moved.reshape(*moved.shape[: len(kept)], -1)
        if flat.shape[-1] == 0:
            return (np.zeros_like(a),)
        ones = np.ones((*flat.shape[:-1], 1), a.dtype)
        before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = (before * after).reshape(moved.shape).transpose(np.argsort(perm))
        return (_expand(dZ, axis, self.kwargs["keepdims"]) * others,)


class Cumsum(Op):
    """Z_i = sum_{j <= i} A_j along axis.   dA_j = sum_{i >= j} dZ_i (a reversed cumsum)."""

    __slots__ = ()
    name = "cumsum"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = reversed cumsum of d{out}",)

    def forward(self, a: Array, *, axis: int) -> Array:
        return np.cumsum(a, axis=axis)

    def backward(self, dZ: Array) -> Grads:
        axis = self.kwargs["axis"]
        return (np.flip(np.cumsum(np.flip(dZ, axis), axis=axis), axis),)


class Norm2(Op):
    """Z = sqrt(sum(A^2, axis)).   dA = dZ * A / Z, and 0 where Z = 0 (as PyTorch)."""

    __slots__ = ()
    name = "norm"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} * {0} / {out} (0 where {out} = 0)",)

    def forward(self, a: Array, *, axis: tuple[int, ...], keepdims: bool) -> Array:
        z = np.sqrt(np.square(a).sum(axis=axis, keepdims=True))
        self.saved = (a, z)
        return z if keepdims else np.squeeze(z, axis=axis)

    def backward(self, dZ: Array) -> Grads:
        a, z = self.saved
        safe = np.where(z == 0, 1, z)
        return (_expand(dZ, self.kwargs["axis"], self.kwargs["keepdims"]) * a / safe,)


class Mean(Op):
    """Z = mean(A, axis) over n elements.   dA = dZ / n broadcast back."""

    __slots__ = ()
    name = "mean"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} / n copied over the axes",)

    def forward(self, a: Array, *, axis: tuple[int, ...], keepdims: bool) -> Array:
        self.saved = a.shape
        return a.mean(axis=axis, keepdims=keepdims)

    def backward(self, dZ: Array) -> Grads:
        shape, kw = self.saved, self.kwargs
        n = int(np.prod([shape[i] for i in kw["axis"]]))
        return (_spread(dZ / np.asarray(n, dtype=dZ.dtype), kw["axis"], kw["keepdims"], shape),)


class Max(Op):
    """Z = max(A, axis).   dA = dZ split equally among the elements equal to the maximum."""

    __slots__ = ()
    name = "max"
    reduce: ClassVar[Callable[..., Array]] = staticmethod(np.max)
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} where {0} is the max (ties share)",)

    def forward(self, a: Array, *, axis: tuple[int, ...], keepdims: bool) -> Array:
        z = self.reduce(a, axis=axis, keepdims=True)
        self.saved = (a, z)
        return z if keepdims else np.squeeze(z, axis=axis)

    def backward(self, dZ: Array) -> Grads:
        a, z = self.saved
        axis = self.kwargs["axis"]
        winners = a == z  # ties: every tied element gets an equal share
        share = winners / winners.sum(axis=axis, keepdims=True)
        return (_expand(dZ, axis, self.kwargs["keepdims"]) * share.astype(dZ.dtype),)


class Min(Max):
    """Z = min(A, axis).   dA = dZ split equally among the elements equal to the minimum."""

    __slots__ = ()
    name = "min"
    reduce: ClassVar[Callable[..., Array]] = staticmethod(np.min)
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} where {0} is the min (ties share)",)


class Var(Op):
    """Z = sum((A - mean A)^2) / (n - c) over axis.   dA = dZ * 2 (A - mean A) / (n - c)."""

    __slots__ = ()
    name = "var"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} * 2 ({0} - mean {0}) / (n - {correction})",)

    def forward(
        self, a: Array, *, axis: tuple[int, ...], keepdims: bool, correction: float
    ) -> Array:
        centered = a - a.mean(axis=axis, keepdims=True)
        n = int(np.prod([a.shape[i] for i in axis]))
        self.saved = (centered, n - correction)
        z = (centered * centered).sum(axis=axis, keepdims=keepdims) / (n - correction)
        return z.astype(a.dtype, copy=False)

    def backward(self, dZ: Array) -> Grads:
        centered, dof = self.saved
        kw = self.kwargs
        scale = np.asarray(2 / dof, dtype=dZ.dtype)
        return (_expand(dZ, kw["axis"], kw["keepdims"]) * scale * centered,)


class Gather(Op):
    """Z = A[..., I, ...] along axis (one index per output element).   dA = dZ scattered back."""

    __slots__ = ()
    name = "gather"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} put back at the index, 0 elsewhere",)

    def forward(self, a: Array, *, index: Array, axis: int) -> Array:
        self.saved = a.shape
        try:
            return np.take_along_axis(a, index, axis=axis)
        except (IndexError, ValueError) as e:
            raise IndexError(
                f"gather: index of shape {index.shape} along dim {axis} of shape {a.shape}: {e}"
            ) from None

    def backward(self, dZ: Array) -> Grads:
        index, axis = self.kwargs["index"], self.kwargs["axis"]
        dA = np.zeros(self.saved, dtype=dZ.dtype)
        dims = [np.arange(n).reshape([-1 if i == d else 1 for i in range(dZ.ndim)])
                for d, n in enumerate(index.shape)]  # fmt: skip
        dims[axis] = index
        np.add.at(dA, tuple(dims), dZ)  # an index may repeat: contributions add up
        return (dA,)


# ---------------------------------------------------------------------------------- shape


class Reshape(Op):
    """Z = A reshaped.   dA = dZ reshaped back."""

    __slots__ = ()
    name = "reshape"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} reshaped back",)

    def forward(self, a: Array, *, shape: tuple[int, ...]) -> Array:
        self.saved = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape {a.shape} ({a.size} elements) into {shape}"
                + ("" if -1 in shape else f" ({int(np.prod(shape))} elements)")
            ) from None

    def backward(self, dZ: Array) -> Grads:
        return (dZ.reshape(self.saved),)


class Transpose(Op):
    """Z = A with axes permuted.   dA = dZ with the inverse permutation."""

    __slots__ = ()
    name = "transpose"
    arg_names = ()
    broadcasts = False
    role = "transpose"
    grad_rule = ("d{0} = d{out}^T",)

    def forward(self, a: Array, *, axes: tuple[int, ...] | None) -> Array:
        if axes is not None and sorted(i % max(1, a.ndim) for i in axes) != list(range(a.ndim)):
            raise ValueError(
                f"transpose: axes {axes} are not a permutation of the {a.ndim} axes of {a.shape}"
            )
        return a.transpose(axes)

    def backward(self, dZ: Array) -> Grads:
        axes = self.kwargs["axes"]
        return (dZ.transpose(None if axes is None else np.argsort(axes)),)


class Expand(Op):
    """Z = A broadcast to a larger shape.   dA = dZ summed back over the new axes (engine)."""

    __slots__ = ()
    name = "expand"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} summed over the expanded axes",)

    def forward(self, a: Array, *, shape: tuple[int, ...]) -> Array:
        try:
            return np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(
                f"expand: cannot expand shape {a.shape} to {shape}: each size must equal the "
                "tensor's or the tensor's must be 1 (new dimensions go in front)"
            ) from None

    def backward(self, dZ: Array) -> Grads:
        return (dZ,)


class GetItem(Op):
    """Z = A[index].   dA = zeros with dZ scattered back to index (repeats accumulate)."""

    __slots__ = ()
    name = "getitem"
    arg_names = ()
    broadcasts = False
    role = ""
    grad_rule = ("d{0} = d{out} put back at the index, 0 elsewhere",)

    def forward(self, a: Array, *, index: Any) -> Array:
        self.saved = (a.shape, a.dtype)
        try:
            return a[index]
        except IndexError as e:
            raise IndexError(f"getitem: index {index!r} into shape {a.shape}: {e}") from None

    def backward(self, dZ: Array) -> Grads:
        shape, dtype = self.saved
        index = self.kwargs["index"]
        dA = np.zeros(shape, dtype=dZ.dtype if dtype.kind != "f" else dtype)
        if _is_advanced(index):
            np.add.at(dA, index, dZ)  # integer arrays may repeat an index
        else:
            dA[index] = dZ
        return (dA,)


def _is_advanced(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, (list, np.ndarray)) for i in items)


class Concatenate(Op):
    """Z = [A1 A2 ...] along axis.   dAi = the slice of dZ that Ai occupies."""

    __slots__ = ()
    name = "concatenate"
    arg_names = ("#",)
    broadcasts = False
    role = ""
    grad_rule = ("d{in} = its slice of d{out}",)

    def forward(self, *arrays: Array, axis: int) -> Array:
        self.saved = np.cumsum([x.shape[axis] for x in arrays])[:-1]
        try:
            return np.concatenate(arrays, axis=axis)
        except ValueError:
            raise ValueError(
                f"concatenate: shapes {[x.shape for x in arrays]} must match except along "
                f"axis {axis}"
            ) from None

    def backward(self, dZ: Array) -> Grads:
        return tuple(np.split(dZ, self.saved, axis=self.kwargs["axis"]))


class Stack(Op):
    """Z = stack of A1, A2, ... along a new axis.   dAi = dZ[..., i, ...]."""

    __slots__ = ()
    name = "stack"
    arg_names = ("#",)
    broadcasts = False
    role = ""
    grad_rule = ("d{in} = its slice of d{out}",)

    def forward(self, *arrays: Array, axis: int) -> Array:
        try:
            return np.stack(arrays, axis=axis)
        except ValueError:
            raise ValueError(
                f"stack: all shapes must be equal, got {[x.shape for x in arrays]}"
            ) from None

    def backward(self, dZ: Array) -> Grads:
        return tuple(np.moveaxis(dZ, self.kwargs["axis"], 0))


# ---------------------------------------------------------------------------- probability


def _log_softmax(z: Array, axis: int) -> Array:
    shifted = z - z.max(axis=axis, keepdims=True)  # log-sum-exp: exp never overflows
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Op):
    """A = exp(Z) / sum exp(Z).   dZ = A * (dA - sum(dA * A))   along axis."""

    __slots__ = ()
    name = "softmax"
    arg_names = ()
    broadcasts = False
    role = "activation"
    grad_rule = ("d{0} = {out} * (d{out} - sum(d{out} * {out}))",)

    def forward(self, z: Array, *, axis: int) -> Array:
        e = np.exp(z - z.max(axis=axis, keepdims=True))
        self.saved = a = e / e.sum(axis=axis, keepdims=True)
        return a

    def backward(self, dA: Array) -> Grads:
        a = self.saved
        return (a * (dA - (dA * a).sum(axis=self.kwargs["axis"], keepdims=True)),)


class LogSoftmax(Op):
    """A = Z - logsumexp(Z).   dZ = dA - softmax(Z) * sum(dA)   along axis."""

    __slots__ = ()
    name = "log_softmax"
    arg_names = ()
    broadcasts = False
    role = "activation"
    grad_rule = ("d{0} = d{out} - softmax({0}) sum(d{out})",)

    def forward(self, z: Array, *, axis: int) -> Array:
        self.saved = a = _log_softmax(z, axis)
        return a

    def backward(self, dA: Array) -> Grads:
        axis = self.kwargs["axis"]
        return (dA - np.exp(self.saved) * dA.sum(axis=axis, keepdims=True),)


# --------------------------------------------------------------------------------- losses


def _reduce_loss(per_sample: Array, reduction: str) -> Array:
    if reduction == "none":
        return per_sample
    if per_sample.dtype == np.float16:  # sum in float32, as PyTorch does: 6e4 + 6e4 is inf
        total = per_sample.sum(dtype=np.float32)
        return (total / per_sample.size if reduction == "mean" else total).astype(np.float16)
    if reduction == "mean":  # sum / n: ndarray.mean's Python wrapper costs more than the math
        return per_sample.sum() / per_sample.size
    return per_sample.sum()


def _loss_scale(dJ: Array, reduction: str, count: int) -> Array:
    """d(loss)/d(per-sample loss): dJ / m for mean, dJ for sum, dJ elementwise for none."""
    return dJ / np.asarray(count, dtype=dJ.dtype) if reduction == "mean" else dJ


class MSELoss(Op):
    """J = mean((P - Y)^2).   dP = 2 (P - Y) / n,   dY = -dP."""

    __slots__ = ()
    name = "mse_loss"
    arg_names = ("pred", "target")
    broadcasts = False
    role = "loss"
    grad_rule = ("d{0} = 2 ({0} - {1}){/m}", "d{1} = -2 ({0} - {1}){/m}")

    def forward(self, pred: Array, target: Array, *, reduction: str) -> Array:
        self.saved = diff = pred - target
        return _reduce_loss(diff * diff, reduction)

    def backward(self, dJ: Array) -> Grads:
        diff = self.saved
        dP = (2 * _loss_scale(dJ, self.kwargs["reduction"], diff.size)) * diff
        return dP, (-dP if self.needs_grad[1] else None)


def _check_labels(op: str, target: Array, n_classes: int) -> None:
    """Class indices in 0..n-1 (a negative one would silently pick a class from the end)."""
    if target.size and (target.min() < 0 or target.max() >= n_classes):
        bad = target[(target < 0) | (target >= n_classes)].ravel()[0]
        raise ValueError(
            f"{op}: target contains class {bad}, expected classes 0..{n_classes - 1}. An "
            "ignore_index label takes another path of F.cross_entropy / F.nll_loss: a "
            "compiled step recorded on batches without one cannot replay a batch with one "
            "(call the step uncompiled for such batches)"
        )


def _at_class(x: Array, target: Array, axis: int) -> Array:
    """x at each sample's target class: x[i, target[i]] for (m, classes), any axis else."""
    if x.ndim == 2 and axis == 1:
        return x[np.arange(len(target)), target]
    return np.squeeze(np.take_along_axis(x, np.expand_dims(target, axis), axis=axis), axis)


class CrossEntropy(Op):
    """J = -mean sum_k Y log softmax(Z).   dZ = (softmax(Z) - Y) / m   (Y one-hot or probs)."""

    __slots__ = ()
    name = "cross_entropy"
    arg_names = ("logits", "target")
    broadcasts = False
    role = "loss"
    grad_rule = ("d{0} = (softmax({0}) - {1}){/m}", None)

    def forward(self, z: Array, target: Array, *, axis: int, reduction: str) -> Array:
        logp = _log_softmax(z, axis)
        if target.dtype.kind in "iu":  # class indices
            _check_labels(self.name, target, z.shape[axis])
            per_sample = -_at_class(logp, target, axis)
        else:
            per_sample = -(target * logp).sum(axis=axis)
        self.saved = (logp, target)
        return _reduce_loss(per_sample, reduction)

    def backward(self, dJ: Array) -> Grads:
        logp, target = self.saved
        axis, reduction = self.kwargs["axis"], self.kwargs["reduction"]
        dZ = np.exp(logp)  # softmax
        if target.dtype.kind in "iu":
            if dZ.ndim == 2 and axis == 1:  # (m, classes): plain indexing is ~3x faster
                dZ[np.arange(len(target)), target] -= 1
            else:
                index = np.expand_dims(target, axis)
                np.put_along_axis(dZ, index, np.take_along_axis(dZ, index, axis) - 1, axis=axis)
        else:  # exact for any targets: softmax * sum(Y) - Y, i.e. softmax - Y when Y sums to 1
            dZ = dZ * target.sum(axis=axis, keepdims=True) - target
        scale = _loss_scale(dJ, reduction, logp.size // logp.shape[axis])
        if reduction == "none":
            scale = np.expand_dims(scale, axis)
        return dZ * scale, None


class NLLLoss(Op):
    """J = -mean log P[target] over samples.   dlogP = -onehot(target) / m."""

    __slots__ = ()
    name = "nll_loss"
    arg_names = ("log_probs", "target")
    broadcasts = False
    role = "loss"
    grad_rule = ("d{0} = -onehot({1}){/m}", None)

    def forward(self, logp: Array, target: Array, *, axis: int, reduction: str) -> Array:
        _check_labels(self.name, target, logp.shape[axis])
        index = np.expand_dims(target, axis)
        self.saved = (logp.shape, logp.dtype, index)
        return _reduce_loss(-np.squeeze(np.take_along_axis(logp, index, axis), axis), reduction)

    def backward(self, dJ: Array) -> Grads:
        shape, dtype, index = self.saved
        axis, reduction = self.kwargs["axis"], self.kwargs["reduction"]
        scale = _loss_scale(dJ, reduction, int(np.prod(shape)) // shape[axis])
        dlogp = np.zeros(shape, dtype=dtype)
        values = -np.broadcast_to(
            np.expand_dims(scale, axis) if reduction == "none" else scale, index.shape
        )
        np.put_along_axis(dlogp, index, values, axis=axis)
        return dlogp, None


class BinaryCrossEntropy(Op):
    """J = -mean(Y max(log P, -100) + (1 - Y) max(log(1 - P), -100)).

    dP = (P - Y) / max(P (1 - P), eps) / n.   Each log term is floored at -100 (as in
    PyTorch), so P exactly 0 or 1 gives a finite loss and gradient in every dtype.
    """

    __slots__ = ()
    name = "binary_cross_entropy"
    arg_names = ("prob", "target")
    broadcasts = False
    role = "loss"
    grad_rule = ("d{0} = ({0} - {1}) / ({0} (1 - {0})){/m}", None)

    def forward(self, p: Array, y: Array, *, eps: float, reduction: str) -> Array:
        self.saved = (p, y)
        with np.errstate(divide="ignore"):  # log(0) = -inf, floored just below
            log_p = np.maximum(np.log(p), -100)
            log_q = np.maximum(np.log1p(-p), -100)
        per_element = -(y * log_p + (1 - y) * log_q)
        return _reduce_loss(per_element, reduction)

    def backward(self, dJ: Array) -> Grads:
        p, y = self.saved
        scale = _loss_scale(dJ, self.kwargs["reduction"], p.size)
        floor = max(self.kwargs["eps"], float(np.finfo(p.dtype).tiny))  # > 0 in float16 too
        return scale * (p - y) / np.maximum(p * (1 - p), np.asarray(floor, p.dtype)), None


class BCEWithLogits(Op):
    """J = mean(max(Z, 0) - Z Y + log(1 + exp(-|Z|))).   dZ = (sigmoid(Z) - Y) / n."""

    __slots__ = ()
    name = "binary_cross_entropy_with_logits"
    arg_names = ("logits", "target")
    broadcasts = False
    role = "loss"
    grad_rule = ("d{0} = (sigmoid({0}) - {1}){/m}", None)

    def forward(self, z: Array, y: Array, *, reduction: str) -> Array:
        e = np.exp(-np.abs(z))  # never overflows
        self.saved = (z, e, y)
        per_element = np.maximum(z, 0) - z * y + np.log1p(e)
        return _reduce_loss(per_element, reduction)

    def backward(self, dJ: Array) -> Grads:
        z, e, y = self.saved
        sigma = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        return _loss_scale(dJ, self.kwargs["reduction"], z.size) * (sigma - y), None


# ---- ops added for functional

_SQRT_PI = float(np.sqrt(np.pi))
_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))
_GELU_TANH_C = 0.044715
# erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1 3 5 ... (2n+1)): positive terms, so no
# cancellation; 42 terms reach double precision for |x| <= 2.
_ERF_SERIES = np.cumprod([1.0] + [2.0 / (2 * n + 1) for n in range(1, 42)])


def erf(x: Array) -> Array:
    """The error function, elementwise, to about 1e-15 relative (NumPy has none).

    |x| <= 2: the series above in Horner form; |x| > 2: erfc(x) = exp(-x^2) / (sqrt(pi) K(x)),
    K the continued fraction x + (1/2)/(x + 1/(x + (3/2)/(x + ...))), 60 levels deep.
    Computed in float64 and returned in ``x``'s floating dtype.
    """
    x = np.asarray(x)
    x64 = x.astype(np.float64, copy=False)
    out = np.empty_like(x64)
    small = np.abs(x64) <= 2.0
    everything = bool(small.all())
    xs = x64 if everything else x64[small]
    x2 = xs * xs
    p = np.full_like(x2, _ERF_SERIES[-1])
    for c in _ERF_SERIES[-2::-1]:
        p *= x2
        p += c
    p *= xs * np.exp(-x2) * (2.0 / _SQRT_PI)
    if everything:
        out = p
    else:
        out[small] = p
        big = ~small
        xb = np.abs(x64[big])
        k_frac = xb.copy()
        with np.errstate(invalid="ignore"):  # inf stays inf; nan stays nan
            for k in range(60, 0, -1):
                k_frac = xb + (k / 2.0) / k_frac
            out[big] = np.copysign(1.0 - np.exp(-xb * xb) / (_SQRT_PI * k_frac), x64[big])
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float64, copy=False)


class GELU(Op):
    """A = Z Phi(Z), Phi(Z) = (1 + erf(Z / sqrt 2)) / 2.   dZ = dA (Phi(Z) + Z phi(Z)).

    ``approximate="tanh"``: A = Z (1 + tanh(u)) / 2, u = sqrt(2/pi) (Z + 0.044715 Z^3);
    dZ = dA ((1 + tanh u) / 2 + Z (1 - tanh^2 u) sqrt(2/pi) (1 + 3 0.044715 Z^2) / 2).
    """

    __slots__ = ()
    name = "gelu"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = "activation"
    grad_rule = ("d{0} = d{out} * (Phi({0}) + {0} phi({0}))",)

    def forward(self, z: Array, *, approximate: str) -> Array:
        if approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (z + _GELU_TANH_C * z**3))
            self.saved = (z, t)
            return 0.5 * z * (1 + t)
        cdf = 0.5 * (1 + erf(z / np.sqrt(np.asarray(2.0, dtype=z.dtype))))
        self.saved = (z, cdf)
        return z * cdf

    def backward(self, dA: Array) -> Grads:
        z, s = self.saved
        if self.kwargs["approximate"] == "tanh":
            du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_TANH_C * z * z)
            return (dA * (0.5 * (1 + s) + 0.5 * z * (1 - s * s) * du),)
        pdf = np.exp(-0.5 * z * z) / np.sqrt(np.asarray(2 * np.pi, dtype=z.dtype))
        return (dA * (s + z * pdf),)


class SiLU(Op):
    """A = Z sigma(Z).   dZ = dA sigma(Z) (1 + Z (1 - sigma(Z)))."""

    __slots__ = ()
    name = "silu"
    elementwise = True
    arg_names = ()
    broadcasts = False
    role = "activation"
    grad_rule = ("d{0} = d{out} * s (1 + {0} (1 - s)), s = sigmoid({0})",)

    def forward(self, z: Array) -> Array:
        e = np.exp(-np.abs(z))  # the stable sigmoid of Sigmoid.forward
        s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
        self.saved = (z, s)
        return z * s

    def backward(self, dA: Array) -> Grads:
        z, s = self.saved
        return (dA * (s * (1 + z * (1 - s))),)


class L1Loss(Op):
    """J = mean |P - Y|.   dP = sign(P - Y) / n   (0 where P = Y, like PyTorch),   dY = -dP."""

    __slots__ = ()
    name = "l1_loss"
    arg_names = ("pred", "target")
    broadcasts = False
    role = "loss"
    grad_rule = ("d{0} = sign({0} - {1}){/m}", "d{1} = -sign({0} - {1}){/m}")

    def forward(self, pred: Array, target: Array, *, reduction: str) -> Array:
        diff = pred - target
        self.saved = np.sign(diff)
        return _reduce_loss(np.abs(diff), reduction)

    def backward(self, dJ: Array) -> Grads:
        sign = self.saved
        dP = _loss_scale(dJ, self.kwargs["reduction"], sign.size) * sign
        return dP, (-dP if self.needs_grad[1] else None)


# ---------------------------------------------------------------- values without a gradient


class Computed(Op):
    """Z = fn(A, B, ...; params): a value without a gradient, computed by the NumPy function
    ``fn`` from its inputs (a smoothed one-hot target from class labels). It is an op so a
    compiled step recomputes it from each call's inputs.   dA = dB = ... = none."""

    __slots__ = ()
    name = "computed"
    arg_names = ("#",)
    broadcasts = False
    role = ""
    grad_rule = (None,)

    def forward(self, *arrays: Array, fn: Callable[..., Array], **params: Any) -> Array:
        return np.asarray(fn(*arrays, **params))

    def backward(self, dZ: Array) -> Grads:
        return (None,) * len(self.needs_grad)

