"""Scale: a 100,000-op graph backpropagates (no recursion), memory is flat over training."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.scale import chain_backward, training_memory  # noqa: E402


def test_a_100000_op_chain_backpropagates_exactly() -> None:
    forward, backward, error = chain_backward(100_000)
    assert error < 1e-9  # d/dx (c^n x) = c^n, summed in float64
    assert backward < 30  # seconds; ~0.2 s on a laptop core, generous for a shared machine


def test_a_deep_chain_backpropagates_in_a_thread_with_a_small_stack() -> None:
    # The sweep is a loop: it needs no more stack in a thread (256 KiB) than anywhere else.
    result: list[object] = []
    previous = threading.stack_size(256 * 1024)
    try:
        thread = threading.Thread(target=lambda: result.append(chain_backward(20_000)[2]))
        thread.start()
        thread.join(60)
    finally:
        threading.stack_size(previous)
    assert result and isinstance(result[0], float) and result[0] < 1e-9


@pytest.mark.slow
def test_memory_is_flat_over_1000_training_steps() -> None:
    at_100, at_1000, _ = training_memory(1000)
    assert at_1000 - at_100 < 64 * 1024, (at_100, at_1000)  # no graph or gradient kept


def test_memory_is_flat_over_200_training_steps() -> None:
    at_100, at_200, _ = training_memory(200)
    assert at_200 - at_100 < 64 * 1024, (at_100, at_200)


def test_many_graphs_released_leave_no_ops_alive() -> None:
    import gc

    from tinygrad_nn import Tensor, ops

    x = Tensor(np.ones(3), requires_grad=True)
    for _ in range(50):
        (x.tanh() * 2).sum().backward()
    gc.collect()
    alive = [o for o in gc.get_objects() if issubclass(type(o), ops.Op)]
    assert len(alive) < 10, len(alive)
