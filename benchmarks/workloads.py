"""The benchmark workloads and one implementation of each per framework.

Every implementation is a *runner*: an object with a ``step()`` method doing one full
training step (forward, loss, backward, SGD update) and returning ``(loss, dW1)`` -- the
loss and the gradient of the first weight matrix (for the per-op chain: of the input),
as that framework's own objects. ``to_numpy`` turns them into arrays for the correctness
check. All runners of a workload start from copies of the same initial arrays. A runner
that cannot run on this machine (e.g. ``torch.compile`` without a working C++ compiler)
raises ``NotRunnable`` from its constructor or first step, and the report says so.

Besides frameworks there are *references* (``REFERENCES``): a part of a step, timed next to
the frameworks to show a floor (``gemm``: the step's matrix products alone). They have no
correctness check.

Layout: rows are samples, as in ``nn.Linear`` and PyTorch: ``Z = A_prev @ W.T + b`` with
``W`` of shape ``(n[l], n[l-1])`` and ``b`` of shape ``(n[l],)``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


class Runner(Protocol):
    def step(self) -> tuple[Any, Any]: ...


class NotRunnable(RuntimeError):
    """A runner that cannot run here (the message says why); not a wrong result."""


@dataclass
class MLPProblem:
    """Data and initial weights of one MLP training workload."""

    sizes: list[int]
    activation: str  # "relu" | "tanh" (hidden layers; the output layer is linear)
    loss: str  # "cross_entropy" (y: int class indices) | "mse" (y: (batch, 1) floats)
    X: np.ndarray  # (batch, sizes[0])
    y: np.ndarray
    weights: list[np.ndarray]  # W[l]: (sizes[l+1], sizes[l])
    biases: list[np.ndarray]  # b[l]: (sizes[l+1],)
    lr: float = 0.01


@dataclass
class ChainProblem:
    """A chain of small elementwise ops: ``h = relu(exp(tanh(h * a + b) - c))``, repeated."""

    x: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    cycles: int

    OPS_PER_CYCLE = 6  # mul, add, tanh, sub, exp, relu

    @property
    def n_ops(self) -> int:
        return self.OPS_PER_CYCLE * self.cycles


Problem = MLPProblem | ChainProblem


def make_mlp_problem(
    sizes: list[int],
    batch: int,
    activation: str,
    loss: str,
    dtype: type = np.float32,
    seed: int = 0,
) -> MLPProblem:
    """Random data and PyTorch-style initial weights (uniform in +-1/sqrt(fan_in))."""
    rng = np.random.default_rng(seed)
    X: np.ndarray = rng.standard_normal((batch, sizes[0])).astype(dtype)
    if loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], size=batch).astype(np.int64)
    else:
        y = np.sin(np.pi * X[:, :1]) * np.cos(X[:, -1:])  # any smooth target
        y = y.astype(dtype)
    weights: list[np.ndarray] = []
    biases: list[np.ndarray] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1.0 / np.sqrt(n_in)
        weights.append(rng.uniform(-bound, bound, (n_out, n_in)).astype(dtype))
        biases.append(rng.uniform(-bound, bound, n_out).astype(dtype))
    return MLPProblem(sizes, activation, loss, X, y, weights, biases)


def make_chain_problem(
    shape: tuple[int, ...], cycles: int, dtype: type = np.float32, seed: int = 0
) -> ChainProblem:
    rng = np.random.default_rng(seed)

    def draw(low: float, high: float) -> np.ndarray:
        return rng.uniform(low, high, shape).astype(dtype)

    return ChainProblem(draw(-1, 1), draw(0.5, 1.0), draw(-0.5, 0.5), draw(0.0, 0.5), cycles)


# --------------------------------------------------------------------------------------
# Hand-written NumPy: the tutorials' vectorised backprop (skips dX, the input gradient).
# --------------------------------------------------------------------------------------


class NumpyMLP:
    """Forward, softmax cross-entropy or MSE, backward by the delta recursion, SGD."""

    def __init__(self, p: MLPProblem) -> None:
        self.X, self.y, self.lr = p.X, p.y, p.lr
        self.Ws = [W.copy() for W in p.weights]
        self.bs = [b.copy() for b in p.biases]
        self.relu = p.activation == "relu"
        self.cross_entropy = p.loss == "cross_entropy"
        self.rows = np.arange(p.X.shape[0])

    def step(self) -> tuple[Any, Any]:
        Ws, bs, L = self.Ws, self.bs, len(self.Ws)
        A = [self.X]  # A[l]: activations entering layer l, (m, n[l])
        for W, b in zip(Ws[:-1], bs[:-1], strict=True):
            Z = A[-1] @ W.T + b
            A.append(np.maximum(Z, 0) if self.relu else np.tanh(Z))
        Z = A[-1] @ Ws[-1].T + bs[-1]  # (m, n[L])
        m = Z.shape[0]
        if self.cross_entropy:
            Z_shift = Z - Z.max(axis=1, keepdims=True)
            E = np.exp(Z_shift)
            S = E.sum(axis=1, keepdims=True)
            loss = np.log(S[:, 0]).mean() - Z_shift[self.rows, self.y].mean()
            dZ = E / S  # softmax
            dZ[self.rows, self.y] -= 1
            dZ /= m  # (softmax - onehot) / m
        else:
            D = Z - self.y
            loss = (D * D).mean()
            dZ = D * (2 / D.size)
        dW1 = None
        for k in range(L - 1, -1, -1):
            dW = dZ.T @ A[k]  # (n[k+1], n[k])
            db = dZ.sum(axis=0)
            if k > 0:
                dA = dZ @ Ws[k]
                dZ = dA * (A[k] > 0) if self.relu else dA * (1 - A[k] * A[k])
            Ws[k] -= self.lr * dW
            bs[k] -= self.lr * db
            dW1 = dW
        return loss, dW1


class NumpyChain:
    """The elementwise chain written out by hand, forward then backward."""

    def __init__(self, p: ChainProblem) -> None:
        self.x, self.a, self.b, self.c, self.cycles = p.x, p.a, p.b, p.c, p.cycles

    def step(self) -> tuple[Any, Any]:
        a, b, c = self.a, self.b, self.c
        h = self.x
        saved = []
        for _ in range(self.cycles):
            t = np.tanh(h * a + b)
            e = np.exp(t - c)
            h = np.maximum(e, 0)
            saved.append((t, e))
        loss = h.sum()
        g = np.ones_like(h)
        for t, e in reversed(saved):
            g = g * (e > 0)  # relu
            g = g * e  # exp
            g = g * (1 - t * t)  # tanh (sub and add pass g through)
            g = g * a  # mul
        return loss, g


class NumpyGEMM:
    """Reference, not a framework: only the 8 matrix products of one NumpyMLP step.

    Forward ``A[k] @ W[k].T`` (3), ``dW = dZ[k].T @ A[k]`` (3), ``dA = dZ[k] @ W[k]`` for
    k > 0 (2): the same shapes, transposes and fresh result arrays as NumpyMLP, on the
    activations and deltas of one NumpyMLP step. Its time is the GEMM floor of a step.
    """

    def __init__(self, p: MLPProblem) -> None:
        self.Ws = [W.copy() for W in p.weights]
        relu = p.activation == "relu"
        self.A = [p.X]  # A[k]: activations entering layer k, (m, n[k])
        for W, b in zip(self.Ws[:-1], p.biases[:-1], strict=True):
            Z = self.A[-1] @ W.T + b
            self.A.append(np.maximum(Z, 0) if relu else np.tanh(Z))
        rng = np.random.default_rng(1)
        m = p.X.shape[0]
        # dZ[k]: (m, n[k+1]); its values do not change the time of a product
        self.dZ = [
            (rng.standard_normal((m, W.shape[0])) / m).astype(W.dtype) for W in self.Ws
        ]

    def step(self) -> tuple[Any, Any]:
        A, dZ, Ws = self.A, self.dZ, self.Ws
        for k, W in enumerate(Ws):
            A[k] @ W.T
        dW = None
        for k in range(len(Ws) - 1, -1, -1):
            dW = dZ[k].T @ A[k]
            if k > 0:
                dZ[k] @ Ws[k]
        return None, dW


def numpy_forward_only(p: ChainProblem) -> Callable[[], Any]:
    """The same NumPy calls as NumpyChain's forward, with no autodiff and nothing saved."""
    a, b, c, x, cycles = p.a, p.b, p.c, p.x, p.cycles

    def forward() -> Any:
        h = x
        for _ in range(cycles):
            h = np.maximum(np.exp(np.tanh(h * a + b) - c), 0)
        return h.sum()

    return forward


