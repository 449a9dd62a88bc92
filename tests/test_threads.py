"""The engine's switches are per thread: grad mode, anomaly mode and the module scope.

Each test makes the threads interleave in a fixed order (with events), so the test fails
every time on a process-wide state, not only when the scheduler happens to interleave.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_nn as tn
from tinygrad_nn import Tensor, nn, optim

TIMEOUT = 20


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Start ``target`` in a thread; the list gets its result, or the exception it raised."""
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(target())
        except BaseException as e:  # reported by the test, not lost in the thread
            result.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def finish(thread: threading.Thread, result: list[Any]) -> Any:
    thread.join(TIMEOUT)
    assert not thread.is_alive(), "thread did not finish"
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def test_no_grad_in_one_thread_does_not_stop_another_thread_recording() -> None:
    inside, done = threading.Event(), threading.Event()

    def evaluate() -> bool:
        with tn.no_grad():
            inside.set()
            done.wait(TIMEOUT)
            return tn.is_grad_enabled()

    thread, result = in_thread(evaluate)
    assert inside.wait(TIMEOUT)
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()  # recorded although the other thread is inside no_grad()
    assert tn.is_grad_enabled() and loss.requires_grad
    loss.backward()
    np.testing.assert_array_equal(np.asarray(w.grad), [2.0, 4.0])
    done.set()
    assert finish(thread, result) is False  # the other thread's block was in force there


def test_overlapping_no_grad_blocks_leave_grad_mode_on() -> None:
    # A enters, B enters, A leaves, B leaves: with one process-wide switch B restores the
    # False it saw on entry, and grad mode stays off for the whole process.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a() -> None:
        with tn.no_grad():
            a_in.set()
            b_in.wait(TIMEOUT)
        a_out.set()

    def b() -> None:
        a_in.wait(TIMEOUT)
        with tn.no_grad():
            b_in.set()
            a_out.wait(TIMEOUT)

    ta, ra = in_thread(a)
    tb, rb = in_thread(b)
    finish(ta, ra)
    finish(tb, rb)
    assert tn.is_grad_enabled()
    x = Tensor([3.0], requires_grad=True)
    assert (x * 2).requires_grad


def test_a_new_thread_starts_with_grad_enabled_and_no_anomaly_mode() -> None:
    with tn.no_grad(), tn.detect_anomaly():
        thread, result = in_thread(
            lambda: (tn.is_grad_enabled(), tn.autograd._state().anomaly, tn.autograd._state().scope)
        )
        assert finish(thread, result) == (True, False, None)


def test_enable_grad_in_one_thread_does_not_enable_it_in_another() -> None:
    inside, done = threading.Event(), threading.Event()

    def train_step() -> bool:
        with tn.enable_grad():
            inside.set()
            done.wait(TIMEOUT)
            return tn.is_grad_enabled()

    with tn.no_grad():
        thread, result = in_thread(train_step)
        assert inside.wait(TIMEOUT)
        assert not (Tensor([1.0], requires_grad=True) * 2).requires_grad
        done.set()
        assert finish(thread, result) is True


