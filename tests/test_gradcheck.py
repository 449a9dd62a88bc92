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


@pytest.mark.parametrize(
    "make",
    [
        lambda a: np.asfortranarray(a),  # x.reshape(-1) of this copies: perturbations were lost
        lambda a: np.asfortranarray(a).astype(np.float32),
        lambda a: a,
    ],
    ids=["fortran float64", "fortran float32", "C order"],
)
def test_gradcheck_passes_inputs_in_any_memory_layout(make) -> None:  # type: ignore[no-untyped-def]
    a = np.random.default_rng(1).standard_normal((3, 4))
    x = Tensor(make(a), requires_grad=True)
    w = Tensor(np.random.default_rng(2).standard_normal((4, 2)), requires_grad=True)
    assert gradcheck(lambda x, w: (x @ w).tanh() * x.sum(), [x, w])


def test_numerical_grad_of_a_strided_view_perturbs_the_view() -> None:
    from tinygrad_nn.gradcheck import numerical_grad

    base = np.arange(12.0).reshape(3, 4)
    view = base[:, :2]  # not contiguous: reshape(-1) would copy it
    weights = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    grad = numerical_grad(lambda: float((view * weights).sum()), view)
    np.testing.assert_allclose(grad, weights, rtol=1e-6)
    np.testing.assert_array_equal(base, np.arange(12.0).reshape(3, 4))  # restored


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"eps": 0.0}, "eps must be a finite number > 0, got 0.0"),
        ({"eps": float("nan")}, "eps must be a finite number > 0, got nan"),
        ({"atol": -1.0}, "atol must be a finite number >= 0"),
        ({"rtol": float("inf")}, "rtol must be a finite number >= 0"),
    ],
)
def test_gradcheck_refuses_bad_tolerances(kwargs: dict[str, float], message: str) -> None:
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=message):
        gradcheck(lambda x: x * x, x, **kwargs)  # type: ignore[arg-type]


def test_numerical_grad_refuses_read_only_and_integer_arrays() -> None:
    from tinygrad_nn.gradcheck import numerical_grad

    frozen = np.ones(3)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        numerical_grad(lambda: 0.0, frozen)
    with pytest.raises(TypeError, match="floating array, got dtype int64"):
        numerical_grad(lambda: 0.0, np.ones(3, np.int64))
