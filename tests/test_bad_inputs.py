"""Bad inputs to public functions across the package: a clear error, never a wrong result."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinygrad_nn import Tensor


@pytest.mark.parametrize("shape", [(2, 3), (0,), (4,), (1, 2)])
def test_item_of_a_non_scalar_names_the_shape(shape: tuple[int, ...]) -> None:
    t = Tensor(np.ones(shape, np.float32))
    with pytest.raises(RuntimeError, match=rf"item: .* has shape {re.escape(str(shape))}") as info:
        t.item()
    assert isinstance(info.value, ValueError)  # NumPy code catching ValueError still works
    assert f"({t.size} elements)" in str(info.value)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1, 1)])
def test_item_of_one_element_is_a_python_number(shape: tuple[int, ...]) -> None:
    value = Tensor(np.full(shape, 2.5, np.float32)).item()
    assert value == 2.5 and type(value) is float