# --------------------------------------------------------------------------------------
# tinygrad_nn, written as a user would.
# --------------------------------------------------------------------------------------


def _activate(h: Any, activation: str) -> Any:
    return h.relu() if activation == "relu" else h.tanh()


class TinygradMLP:
    """Raw Tensors: ``h = h @ W.T + b``; F.cross_entropy / F.mse_loss; manual SGD."""

    def __init__(self, p: MLPProblem) -> None:
        import tinygrad_nn.functional as F
        from tinygrad_nn import Tensor

        self.F = F
        self.X, self.y, self.lr = Tensor(p.X), Tensor(p.y), p.lr
        self.Ws = [Tensor(W.copy(), requires_grad=True) for W in p.weights]
        self.bs = [Tensor(b.copy(), requires_grad=True) for b in p.biases]
        self.params = [t for pair in zip(self.Ws, self.bs, strict=True) for t in pair]
        self.activation, self.loss = p.activation, p.loss

    def forward(self, X: Any = None, y: Any = None) -> Any:
        """The loss on (X, y), by default the problem's batch."""
        h = self.X if X is None else X
        y = self.y if y is None else y
        last = len(self.Ws) - 1
        for k, (W, b) in enumerate(zip(self.Ws, self.bs, strict=True)):
            h = h @ W.T + b
            if k < last:
                h = _activate(h, self.activation)
        if self.loss == "cross_entropy":
            return self.F.cross_entropy(h, y)
        return self.F.mse_loss(h, y)

    def update(self) -> Any:
        """SGD; returns the first layer's gradient (the reference is kept, no copy)."""
        dW1 = self.Ws[0].grad.data
        for p in self.params:
            p.data -= self.lr * p.grad.data
            p.grad = None
        return dW1

    def step(self) -> tuple[Any, Any]:
        loss = self.forward()
        loss.backward()
        return loss.data, self.update()


