"""tinygrad_nn: a small, fast, honest autodiff framework on NumPy.

The top level is PyTorch's ``torch`` namespace (``tinygrad_nn.tensor``, ``zeros``, ``randn``,
``cat``, ``exp``, ``float32``, ``no_grad``, ...), so ``import tinygrad_nn as torch`` runs
PyTorch code. ``nn``, ``optim``, ``data`` (also as ``utils.data``) load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tinygrad_nn import functional
from tinygrad_nn.autograd import (
    Tensor,
    detect_anomaly,
    enable_grad,
    get_default_dtype,
    is_grad_enabled,
    no_grad,
    set_default_dtype,
)
from tinygrad_nn.compiler import CompileError, compile
from tinygrad_nn.gradcheck import gradcheck
from tinygrad_nn.random import default_generator, manual_seed
from tinygrad_nn.toplevel import (
    Size,
    abs,
    accelerator,
    add,
    all,
    allclose,
    amax,
    amin,
    any,
    arange,
    argmax,
    argmin,
    as_tensor,
    bmm,
    bool_,
    cat,
    ceil,
    clamp,
    clip,
    concat,
    concatenate,
    cos,
    cuda,
    cumsum,
    device,
    div,
    divide,
    dot,
    double,
    empty,
    empty_like,
    equal,
    exp,
    eye,
    flatten,
    float16,
    float32,
    float64,
    floor,
    from_numpy,
    full,
    full_like,
    gather,
    half,
    inference_mode,
    int8,
    int16,
    int32,
    int64,
    is_floating_point,
    is_tensor,
    isclose,
    isfinite,
    isinf,
    isnan,
    linspace,
    load,
    log,
    log_softmax,
    long,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    multiply,
    neg,
    negative,
    norm,
    numel,
    ones,
    ones_like,
    permute,
    pow,
    prod,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    relu,
    reshape,
    round,
    save,
    set_grad_enabled,
    short,
    sigmoid,
    sign,
    sin,
    softmax,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sub,
    subtract,
    sum,
    t,
    tanh,
    tensor,
    transpose,
    uint8,
    unsqueeze,
    var,
    where,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"

__all__ = [
    "CompileError",
    "Size",
    "Tensor",
    "abs",
    "accelerator",
    "add",
    "all",
    "allclose",
    "amax",
    "amin",
    "any",
    "arange",
    "argmax",
    "argmin",
    "as_tensor",
    "bmm",
    "bool",
    "cat",
    "ceil",
    "clamp",
    "clip",
    "compile",
    "concat",
    "concatenate",
    "cos",
    "cuda",
    "cumsum",
    "default_generator",
    "detect_anomaly",
    "device",
    "div",
    "divide",
    "dot",
    "double",
    "draw",
    "empty",
    "empty_like",
    "enable_grad",
    "equal",
    "exp",
    "eye",
    "flatten",
    "float",
    "float16",
    "float32",
    "float64",
    "floor",
    "from_numpy",
    "full",
    "full_like",
    "functional",
    "gather",
    "get_default_dtype",
    "gradcheck",
    "half",
    "inference_mode",
    "int",
    "int16",
    "int32",
    "int64",
    "int8",
    "is_floating_point",
    "is_grad_enabled",
    "is_tensor",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "linspace",
    "load",
    "log",
    "log_softmax",
    "long",
    "manual_seed",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mm",
    "mul",
    "multiply",
    "neg",
    "negative",
    "no_grad",
    "norm",
    "numel",
    "ones",
    "ones_like",
    "permute",
    "pow",
    "prod",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "relu",
    "reshape",
    "round",
    "save",
    "set_default_dtype",
    "set_grad_enabled",
    "short",
    "sigmoid",
    "sign",
    "sin",
    "softmax",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "sub",
    "subtract",
    "sum",
    "t",
    "tanh",
    "tensor",
    "transpose",
    "uint8",
    "unsqueeze",
    "var",
    "where",
    "zeros",
    "zeros_like",
]


def draw(tensor: Tensor, **kwargs):  # type: ignore[no-untyped-def]
    """A graphviz.Digraph of everything that produced ``tensor`` (see tinygrad_nn.viz.draw)."""
    from tinygrad_nn.viz import draw as _draw

    return _draw(tensor, **kwargs)


_LAZY_MODULES = {
    "nn": "tinygrad_nn.nn",
    "optim": "tinygrad_nn.optim",
    "data": "tinygrad_nn.data",
    "utils": "tinygrad_nn.utils",  # utils.data is data, as torch.utils.data
}
_UNSUPPORTED = {
    "bfloat16": "NumPy has no bfloat16; use tinygrad_nn.float32 (or float16)",
    "complex64": "complex tensors are not supported; keep real and imaginary parts apart",
    "complex128": "complex tensors are not supported; keep real and imaginary parts apart",
    "jit": "there is no torch.jit (TorchScript); tinygrad_nn.compile(step) compiles a step",
}


def _missing(name: str) -> str:
    """The error for a torch name that tinygrad_nn does not have: what to do instead."""
    hint = ""
    if not name.startswith("_") and callable(getattr(Tensor, name, None)):
        hint = f" as a function, but Tensor has the method: write x.{name}(...);"
    return (
        f"tinygrad_nn has no {name}{hint or ';'} see docs/coming-from-pytorch.md (\"What is "
        "missing\") for what tinygrad_nn supports and what to write instead"
    )


if not TYPE_CHECKING:  # hidden from mypy, which then still flags a mistyped name

    def __getattr__(name: str) -> Any:
        if name in _LAZY_MODULES:  # imported on first use: `import tinygrad_nn` stays NumPy-only
            return importlib.import_module(_LAZY_MODULES[name])
        if name in _UNSUPPORTED:
            raise AttributeError(f"tinygrad_nn.{name}: {_UNSUPPORTED[name]}")
        raise AttributeError(_missing(name))


# PyTorch's torch.float (float32), torch.int (int32) and torch.bool: bound last, since they
# shadow Python's float, int and bool in this module.
float = float32  # noqa: A001
int = int32  # noqa: A001
bool = bool_  # noqa: A001
