"""`record()`: keep, on purpose, the values and gradients a drawing or a check should show.

By default the graph keeps no intermediate array the program dropped (an op holds only a
weak reference to its output), so a drawing shows values only where the program still
holds the tensors, and gradients only where backward left them (`.grad` of leaves and of
tensors that called `retain_grad`). Inside `with record() as rec:` every tensor made by an
op is kept by `rec` (not by the graph), and every `backward()` step is kept too:

    with tinygrad_nn.viz.record() as rec:
        loss = model(x).cross_entropy(y)
        loss.backward()
    draw(loss, show_data=True, recording=rec)   # values, and the gradient on every edge
    check_graph(loss)                            # the recorded values are the inputs' values

Dropping `rec` frees what it kept. Values are those of the forward pass that was recorded;
leaves show their current values (after an optimiser step, the step's).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tinygrad_nn.autograd import BackwardStep, Tensor
    from tinygrad_nn.ops import Op

_lock = threading.Lock()


class Recording:
    """What `record()` kept: the tensors ops made, and each backward step's gradients."""

    def __init__(self) -> None:
        self.tensors: list[Tensor] = []  # every tensor an op made while recording
        self.grad_outputs: dict[int, np.ndarray] = {}  # id(op) -> gradient of its output
        self.input_grads: dict[tuple[int, int], np.ndarray] = {}  # (id(op), i) -> sent to i
        self._ops: list[Op] = []  # keeps the ids above meaningful while rec lives

    def _keep(self, t: Tensor) -> Any:
        self.tensors.append(t)
        return weakref.ref(t)  # the op's reference stays weak; rec holds the tensor

    def _step(self, step: BackwardStep) -> None:
        op = step.op
        self._ops.append(op)
        key = id(op)
        previous = self.grad_outputs.get(key)  # a second backward through the graph adds
        dZ = step.grad_output
        self.grad_outputs[key] = dZ if previous is None else previous + dZ
        for i, g in enumerate(step.input_grads):
            if g is not None:
                old = self.input_grads.get((key, i))
                self.input_grads[(key, i)] = g if old is None else old + g

    def grad_output(self, op: Op) -> np.ndarray | None:
        """The gradient that reached `op`'s output in the recorded backward (dZ), if any."""
        return self.grad_outputs.get(id(op))

    def input_grad(self, op: Op, index: int) -> np.ndarray | None:
        """The gradient `op` sent to its input `index` in the recorded backward, if any."""
        return self.input_grads.get((id(op), index))

    @property
    def has_backward(self) -> bool:
        return bool(self.grad_outputs)


@contextmanager
def record() -> Iterator[Recording]:
    """Keep every op's output tensor and every backward step made inside the block.

    An explicit opt-in for drawings and checks of intermediates the program drops; it costs
    the memory of everything kept, until the `Recording` is dropped. One recording at a
    time per process.
    """
    from tinygrad_nn import autograd

    rec = Recording()
    if not _lock.acquire(blocking=False):
        raise RuntimeError("record: a recording is already running; end it before starting one")
    saved = autograd._output_ref, autograd._on_step
    autograd._output_ref, autograd._on_step = rec._keep, rec._step
    try:
        yield rec
    finally:
        autograd._output_ref, autograd._on_step = saved
        _lock.release()