class TinygradNNMLP:
    """``nn.MLP`` + ``optim.SGD``: the library's own building blocks."""

    def __init__(self, p: MLPProblem) -> None:
        import tinygrad_nn.functional as F
        from tinygrad_nn import Tensor, get_default_dtype, nn, optim, set_default_dtype

        self.F = F
        self.X, self.y = Tensor(p.X), Tensor(p.y)
        previous = get_default_dtype()
        set_default_dtype(p.weights[0].dtype)  # parameters in the problem's dtype
        try:
            self.model = nn.MLP(list(p.sizes), activation=p.activation)
        finally:
            set_default_dtype(previous)
        params = list(self.model.parameters())  # weight, bias of each Linear, in order
        arrays = [a for pair in zip(p.weights, p.biases, strict=True) for a in pair]
        if [t.shape for t in params] != [a.shape for a in arrays]:
            raise ValueError(
                f"nn.MLP({p.sizes}) parameters have shapes {[t.shape for t in params]}, "
                f"expected {[a.shape for a in arrays]}"
            )
        for t, a in zip(params, arrays, strict=True):
            t.data[...] = a
        self.first_weight = params[0]
        self.opt = optim.SGD(params, lr=p.lr)
        self.loss = p.loss

    def forward(self, X: Any = None, y: Any = None) -> Any:
        """The loss on (X, y), by default the problem's batch."""
        out = self.model(self.X if X is None else X)
        y = self.y if y is None else y
        if self.loss == "cross_entropy":
            return self.F.cross_entropy(out, y)
        return self.F.mse_loss(out, y)

    def update(self) -> Any:
        self.opt.step()
        return self.first_weight.grad.data

    def step(self) -> tuple[Any, Any]:
        self.opt.zero_grad()
        loss = self.forward()
        loss.backward()
        return loss.data, self.update()


