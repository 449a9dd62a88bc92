"""PyTorch programs run unchanged: the same source text, once on torch and once on tinygrad_nn.

Each program is written once, as PyTorch code, with the names ``torch``, ``nn``, ``F`` and
``optim`` that its imports would bind (``import torch``, ``from torch import nn``, ``import
torch.nn.functional as F``, ``from torch import optim``). It runs once with PyTorch's
modules bound to those names and once with tinygrad_nn's: only the imports differ. Both runs
get the same NumPy data; where a program draws random initial values (``torch.randn``, a
layer's default init), its source marks the point ``# -- same initial values --`` and the
harness copies torch's values into ours there (parameters of modules in order, tensors by
name). Then the listed expressions (values, gradients, losses along the way, dtypes) are
compared: to 1e-5 where torch's result is float32, to 1e-10 where it is float64, exactly for
integers, bools, shapes and dtypes.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import tinygrad_nn
import tinygrad_nn.functional
import tinygrad_nn.nn
import tinygrad_nn.optim

torch = pytest.importorskip("torch")

SYNC_MARK = "# -- same initial values --"
TOLERANCE = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10, np.dtype(np.float16): 1e-3}


def _namespace(lib: Any, data: dict[str, Any]) -> dict[str, Any]:
    is_torch = lib is torch
    ns: dict[str, Any] = {
        "torch": lib,
        "nn": torch.nn if is_torch else tinygrad_nn.nn,
        "F": torch.nn.functional if is_torch else tinygrad_nn.functional,
        "optim": torch.optim if is_torch else tinygrad_nn.optim,
        # from torch.utils.data import DataLoader, Dataset, TensorDataset
        "DataLoader": (torch.utils.data if is_torch else tinygrad_nn.data).DataLoader,
        "Dataset": (torch.utils.data if is_torch else tinygrad_nn.data).Dataset,
        "TensorDataset": (torch.utils.data if is_torch else tinygrad_nn.data).TensorDataset,
        "np": np,
        "math": math,
        "__name__": "parity_program",
    }
    ns.update({k: v.copy() if isinstance(v, np.ndarray) else v for k, v in data.items()})
    return ns


@dataclass(frozen=True)
class Program:
    """A PyTorch program, the NumPy data it reads, and what to compare after it ran."""

    name: str
    source: str
    compare: tuple[str, ...]
    data: Callable[[], dict[str, Any]] = dict
    sync: tuple[str, ...] = field(default=())  # names whose values are copied at SYNC_MARK


def _copy_initial_values(
    names: tuple[str, ...], theirs: dict[str, Any], ours: dict[str, Any]
) -> None:
    for name in names:
        t, o = theirs[name], ours[name]
        if isinstance(t, torch.nn.Module):
            t_params, o_params = list(t.parameters()), list(o.parameters())
            assert len(t_params) == len(o_params), f"{name}: parameter counts differ"
            pairs = list(zip(t_params, o_params, strict=True))
        else:
            pairs = [(t, o)]
        for tp, op in pairs:
            assert tuple(tp.shape) == tuple(op.shape), f"{name}: shapes {tp.shape}, {op.shape}"
            op.data[...] = tp.detach().numpy()


def run(program: Program, seed: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    source = textwrap.dedent(program.source)
    setup, _, body = source.partition(SYNC_MARK)
    data = program.data()
    theirs, ours = _namespace(torch, data), _namespace(tinygrad_nn, data)
    torch.manual_seed(seed)  # so that a run is repeatable (the values are copied anyway)
    tinygrad_nn.manual_seed(seed)
    for ns in (theirs, ours):
        exec(compile(setup, f"<{program.name}: setup>", "exec"), ns)  # noqa: S102
    _copy_initial_values(program.sync, theirs, ours)
    for ns in (theirs, ours):
        exec(compile(body, f"<{program.name}>", "exec"), ns)  # noqa: S102
    return theirs, ours


def _plain(value: Any) -> Any:
    """A value as NumPy (arrays) or Python (everything else), from either library."""
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, tinygrad_nn.Tensor):
        return value.data
    if isinstance(value, torch.dtype):
        return str(value).removeprefix("torch.")
    if isinstance(value, np.dtype):
        return str(value)
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, (list, tuple)):
        return (
            type(value)(_plain(v) for v in value)
            if not hasattr(value, "_fields")
            else tuple(_plain(v) for v in value)
        )
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def assert_same(expr: str, theirs: Any, ours: Any) -> None:
    t, o = _plain(theirs), _plain(ours)
    if isinstance(t, dict):
        assert isinstance(o, dict) and list(o) == list(t), f"{expr}: keys {list(o)} != {list(t)}"
        for k in t:
            assert_same(f"{expr}[{k!r}]", t[k], o[k])
    elif isinstance(t, (list, tuple)):
        assert isinstance(o, (list, tuple)) and len(o) == len(t), f"{expr}: {o!r} vs {t!r}"
        for i, (a, b) in enumerate(zip(t, o, strict=True)):
            assert_same(f"{expr}[{i}]", a, b)
    elif isinstance(t, np.ndarray):
        assert isinstance(o, np.ndarray), f"{expr}: ours is {type(o).__name__}, not a tensor"
        assert o.shape == t.shape, f"{expr}: shape {o.shape}, torch {t.shape}"
        assert o.dtype == t.dtype, f"{expr}: dtype {o.dtype}, torch {t.dtype}"
        if t.dtype.kind == "f":
            tol = TOLERANCE[t.dtype]
            np.testing.assert_allclose(o, t, rtol=tol, atol=tol, err_msg=expr)
        else:
            np.testing.assert_array_equal(o, t, err_msg=expr)
    elif isinstance(t, float):
        assert isinstance(o, float), f"{expr}: ours is {type(o).__name__}, torch float"
        np.testing.assert_allclose(o, t, rtol=1e-5, atol=1e-5, err_msg=expr)
    else:
        assert type(o) is type(t) and o == t, f"{expr}: ours {o!r}, torch {t!r}"


def _poly_data() -> dict[str, Any]:
    return {}


def _moons(n: int = 100, seed: int = 0) -> dict[str, Any]:
    """Two interleaving half circles with noise, labels -1 / 1 (micrograd's demo data)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    X = np.stack([x, y], 1) + rng.normal(0, 0.1, (n, 2))
    return {"X_np": X, "y_np": np.where(upper, 1.0, -1.0)}


def _images(n: int = 12, seed: int = 1) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {
        "images": rng.random((n, 28, 28)).astype(np.float32),
        "labels": rng.integers(0, 10, n),
    }


PROGRAMS = [
    Program(
        "Learning PyTorch with Examples: tensors and autograd, polynomial fit",
        """
        dtype = torch.float
        device = torch.device("cpu")
        x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
        y = torch.sin(x)
        a = torch.randn((), device=device, dtype=dtype, requires_grad=True)
        b = torch.randn((), device=device, dtype=dtype, requires_grad=True)
        c = torch.randn((), device=device, dtype=dtype, requires_grad=True)
        d = torch.randn((), device=device, dtype=dtype, requires_grad=True)
        # -- same initial values --
        learning_rate = 1e-6
        losses = []
        for t in range(100):
            y_pred = a + b * x + c * x ** 2 + d * x ** 3
            loss = (y_pred - y).pow(2).sum()
            losses.append(loss.item())
            loss.backward()
            with torch.no_grad():
                a -= learning_rate * a.grad
                b -= learning_rate * b.grad
                c -= learning_rate * c.grad
                d -= learning_rate * d.grad
                a.grad = None
                b.grad = None
                c.grad = None
                d.grad = None
        result = f"y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3"
        """,
        ("losses", "a", "b", "c", "d", "y_pred", "loss.dtype", "a.is_leaf"),
        sync=("a", "b", "c", "d"),
    ),
    Program(
        "Learning PyTorch with Examples: tensors with manual gradients, float64",
        """
        dtype = torch.float64
        x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
        y = torch.sin(x)
        a = torch.randn((), dtype=dtype)
        b = torch.randn((), dtype=dtype)
        c = torch.randn((), dtype=dtype)
        d = torch.randn((), dtype=dtype)
        # -- same initial values --
        learning_rate = 1e-6
        for t in range(200):
            y_pred = a + b * x + c * x ** 2 + d * x ** 3
            loss = (y_pred - y) ** 2
            loss = loss.sum().item()
            grad_y_pred = 2.0 * (y_pred - y)
            grad_a = grad_y_pred.sum()
            grad_b = (grad_y_pred * x).sum()
            grad_c = (grad_y_pred * x ** 2).sum()
            grad_d = (grad_y_pred * x ** 3).sum()
            a -= learning_rate * grad_a
            b -= learning_rate * grad_b
            c -= learning_rate * grad_c
            d -= learning_rate * grad_d
        """,
        ("loss", "a", "b", "c", "d", "grad_d"),
        sync=("a", "b", "c", "d"),
    ),
    Program(
        "A Gentle Introduction to torch.autograd: Q = 3a^3 - b^2",
        """
        a = torch.tensor([2., 3.], requires_grad=True)
        b = torch.tensor([6., 4.], requires_grad=True)
        Q = 3*a**3 - b**2
        external_grad = torch.tensor([1., 1.])
        Q.backward(gradient=external_grad)
        check_a = 9*a**2 == a.grad
        check_b = -2*b == b.grad
        leaves = (a.is_leaf, b.is_leaf, Q.is_leaf, Q.requires_grad)
        """,
        ("Q", "a.grad", "b.grad", "check_a", "check_b", "leaves", "a.grad.dtype"),
    ),
    Program(
        "A Gentle Introduction to torch.autograd: exclusion from the DAG",
        """
        x = torch.rand(5, 5)
        y = torch.rand(5, 5)
        z = torch.rand((5, 5), requires_grad=True)
        # -- same initial values --
        a = x + y
        b = x + z
        flags = (a.requires_grad, b.requires_grad)
        b.sum().backward()
        with torch.no_grad():
            c = z * 2
        """,
        ("flags", "z.grad", "c.requires_grad", "x.grad is None"),
        sync=("x", "y", "z"),
    ),
    Program(
        "Optimizing Model Parameters: SGD loop with cross-entropy, batches by slicing",
        """
        model = nn.Sequential(
            nn.Linear(28 * 28, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )
        # -- same initial values --
        X = torch.from_numpy(images).reshape(-1, 28 * 28)
        y = torch.tensor(labels)
        learning_rate = 1e-1
        batch_size = 4
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
        losses = []
        for epoch in range(3):
            for i in range(0, len(X), batch_size):
                pred = model(X[i:i + batch_size])
                loss = F.cross_entropy(pred, y[i:i + batch_size])
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                losses.append(loss.item())
        with torch.no_grad():
            pred = model(X)
            test_loss = F.cross_entropy(pred, y).item()
            correct = (pred.argmax(1) == y).sum().item()
        """,
        ("losses", "test_loss", "correct", "pred", "list(model.parameters())"),
        data=_images,
        sync=("model",),
    ),
    Program(
        "micrograd's moons demo: SVM max-margin loss with relu, L2 regularisation",
        """
        X = torch.tensor(X_np)
        y = torch.tensor(y_np)
        model = nn.Sequential(
            nn.Linear(2, 16, dtype=torch.float64),
            nn.ReLU(),
            nn.Linear(16, 16, dtype=torch.float64),
            nn.ReLU(),
            nn.Linear(16, 1, dtype=torch.float64),
        )
        # -- same initial values --
        history = []
        for k in range(30):
            scores = model(X).squeeze(1)
            losses = (1 + -y * scores).relu()
            data_loss = losses.mean()
            alpha = 1e-4
            reg_loss = alpha * sum((p * p).sum() for p in model.parameters())
            total_loss = data_loss + reg_loss
            accuracy = ((y > 0) == (scores > 0)).float().mean().item()
            model.zero_grad()
            total_loss.backward()
            learning_rate = 1.0 - 0.9 * k / 100
            with torch.no_grad():
                for p in model.parameters():
                    p -= learning_rate * p.grad
            history.append((total_loss.item(), accuracy))
        grads = [p.grad for p in model.parameters()]
        """,
        ("history", "scores", "grads", "list(model.parameters())"),
        data=_moons,
        sync=("model",),
    ),
    Program(
        "Learning PyTorch with Examples: custom nn Module, MSELoss and SGD, float64",
        """
        class Polynomial3(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Parameter(torch.randn((), dtype=torch.float64))
                self.b = torch.nn.Parameter(torch.randn((), dtype=torch.float64))
                self.c = torch.nn.Parameter(torch.randn((), dtype=torch.float64))
                self.d = torch.nn.Parameter(torch.randn((), dtype=torch.float64))

            def forward(self, x):
                return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

            def string(self):
                return f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2"

        x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float64)
        y = torch.sin(x)
        model = Polynomial3()
        # -- same initial values --
        criterion = torch.nn.MSELoss(reduction="sum")
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.5)
        losses = []
        for t in range(100):
            y_pred = model(x)
            loss = criterion(y_pred, y)
            losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        grads = [p.grad for p in model.parameters()]
        names = [name for name, _ in model.named_parameters()]
        """,
        ("losses", "grads", "names", "model.state_dict()"),
        sync=("model",),
    ),
    Program(
        "idiom: Adam on an nn.Sequential, float64, with weight decay",
        """
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
        # -- same initial values --
        opt = optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
        x, t = torch.from_numpy(X), torch.from_numpy(T)
        losses = []
        for step in range(20):
            opt.zero_grad()
            loss = nn.MSELoss()(model(x), t)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        """,
        ("losses", "list(model.parameters())", "[p.grad for p in model.parameters()]"),
        data=lambda: {
            "X": np.random.default_rng(11).standard_normal((8, 3)),
            "T": np.random.default_rng(12).standard_normal((8, 2)),
        },
        sync=("model",),
    ),
    Program(
        "Learning PyTorch with Examples: nn module, x.unsqueeze(-1).pow(p), Flatten(0, 1)",
        """
        x = torch.linspace(-math.pi, math.pi, 2000)
        y = torch.sin(x)
        p = torch.tensor([1, 2, 3])
        xx = x.unsqueeze(-1).pow(p)
        model = torch.nn.Sequential(
            torch.nn.Linear(3, 1),
            torch.nn.Flatten(0, 1)
        )
        # -- same initial values --
        loss_fn = torch.nn.MSELoss(reduction='sum')
        learning_rate = 1e-6
        losses = []
        for t in range(50):
            y_pred = model(xx)
            loss = loss_fn(y_pred, y)
            losses.append(loss.item())
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for param in model.parameters():
                    param -= learning_rate * param.grad
        linear_layer = model[0]
        result = (linear_layer.bias.item(), linear_layer.weight[:, 0].item())
        """,
        ("xx", "xx.dtype", "losses", "y_pred", "result", "list(model.parameters())"),
        sync=("model",),
    ),
    Program(
        "Learning PyTorch with Examples: optim, RMSprop",
        """
        x = torch.linspace(-math.pi, math.pi, 2000)
        y = torch.sin(x)
        p = torch.tensor([1, 2, 3])
        xx = x.unsqueeze(-1).pow(p)
        model = torch.nn.Sequential(
            torch.nn.Linear(3, 1),
            torch.nn.Flatten(0, 1)
        )
        # -- same initial values --
        loss_fn = torch.nn.MSELoss(reduction='sum')
        learning_rate = 1e-3
        optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)
        losses = []
        for t in range(50):
            y_pred = model(xx)
            loss = loss_fn(y_pred, y)
            losses.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        """,
        ("losses", "list(model.parameters())"),
        sync=("model",),
    ),
    Program(
        "idioms: max(dim) unpacking, transpose(0, 1), view, keepdim, std/var, where, promotion",
        """
        x = torch.tensor(A, requires_grad=True)
        values, indices = x.max(dim=1)
        top, where_top = torch.max(x, 1)
        xt = x.transpose(0, 1)
        v = x.view(-1, 2).unsqueeze(0).squeeze(0)
        centred = (x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True)
        spread = x.var(dim=0) + x.var(unbiased=False)
        leaky = torch.where(x > 0, x, 0.1 * x)
        clamped = x.clamp(min=-0.5, max=0.5) + x.clamp_min(0.0)
        trig = torch.sin(x) * torch.cos(xt.t())
        perm = x.permute(1, 0).expand(3, 2, 4)
        total = (values.sum() + xt[0].sum() + v.sum() + centred.pow(3).sum() + spread.sum()
                 + leaky.sum() + clamped.sum() + trig.sum() + perm.sum() + x.amax(dim=0).sum())
        total.backward()
        labels = torch.tensor([0, 2, 1, 1])
        scaled = labels * 0.5
        halves = torch.tensor([1, 2]) / 2
        as_float = labels.float()
        as_long = torch.tensor([1.7, -1.2]).long()
        sizes = (x.size(), x.size(1), x.numel(), x.dim(), x.shape[0])
        dtypes = (scaled.dtype, halves.dtype, as_float.dtype, as_long.dtype, labels.dtype)
        argmax = x.argmax(dim=1)
        """,
        (
            "values",
            "indices",
            "top",
            "where_top",
            "xt",
            "v",
            "centred",
            "spread",
            "leaky",
            "clamped",
            "trig",
            "perm",
            "total",
            "x.grad",
            "scaled",
            "halves",
            "as_float",
            "as_long",
            "sizes",
            "dtypes",
            "argmax",
        ),
        data=lambda: {"A": np.random.default_rng(14).standard_normal((4, 2))},
    ),
    Program(
        "Optimizing Model Parameters: DataLoader over a Dataset, as the tutorial writes it",
        """
        class ImageDataset(Dataset):
            def __init__(self, images, labels):
                self.images = images
                self.labels = labels

            def __len__(self):
                return len(self.labels)

            def __getitem__(self, idx):
                return torch.from_numpy(self.images[idx]), int(self.labels[idx])

        class NeuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(
                    nn.Linear(28*28, 32), nn.ReLU(), nn.Linear(32, 10),
                )

            def forward(self, x):
                return self.linear_relu_stack(self.flatten(x))

        model = NeuralNetwork()
        # -- same initial values --
        learning_rate = 1e-2
        batch_size = 4
        epochs = 2
        train_dataloader = DataLoader(ImageDataset(images, labels), batch_size=batch_size)
        test_data = TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))
        test_dataloader = torch.utils.data.DataLoader(test_data, batch_size=5)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)

        def train_loop(dataloader, model, loss_fn, optimizer):
            size = len(dataloader.dataset)
            model.train()
            out = []
            for batch, (X, y) in enumerate(dataloader):
                pred = model(X)
                loss = loss_fn(pred, y)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                loss, current = loss.item(), batch * batch_size + len(X)
                out.append((loss, current, size))
            return out

        def test_loop(dataloader, model, loss_fn):
            model.eval()
            size = len(dataloader.dataset)
            num_batches = len(dataloader)
            test_loss, correct = 0, 0
            with torch.no_grad():
                for X, y in dataloader:
                    pred = model(X)
                    test_loss += loss_fn(pred, y).item()
                    correct += (pred.argmax(1) == y).type(torch.float).sum().item()
            return test_loss / num_batches, correct / size

        history = []
        for t in range(epochs):
            history.append((train_loop(train_dataloader, model, loss_fn, optimizer),
                            test_loop(test_dataloader, model, loss_fn)))
        X0, y0 = next(iter(train_dataloader))
        batch_info = (X0.shape, X0.dtype, y0.dtype, len(train_dataloader))
        """,
        ("history", "batch_info", "model.state_dict()"),
        data=_images,
        sync=("model",),
    ),
    Program(
        "idiom: a batch of 2 rows, values, indices = x.max(1)",
        """
        x = torch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]], requires_grad=True)
        values, indices = x.max(1)
        row_max = x.max(dim=1).values
        column = x.max(0)
        overall = x.max()
        (values.sum() + overall).backward()
        """,
        ("values", "indices", "row_max", "column.values", "column.indices", "overall", "x.grad"),
    ),
    Program(
        "idiom: cross-entropy on (N, C, L) logits, class dim 1",
        """
        logits = torch.tensor(Z, requires_grad=True)
        target = torch.tensor(T)
        loss = F.cross_entropy(logits, target)
        loss.backward()
        per_position = F.cross_entropy(logits, target, reduction="none")
        smoothed = F.cross_entropy(logits, target, label_smoothing=0.1, weight=torch.tensor(W))
        """,
        ("loss", "logits.grad", "per_position", "smoothed"),
        data=lambda: {
            "Z": np.random.default_rng(3).standard_normal((4, 3, 3)),  # C == L: no shape error
            "T": np.random.default_rng(4).integers(0, 3, (4, 3)),
            "W": np.array([0.2, 1.0, 3.0]),
        },
    ),
    Program(
        "idiom: class labels from a list are int64, functions at the top level",
        """
        labels = torch.tensor([0, 2, 1])
        logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.0, 1.0, 1.0]])
        loss = F.cross_entropy(logits, labels)
        onehot = F.one_hot(labels, num_classes=3)
        probs = torch.softmax(logits, dim=1)
        joined = torch.cat([logits, torch.exp(logits)], dim=1)
        stacked = torch.stack([torch.sigmoid(logits), torch.tanh(logits)], dim=0)
        counts = torch.arange(6).reshape(2, 3)
        z = torch.zeros(2, 3, dtype=torch.float64)
        o = torch.ones_like(z) + torch.full((2, 3), 0.5, dtype=torch.float64)
        mixed = logits * labels[:, None] + onehot / 2
        ratio = counts / torch.tensor([1, 2, 4])
        dtypes = (labels.dtype, logits.dtype, onehot.dtype, counts.dtype, o.dtype, mixed.dtype,
                  ratio.dtype)
        """,
        ("loss", "onehot", "probs", "joined", "stacked", "counts", "o", "mixed", "ratio", "dtypes"),
    ),
    Program(
        "idiom: functional activations and losses",
        """
        x = torch.tensor(X, requires_grad=True)
        t = torch.tensor(T)
        h = F.gelu(x) + F.gelu(x, approximate="tanh") + F.silu(x) + F.leaky_relu(x, 0.2)
        h = F.linear(h, torch.tensor(Wt), torch.tensor(bt))
        loss = F.mse_loss(h, t) + F.l1_loss(h, t) + F.mse_loss(h, t, reduction="sum") / 10
        loss.backward()
        kept = F.dropout(x, p=0.3, training=False)
        """,
        ("h", "loss", "x.grad", "kept"),
        data=lambda: {
            "X": np.random.default_rng(5).standard_normal((6, 4)) * 2,
            "T": np.random.default_rng(6).standard_normal((6, 3)),
            "Wt": np.random.default_rng(7).standard_normal((3, 4)),
            "bt": np.random.default_rng(8).standard_normal(3),
        },
    ),
    Program(
        "Build the Neural Network: nn.Module with Flatten and a Sequential of Linear/ReLU",
        """
        device = "cuda" if torch.cuda.is_available() else "cpu"

        class NeuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(
                    nn.Linear(28*28, 512),
                    nn.ReLU(),
                    nn.Linear(512, 512),
                    nn.ReLU(),
                    nn.Linear(512, 10),
                )

            def forward(self, x):
                x = self.flatten(x)
                logits = self.linear_relu_stack(x)
                return logits

        model = NeuralNetwork().to(device)
        layer1 = nn.Linear(in_features=28*28, out_features=20)
        layer2 = nn.Linear(20, 10)
        # -- same initial values --
        X = torch.from_numpy(images[:1])
        logits = model(X)
        pred_probab = nn.Softmax(dim=1)(logits)
        y_pred = pred_probab.argmax(1)

        input_image = torch.from_numpy(images[:3])
        flatten = nn.Flatten()
        flat_image = flatten(input_image)
        hidden1 = layer1(flat_image)
        hidden1 = nn.ReLU()(hidden1)
        seq_modules = nn.Sequential(flatten, layer1, nn.ReLU(), layer2)
        logits3 = seq_modules(input_image)
        softmax = nn.Softmax(dim=1)
        pred_probab3 = softmax(logits3)
        shapes = [(name, param.size()) for name, param in model.named_parameters()]
        """,
        (
            "logits",
            "pred_probab",
            "y_pred",
            "flat_image.size()",
            "hidden1",
            "pred_probab3",
            "shapes",
        ),
        data=_images,
        sync=("model", "layer1", "layer2"),
    ),
    Program(
        "Optimizing Model Parameters: train and test loops with CrossEntropyLoss and SGD",
        """
        class NeuralNetwork(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(
                    nn.Linear(28*28, 32),
                    nn.ReLU(),
                    nn.Linear(32, 10),
                )

            def forward(self, x):
                return self.linear_relu_stack(self.flatten(x))

        model = NeuralNetwork()
        # -- same initial values --
        learning_rate = 1e-2
        batch_size = 4
        epochs = 3
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
        X_all, y_all = torch.from_numpy(images), torch.from_numpy(labels)
        batches = [(X_all[i:i + batch_size], y_all[i:i + batch_size])
                   for i in range(0, len(X_all), batch_size)]

        def train_loop(batches, model, loss_fn, optimizer):
            model.train()
            out = []
            for batch, (X, y) in enumerate(batches):
                pred = model(X)
                loss = loss_fn(pred, y)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                out.append(loss.item())
            return out

        def test_loop(batches, model, loss_fn):
            model.eval()
            size = sum(len(X) for X, _ in batches)
            num_batches = len(batches)
            test_loss, correct = 0, 0
            with torch.no_grad():
                for X, y in batches:
                    pred = model(X)
                    test_loss += loss_fn(pred, y).item()
                    correct += (pred.argmax(1) == y).sum().item()
            return test_loss / num_batches, correct / size

        history = []
        for t in range(epochs):
            history.append((train_loop(batches, model, loss_fn, optimizer),
                            test_loop(batches, model, loss_fn)))
        """,
        ("history", "model.state_dict()"),
        data=_images,
        sync=("model",),
    ),
    Program(
        "Save and Load the Model: state_dict round trip through torch.save / torch.load",
        """
        model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 16), nn.ReLU(), nn.Linear(16, 10))
        model2 = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 16), nn.ReLU(), nn.Linear(16, 10))
        # -- same initial values --
        torch.save(model.state_dict(), "model_weights.pth")
        model2.load_state_dict(torch.load("model_weights.pth", weights_only=True))
        model2.eval()
        X = torch.from_numpy(images)
        same = model(X)
        loaded = model2(X)
        keys = list(model2.state_dict().keys())
        checkpoint = {"epoch": 3, "model_state_dict": model.state_dict(), "loss": 0.25}
        torch.save(checkpoint, "checkpoint.pth")
        restored = torch.load("checkpoint.pth")
        epoch, loss = restored["epoch"], restored["loss"]
        """,
        ("keys", "same", "loaded", "model2.state_dict()", "epoch", "loss"),
        data=_images,
        sync=("model",),
    ),
    Program(
        "Saving and loading a general checkpoint: model, optimizer and scheduler resume",
        """
        def make():
            net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
            opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
            sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
            return net, opt, sched

        net, optimizer, scheduler = make()
        # -- same initial values --
        x, y = torch.from_numpy(X), torch.from_numpy(Y)

        def train(net, optimizer, scheduler, steps):
            out = []
            for _ in range(steps):
                optimizer.zero_grad()
                loss = F.cross_entropy(net(x), y)
                loss.backward()
                optimizer.step()
                scheduler.step()
                out.append(loss.item())
            return out

        first = train(net, optimizer, scheduler, 3)
        torch.save({
            "epoch": 3,
            "model_state_dict": net.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "scheduler_state_dict": scheduler.state_dict(),
            "loss": first[-1],
        }, "checkpoint.tar")
        model, opt2, sched2 = make()
        checkpoint = torch.load("checkpoint.tar", weights_only=True)
        model.load_state_dict(checkpoint["model_state_dict"])
        opt2.load_state_dict(checkpoint["optimizer_state_dict"])
        sched2.load_state_dict(checkpoint["scheduler_state_dict"])
        epoch, loss = checkpoint["epoch"], checkpoint["loss"]
        model.train()
        resumed = train(model, opt2, sched2, 3)
        lr = sched2.get_last_lr()
        """,
        ("first", "resumed", "lr", "epoch", "loss", "model.state_dict()"),
        data=lambda: {
            "X": np.random.default_rng(15).standard_normal((6, 4)).astype(np.float32),
            "Y": np.random.default_rng(16).integers(0, 3, 6),
        },
        sync=("net",),
    ),
    Program(
        "idiom: freezing a layer keeps it in state_dict",
        """
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
        # -- same initial values --
        for p in model[0].parameters():
            p.requires_grad = False
        optimizer = optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
        x = torch.from_numpy(X)
        for step in range(5):
            loss = F.cross_entropy(model(x), torch.from_numpy(y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        frozen_grad_is_none = model[0].weight.grad is None
        sd = model.state_dict()
        keys = list(sd)
        trainable = [name for name, p in model.named_parameters() if p.requires_grad]
        """,
        ("keys", "sd", "frozen_grad_is_none", "trainable", "loss"),
        data=lambda: {
            "X": np.random.default_rng(9).standard_normal((10, 4)).astype(np.float32),
            "y": np.random.default_rng(10).integers(0, 3, 10),
        },
        sync=("model",),
    ),
]


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_pytorch_program_gives_pytorchs_result(
    program: Program, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # programs that save files write them here
    theirs, ours = run(program)
    for expr in program.compare:
        assert_same(expr, eval(expr, theirs), eval(expr, ours))  # noqa: S307


def test_harness_catches_a_difference() -> None:
    """The comparison can fail: a program whose result depends on the library does."""
    program = Program(
        "differs", "v = torch.tensor([1.0, 2.0]) * (2.0 if torch is T else 3.0)", ("v",)
    )
    theirs, ours = _namespace(torch, {"T": torch}), _namespace(tinygrad_nn, {"T": torch})
    for ns in (theirs, ours):
        exec(program.source, ns)  # noqa: S102
    with pytest.raises(AssertionError):
        assert_same("v", theirs["v"], ours["v"])
    with pytest.raises(AssertionError, match="dtype"):
        assert_same("v", torch.ones(2, dtype=torch.float64), tinygrad_nn.ones(2))


def test_state_dict_moves_both_ways_between_the_same_sequential() -> None:
    def build(lib_nn: Any) -> Any:
        return lib_nn.Sequential(lib_nn.Linear(4, 6), lib_nn.ReLU(), lib_nn.Linear(6, 3))

    theirs, ours = build(torch.nn), build(tinygrad_nn.nn)
    x = np.random.default_rng(13).standard_normal((5, 4)).astype(np.float32)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert_same("after torch -> ours", theirs(torch.from_numpy(x)), ours(tinygrad_nn.tensor(x)))
    fresh = build(torch.nn)
    fresh.load_state_dict(
        {k: torch.from_numpy(np.asarray(v)) for k, v in ours.state_dict().items()}
    )
    assert_same("after ours -> torch", fresh(torch.from_numpy(x)), ours(tinygrad_nn.tensor(x)))
    mlp = tinygrad_nn.nn.MLP([4, 6, 3])  # the same layers: the same keys
    assert (
        list(mlp.state_dict())
        == list(theirs.state_dict())
        == ["0.weight", "0.bias", "2.weight", "2.bias"]
    )
