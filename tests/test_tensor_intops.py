"""//, %, fmod and the bitwise operators: values and dtypes as torch's, no graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_nn as tn
from tinygrad_nn import Tensor

INTS = np.array([[7, -7, 5], [0, 9, -3]])
DIVS = np.array([[2, 3, -2], [5, -4, 2]])
F = np.array([[7.5, -7.25, 5.0], [0.5, 9.0, -3.5]])
B = np.array([[True, False, True], [False, False, True]])
C = np.array([[True, True, False], [False, True, True]])

# name: (inputs, program for either module); each input becomes a tensor of that module
CASES: dict[str, tuple[list[np.ndarray], Callable[..., Any]]] = {
    "int // int": ([INTS, DIVS], lambda a, b: a // b),
    "int // number": ([INTS], lambda a: a // 2),
    "number // int": ([DIVS], lambda a: 11 // a),
    "int // float number": ([INTS], lambda a: a // 2.5),
    "float // float": ([F, DIVS.astype(float)], lambda a, b: a // b),
    "int % int": ([INTS, DIVS], lambda a, b: a % b),
    "int % number": ([INTS], lambda a: a % 4),
    "number % int": ([DIVS], lambda a: -11 % a),
    "float % number": ([F], lambda a: a % 2.0),
    "int fmod int": ([INTS, DIVS], lambda a, b: a.fmod(b)),
    "methods // %": ([INTS, DIVS], lambda a, b: a.floor_divide(b) + a.remainder(b)),
    "bool & bool": ([B, C], lambda a, b: a & b),
    "bool | bool": ([B, C], lambda a, b: a | b),
    "bool ^ bool": ([B, C], lambda a, b: a ^ b),
    "int & int": ([INTS, DIVS], lambda a, b: a & b),
    "int | number": ([INTS], lambda a: a | 8),
    "number ^ int": ([INTS], lambda a: 6 ^ a),
    "bool & python bool": ([B], lambda a: a & True),
    "True | bool": ([B], lambda a: True | a),
    "mask combination": ([F], lambda a: (a > 0) & (a < 6) | (a == -3.5)),
    "logical_and/or/xor/not": (
        [B, C],
        lambda a, b: a.logical_and(b) ^ a.logical_or(b) | a.logical_xor(b).logical_not(),
    ),
    "bitwise methods": (
        [INTS, DIVS],
        lambda a, b: a.bitwise_and(b) + a.bitwise_or(b) - a.bitwise_xor(b),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_integer_and_bool_operators_match_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch")
    inputs, program = CASES[name]
    ours = program(*(Tensor(x) for x in inputs))
    theirs = program(*(torch.tensor(x) for x in inputs))
    assert str(ours.dtype).rsplit(".", 1)[-1] == str(theirs.dtype).rsplit(".", 1)[-1]
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    assert ours.op is None and not ours.requires_grad


def test_no_gradient_operators_refuse_operands_that_require_grad() -> None:
    x = Tensor(F, requires_grad=True)
    for f in (lambda: x // 2, lambda: 3 // x, lambda: Tensor(F) // x):
        with pytest.raises(RuntimeError, match="has no gradient in tinygrad_nn.*detach"):
            f()
    with tn.no_grad():
        np.testing.assert_array_equal((x // 2).data, F // 2)
        assert (x % 2).op is None
    np.testing.assert_array_equal((x.detach() % 2).data, F % 2)
    assert (x % 2).op == "remainder" and x.fmod(2.0).op == "remainder"  # differentiable


def test_bitwise_operators_need_bool_or_integer_tensors() -> None:
    with pytest.raises(TypeError, match=r"bitwise_and \(&\): needs bool or integer.*float64"):
        Tensor(F) & Tensor(B)
    with pytest.raises(TypeError, match="bitwise_or"):
        Tensor(B) | 0.5


def test_integer_division_by_zero_is_refused() -> None:
    for f in (lambda: Tensor(INTS) // Tensor(DIVS * 0), lambda: Tensor(INTS) % 0):
        with pytest.raises(RuntimeError, match="integer division by zero"):
            f()
        with pytest.raises(ZeroDivisionError):
            f()