class TinygradChain:
    def __init__(self, p: ChainProblem) -> None:
        from tinygrad_nn import Tensor

        self.x = Tensor(p.x.copy(), requires_grad=True)
        self.a, self.b, self.c = Tensor(p.a), Tensor(p.b), Tensor(p.c)
        self.cycles = p.cycles

    def forward(self) -> Any:
        a, b, c = self.a, self.b, self.c
        h = self.x
        for _ in range(self.cycles):
            h = ((h * a + b).tanh() - c).exp().relu()
        return h.sum()

    def update(self) -> Any:
        dx = self.x.grad.data
        self.x.grad = None
        return dx

    def step(self) -> tuple[Any, Any]:
        loss = self.forward()
        loss.backward()
        return loss.data, self.update()


class _CompiledMLPStep:
    """``step`` of a runner whose ``compiled`` step returns (loss, dW1) tensors."""

    compiled: Any
    X: Any
    y: Any

    def step(self) -> tuple[Any, Any]:
        loss, dW1 = self.compiled(self.X, self.y)
        return loss.data, dW1.data


class TinygradCompiledMLP(_CompiledMLPStep, TinygradMLP):
    """TinygradMLP's step under ``tinygrad_nn.compile``: SGD as tensor ops under no_grad."""

    def __init__(self, p: MLPProblem) -> None:
        import tinygrad_nn

        super().__init__(p)

        def train_step(X: Any, y: Any) -> tuple[Any, Any]:
            for q in self.params:
                q.grad = None
            loss = self.forward(X, y)
            loss.backward()
            with tinygrad_nn.no_grad():
                for q in self.params:
                    q -= self.lr * q.grad
            return loss, self.Ws[0].grad

        self.compiled = tinygrad_nn.compile(train_step)


class TinygradNNCompiledMLP(_CompiledMLPStep, TinygradNNMLP):
    """TinygradNNMLP's step (zero_grad, forward, backward, SGD step) under ``compile``."""

    def __init__(self, p: MLPProblem) -> None:
        import tinygrad_nn

        super().__init__(p)

        def train_step(X: Any, y: Any) -> tuple[Any, Any]:
            self.opt.zero_grad()
            loss = self.forward(X, y)
            loss.backward()
            self.opt.step()
            return loss, self.first_weight.grad

        self.compiled = tinygrad_nn.compile(train_step)


class TinygradCompiledChain(TinygradChain):
    """TinygradChain's forward and backward under ``tinygrad_nn.compile``."""

    def __init__(self, p: ChainProblem) -> None:
        import tinygrad_nn

        super().__init__(p)

        def train_step() -> tuple[Any, Any]:
            self.x.grad = None
            loss = self.forward()
            loss.backward()
            return loss, self.x.grad

        self.compiled = tinygrad_nn.compile(train_step)

    def step(self) -> tuple[Any, Any]:
        loss, dx = self.compiled()
        return loss.data, dx.data


# --------------------------------------------------------------------------------------
# PyTorch eager, written as a user would (nn.Sequential of nn.Linear, optim.SGD).
# --------------------------------------------------------------------------------------


class TorchMLP:
    def __init__(self, p: MLPProblem) -> None:
        import torch

        self.torch = torch
        layers: list[Any] = []
        for k, (W, b) in enumerate(zip(p.weights, p.biases, strict=True)):
            lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=_torch_dtype(W.dtype))
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(W))
                lin.bias.copy_(torch.from_numpy(b))
            layers.append(lin)
            if k < len(p.weights) - 1:
                layers.append(torch.nn.ReLU() if p.activation == "relu" else torch.nn.Tanh())
        self.model = torch.nn.Sequential(*layers)
        self.first_weight = layers[0].weight
        self.opt = torch.optim.SGD(self.model.parameters(), lr=p.lr)
        self.X, self.y = torch.from_numpy(p.X), torch.from_numpy(p.y)
        fn = torch.nn.functional
        self.loss_fn = fn.cross_entropy if p.loss == "cross_entropy" else fn.mse_loss

    def step(self) -> tuple[Any, Any]:
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(self.X), self.y)
        loss.backward()
        self.opt.step()
        return loss.detach(), self.first_weight.grad


class TorchChain:
    def __init__(self, p: ChainProblem) -> None:
        import torch

        self.x = torch.tensor(p.x, requires_grad=True)
        self.a, self.b, self.c = (torch.from_numpy(v) for v in (p.a, p.b, p.c))
        self.cycles = p.cycles

    def step(self) -> tuple[Any, Any]:
        a, b, c = self.a, self.b, self.c
        h = self.x
        for _ in range(self.cycles):
            h = ((h * a + b).tanh() - c).exp().relu()
        loss = h.sum()
        loss.backward()
        dx = self.x.grad
        self.x.grad = None
        return loss.detach(), dx