def test_module_scope_is_per_thread() -> None:
    inside, done = threading.Event(), threading.Event()

    class Slow(nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            inside.set()
            done.wait(TIMEOUT)
            return x * 2

    slow = Slow()
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    thread, result = in_thread(lambda: slow(x))
    assert inside.wait(TIMEOUT)
    y = x + 1  # made outside any module, while the other thread is inside `slow`
    assert y._op is not None and y._op.scope is None
    layer = nn.Linear(3, 2, rng=0)
    z = layer(x)
    assert z._op is not None and z._op.scope == (layer,)
    done.set()
    out = finish(thread, result)
    assert out._op.scope == (slow,)
    assert tn.autograd._state().scope is None


def test_detect_anomaly_is_per_thread() -> None:
    inside, done = threading.Event(), threading.Event()

    def watch() -> None:
        with tn.detect_anomaly():
            inside.set()
            done.wait(TIMEOUT)

    thread, result = in_thread(watch)
    assert inside.wait(TIMEOUT)
    with np.errstate(divide="ignore"):
        out = Tensor([0.0]).log()  # no anomaly mode in this thread: -inf, no error
    assert np.isneginf(out.data).all()
    done.set()
    finish(thread, result)


def test_default_dtype_is_process_wide_as_in_pytorch() -> None:
    tn.set_default_dtype(np.float64)
    try:
        thread, result = in_thread(lambda: Tensor([1.0]).dtype)
        assert finish(thread, result) == np.float64
    finally:
        tn.set_default_dtype(np.float32)


def _train(seed: int, steps: int, barrier: threading.Barrier | None = None) -> np.ndarray:
    """A few Adam steps with a no_grad evaluation between them; the final first weight."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((16, 4)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    model = nn.MLP([4, 8, 3], rng=seed)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        if barrier is not None:
            barrier.wait(TIMEOUT)  # every thread is at the same point: maximal overlap
        with tn.no_grad():
            model(Tensor(X))
        loss = tn.functional.cross_entropy(model(Tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return np.array(next(model.parameters()).data)


def test_threads_training_side_by_side_match_training_alone() -> None:
    seeds = [0, 1, 2, 3]
    alone = [_train(s, 15) for s in seeds]
    barrier = threading.Barrier(len(seeds))
    started = [in_thread(lambda s=s: _train(s, 15, barrier)) for s in seeds]  # type: ignore[misc]
    together = [finish(t, r) for t, r in started]
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a, b)
    assert tn.is_grad_enabled()


# ------------------------------------------------------------- anomaly mode and warnings


def test_detect_anomaly_raises_before_numpy_warns_in_forward() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning from NumPy would fail the test
        with tn.detect_anomaly(), pytest.raises(FloatingPointError, match="forward of 'log'"):
            Tensor([0.0, 1.0], requires_grad=True).log()
        with tn.detect_anomaly(), pytest.raises(FloatingPointError, match="forward of 'div'"):
            Tensor([1.0]) / Tensor([0.0])


def test_detect_anomaly_raises_before_numpy_warns_in_backward() -> None:
    x = Tensor([0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tn.detect_anomaly(), pytest.raises(FloatingPointError, match="backward of 'sqrt'"):
            x.sqrt().sum().backward()
    assert x.grad is None  # a sweep that raises changes no .grad


def test_numpy_error_settings_are_restored_after_detect_anomaly() -> None:
    before = np.geterr()
    with tn.detect_anomaly():
        Tensor([1.0], requires_grad=True).exp().sum().backward()
    assert np.geterr() == before
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning):  # outside the block NumPy warns as usual
            Tensor([0.0]).log()


@pytest.mark.parametrize("switch", ["set_grad_enabled", "inference_mode"])
def test_torch_style_grad_switches_are_per_thread(switch: str) -> None:
    inside, done = threading.Event(), threading.Event()

    def evaluate() -> bool:
        block = tn.set_grad_enabled(False) if switch == "set_grad_enabled" else tn.inference_mode()
        with block:
            inside.set()
            done.wait(TIMEOUT)
            return tn.is_grad_enabled()

    thread, result = in_thread(evaluate)
    assert inside.wait(TIMEOUT)
    assert tn.is_grad_enabled() and (Tensor([1.0], requires_grad=True) * 2).requires_grad
    done.set()
    assert finish(thread, result) is False
    assert tn.is_grad_enabled()


def test_no_grad_as_a_decorator_in_threads() -> None:
    @tn.no_grad()
    def evaluate(x: Tensor) -> bool:
        return (x * 2).requires_grad

    x = Tensor([1.0], requires_grad=True)
    started = [in_thread(lambda: evaluate(x)) for _ in range(4)]
    assert [finish(t, r) for t, r in started] == [False] * 4
    assert (x * 2).requires_grad
