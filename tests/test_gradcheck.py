"""gradcheck passes correct gradients and names the input and element of a wrong one."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_nn import Tensor, gradcheck, ops
from tinygrad_nn.autograd import apply


class WrongSquare(ops.Op):
    """Z = A^2 with a deliberately wrong backward: dA = dZ * A (should be 2 dZ A)."""

    __slots__ = ()
    name = "wrong_square"

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.saved = a
        return a * a

    def backward(self, dZ: np.ndarray) -> ops.Grads:
        return (dZ * self.saved,)


def test_gradcheck_accepts_a_correct_gradient_in_float32_inputs() -> None:
    x = Tensor(
        np.random.default_rng(0).standard_normal((3, 2)).astype(np.float32), requires_grad=True
    )
    assert x.dtype == np.float32  # gradcheck works on float64 copies
    assert gradcheck(lambda t: (t * t).sum(axis=0), [x])


def test_gradcheck_names_the_input_and_worst_element_of_a_wrong_gradient() -> None:
    a = Tensor(np.array([[0.1, -0.2], [3.0, 0.4]]), requires_grad=True, name="a")
    b = Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(AssertionError, match=r"input 0 \('a'\) of shape \(2, 2\).*index \(1, 0\)"):
        gradcheck(lambda x, y: apply(WrongSquare, x) * y, [a, b])


def test_gradcheck_skips_inputs_without_grad_and_needs_one() -> None:
    x = Tensor(np.ones(3), requires_grad=True)
    labels = Tensor(np.array([0, 1, 2]))
    assert gradcheck(lambda t, k: t[k.data] * 2, [x, labels])
    with pytest.raises(ValueError, match="no input has requires_grad"):
        gradcheck(lambda t: t * 2, [Tensor(np.ones(2))])