class _TorchCompiled:
    """The eager torch runner's own ``step`` under ``torch.compile`` (default settings).

    This is how a PyTorch user compiles a training step: ``step = torch.compile(train_step)``,
    the same call ``tinygrad_nn.compile(train_step)`` is. In torch 2.13 on CPU, dynamo breaks
    the graph at ``optimizer.zero_grad()`` (marked not to be traced), at ``loss.backward()``
    (not traced unless the experimental ``trace_autograd_ops``) and inside
    ``optimizer.step()``; so ``fullgraph=True`` fails, and the default compiles the forward
    and loss into one inductor graph (its backward is AOTAutograd's compiled backward graph)
    while the rest runs eagerly between graphs. Dynamo's caches are reset when a runner is
    made, as in a fresh process: otherwise a second model's shapes would make dynamo compile
    a dynamic-shape graph, and after 8 runners it would stop compiling. Compilation happens
    on the first call(s), which the harness's warm-up runs before any timing.
    """

    def _compile(self, step: Callable[[], tuple[Any, Any]]) -> None:
        import torch

        torch._dynamo.reset()
        self._graphs_before = _dynamo_graphs()
        self._compiled = torch.compile(step)
        self._first = True

    def step(self) -> tuple[Any, Any]:
        if not self._first:
            return self._compiled()
        try:
            result = self._compiled()
        except Exception as e:  # a compiler that fails here is not a result of the step
            first_line = (str(e).strip().splitlines() or [""])[0]
            raise NotRunnable(f"torch.compile failed: {type(e).__name__}: {first_line}") from e
        if _dynamo_graphs() == self._graphs_before:
            raise NotRunnable("torch.compile compiled no graph (the step ran eagerly)")
        self._first = False
        return result


def _dynamo_graphs() -> int:
    """How many graphs dynamo has compiled in this process (since its last reset)."""
    from torch._dynamo.utils import counters

    return int(counters["stats"]["unique_graphs"])


class TorchCompiledMLP(_TorchCompiled):
    """TorchMLP's step (zero_grad, forward, loss, backward, SGD step) under torch.compile."""

    def __init__(self, p: MLPProblem) -> None:
        self.eager = TorchMLP(p)
        self._compile(self.eager.step)


class TorchCompiledChain(_TorchCompiled):
    """TorchChain's step (forward, sum, backward) under torch.compile."""

    def __init__(self, p: ChainProblem) -> None:
        self.eager = TorchChain(p)
        self._compile(self.eager.step)


def _torch_dtype(dtype: np.dtype) -> Any:
    import torch

    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[
        np.dtype(dtype)
    ]


def to_numpy(value: Any) -> np.ndarray:
    """A framework's loss or gradient as a NumPy array (a copy)."""
    if hasattr(value, "detach"):  # torch.Tensor
        return np.array(value.detach().numpy())
    if hasattr(value, "data") and not isinstance(value, np.ndarray | np.generic):
        return np.array(value.data)
    return np.array(value)


# --------------------------------------------------------------------------------------
# Workloads and which frameworks run them.
# --------------------------------------------------------------------------------------


@dataclass
class Workload:
    name: str
    title: str
    make: Callable[[bool, type], Problem]  # (quick, dtype) -> problem
    target: float  # the target time ratio of the eager step to hand-written NumPy
    # the target time ratio of the compiled step (tinygrad_nn.compile) to hand-written NumPy;
    # its memory target is a peak at most the same framework's eager step's (EAGER_OF)
    compiled_target: float
    per_op: bool = False  # report time per op instead of per step
    # peak memory target ratio of the eager step to NumPy; None where it is not a target (the
    # per-op chain's arrays are as small as the Python objects that record each op)
    memory_target: float | None = 1.25
    runners: dict[str, Callable[[Any], Runner]] = field(default_factory=dict)


MLP_RUNNERS: dict[str, Callable[[Any], Runner]] = {
    "numpy": NumpyMLP,
    "gemm": NumpyGEMM,
    "tinygrad_nn": TinygradMLP,
    "tinygrad_nn.nn": TinygradNNMLP,
    "tinygrad_nn+compile": TinygradCompiledMLP,
    "tinygrad_nn.nn+compile": TinygradNNCompiledMLP,
    "torch": TorchMLP,
    "torch.compile": TorchCompiledMLP,
}
CHAIN_RUNNERS: dict[str, Callable[[Any], Runner]] = {
    "numpy": NumpyChain,
    "tinygrad_nn": TinygradChain,
    "tinygrad_nn+compile": TinygradCompiledChain,
    "torch": TorchChain,
    "torch.compile": TorchCompiledChain,
}
REFERENCES = ("gemm",)  # timed, not checked: parts of a step, not frameworks
EAGER_OF = {  # compiled step -> the same framework's eager step (its memory target)
    "tinygrad_nn+compile": "tinygrad_nn",
    "tinygrad_nn.nn+compile": "tinygrad_nn.nn",
    "torch.compile": "torch",
}

WORKLOADS: dict[str, Workload] = {
    "mlp_small": Workload(
        "mlp_small",
        "MLP 784-256-128-10, batch 128, ReLU, softmax CE, SGD",
        lambda quick, dt: make_mlp_problem(
            [784, 256, 128, 10] if not quick else [20, 16, 8, 10],
            128 if not quick else 16,
            "relu",
            "cross_entropy",
            dt,
        ),
        1.05,
        0.85,
        runners=MLP_RUNNERS,
    ),
    "mlp_large": Workload(
        "mlp_large",
        "MLP 784-1024-1024-10, batch 512, ReLU, softmax CE, SGD",
        lambda quick, dt: make_mlp_problem(
            [784, 1024, 1024, 10] if not quick else [30, 24, 24, 10],
            512 if not quick else 32,
            "relu",
            "cross_entropy",
            dt,
        ),
        1.02,
        0.83,
        runners=MLP_RUNNERS,
    ),
    "tiny_tanh": Workload(
        "tiny_tanh",
        "MLP 2-16-16-1, 64 points, tanh, MSE, SGD",
        lambda quick, dt: make_mlp_problem([2, 16, 16, 1], 64, "tanh", "mse", dt),
        2.5,
        1.2,
        runners=MLP_RUNNERS,
    ),
    "per_op": Workload(
        "per_op",
        "chain of elementwise ops (mul, add, tanh, sub, exp, relu) on (16, 16), fwd+bwd",
        lambda quick, dt: make_chain_problem((16, 16), 10 if not quick else 2, dt),
        3.0,  # the eager engine's per-op target (the lead's decision on issue 14)
        1.2,
        per_op=True,
        memory_target=None,
        runners=CHAIN_RUNNERS,
    ),
}


def available_frameworks() -> dict[str, str | None]:
    """Framework name -> None if usable, else why not."""
    out: dict[str, str | None] = {"numpy": None, "gemm": None}
    try:
        import tinygrad_nn  # noqa: F401
        from tinygrad_nn import Tensor  # noqa: F401

        out["tinygrad_nn"] = None
    except ImportError as e:
        out["tinygrad_nn"] = f"not importable ({e})"
    try:
        from tinygrad_nn import nn, optim  # noqa: F401

        out["tinygrad_nn.nn"] = None if out["tinygrad_nn"] is None else out["tinygrad_nn"]
    except ImportError as e:
        out["tinygrad_nn.nn"] = f"nn/optim not importable ({e})"
    for fw in ("tinygrad_nn+compile", "tinygrad_nn.nn+compile"):
        out[fw] = out["tinygrad_nn.nn"]
        if out[fw] is None and not hasattr(tinygrad_nn, "compile"):
            out[fw] = "this tinygrad_nn has no compile()"
    out["torch"] = None if importlib.util.find_spec("torch") else "not installed"
    out["torch.compile"] = out["torch"] or _cxx_missing()
    return out


def _cxx_missing() -> str | None:
    """Why torch.compile's inductor (it builds C++ kernels on CPU) cannot run, or None.

    Looks where inductor does by default ($CXX, then g++); whether compiling works shows at
    the runner's first step.
    """
    names = [os.environ["CXX"], "g++"] if os.environ.get("CXX") else ["g++"]
    if any(shutil.which(n) for n in names):
        return None
    return f"no C++ compiler for inductor (looked for {', '.join(names)})"
