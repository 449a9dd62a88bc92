"""`fit`: a small, optional training loop with a progress bar, history, early stopping
and checkpoints. It does what the five-line loop in docs/nn.md does, plus bookkeeping;
with `compile=True` that loop is a compiled step (docs/compile.md)."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_nn.autograd import Tensor, no_grad
from tinygrad_nn.compiler import CompiledStep, CompileError
from tinygrad_nn.data.loader import DataLoader, accuracy
from tinygrad_nn.nn.module import Module
from tinygrad_nn.nn.serialization import FORMATS, check_destination, save
from tinygrad_nn.optim import LRScheduler, Optimizer

LossFn = Callable[[Tensor, Tensor], Tensor]
MetricFn = Callable[[Tensor, Tensor], float]


class TrainingDiverged(FloatingPointError):
    """The training loss became NaN or infinite: ``loss`` at ``epoch``, ``batch`` (from 1)."""

    def __init__(self, loss: float, epoch: int, batch: int) -> None:
        super().__init__(
            f"fit: the loss became {loss} at epoch {epoch}, batch {batch}; training diverged "
            "(try a smaller learning rate)"
        )
        self.loss, self.epoch, self.batch = loss, epoch, batch


@dataclass
class History:
    """Per-epoch records; `val_*` stay empty without validation data."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    compiled: bool = False  # fit(compile=True) replayed compiled steps, without falling back

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


def evaluate(
    model: Module,
    loss_fn: LossFn,
    X: Any,
    y: Any,
    metric: MetricFn | None = accuracy,
    batch_size: int = 1024,
) -> tuple[float, float | None]:
    """Mean loss and metric over (X, y), without recording a graph."""
    was_training = model.training
    model.eval()
    total_loss, total_metric, n = 0.0, 0.0, 0
    try:
        with no_grad():
            for xb, yb in DataLoader(X, y, batch_size=batch_size):
                out = model(xb)
                k = len(xb)
                total_loss += float(loss_fn(out, yb).item()) * k
                if metric is not None:
                    total_metric += metric(out, yb) * k
                n += k
    finally:
        model.train(was_training)
    return total_loss / n, (total_metric / n if metric is not None else None)


def fit(
    model: Module,
    loss_fn: LossFn,
    optimizer: Optimizer,
    train_data: Iterable[tuple[Tensor, Tensor]] | tuple[Any, Any],
    epochs: int = 1,
    *,
    val_data: tuple[Any, Any] | None = None,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int | None = None,
    metric: MetricFn | None = accuracy,
    scheduler: LRScheduler | None = None,
    early_stopping: int | None = None,
    min_delta: float = 0.0,
    restore_best: bool = True,
    checkpoint_every: int | None = None,
    checkpoint_path: str | os.PathLike[str] = "checkpoint_{epoch:03d}.safetensors",
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    compile: bool = False,
) -> History:
    """Train `model` for `epochs` passes over `train_data` and return the `History`.

    `train_data` is an iterable of (x, y) batches (e.g. a `DataLoader`) or an (X, y) pair of
    arrays, which is batched with `batch_size`/`shuffle`/`seed`. `val_data` is an (X, y) pair
    evaluated after each epoch. `early_stopping=N` stops when the monitored loss (validation
    if given, else training) has not improved by `min_delta` for N epochs, and with
    `restore_best` puts back the best weights. `checkpoint_every=N` saves the model every N
    epochs to `checkpoint_path` (formatted with `epoch`). `metric(output, target)` defaults
    to classification accuracy; pass None to skip it.

    `compile=True` runs each batch's step (forward, `loss_fn`, `zero_grad`, `backward`,
    `step`) as a compiled step (`tinygrad_nn.compile`, see docs/compile.md): the same
    results bit for bit, but the Python code of `model.forward` and `loss_fn` then runs
    only at the first two batches of each batch shape. A step that cannot be compiled
    (dropout, random numbers, NumPy on `.data`) warns and trains eagerly;
    `History.compiled` says whether the steps were replayed.
    """
    _check_int("epochs", epochs, 0)
    _check_int("batch_size", batch_size, 1)
    for option, given in (
        ("early_stopping", early_stopping),
        ("checkpoint_every", checkpoint_every),
    ):
        if given is not None:
            _check_int(option, given, 1)
    if not (isinstance(min_delta, (int, float)) and np.isfinite(min_delta) and min_delta >= 0):
        raise ValueError(f"fit: min_delta must be a finite number >= 0, got {min_delta!r}")
    if checkpoint_every is not None:  # a bad checkpoint path is found now, not after an epoch
        try:
            first = str(checkpoint_path).format(epoch=checkpoint_every)
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(
                f"fit: checkpoint_path {str(checkpoint_path)!r} must format with only "
                f"{{epoch}} ({e!r})"
            ) from None
        check_destination(first, "fit(checkpoint_path)")
        if Path(first).suffix.lower() not in FORMATS:
            raise ValueError(f"fit: checkpoint_path {first!r} must end in {' or '.join(FORMATS)}")
    if (
        isinstance(train_data, tuple)
        and len(train_data) == 2
        and not isinstance(train_data[0], tuple)
    ):
        batches: Iterable[tuple[Tensor, Tensor]] = DataLoader(
            train_data[0], train_data[1], batch_size=batch_size, shuffle=shuffle, seed=seed
        )
    else:
        batches = train_data
    bar_factory = _progress_bar() if progress else None
    step = _TrainStep(model, loss_fn, optimizer, compile)
    history = History()
    best_loss, best_state, waited = np.inf, None, 0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        total_loss, total_metric, n = 0.0, 0.0, 0
        total = len(batches) if isinstance(batches, Sized) else None
        bar = (
            bar_factory(batches, total=total, desc=f"epoch {epoch}/{epochs}", unit="batch")
            if bar_factory is not None
            else None
        )
        for xb, yb in bar if bar is not None else batches:
            loss, out = step(xb, yb)
            k = len(xb)
            loss_value = float(loss.item())
            if not np.isfinite(loss_value):
                raise TrainingDiverged(loss_value, epoch, n // k + 1)
            total_loss += loss_value * k
            if metric is not None:
                total_metric += metric(out, yb) * k
            n += k
            if bar is not None:
                bar.set_postfix(loss=f"{total_loss / n:.4f}", refresh=False)
        if n == 0:
            raise ValueError("fit: train_data produced no batches")
        history.train_loss.append(total_loss / n)
        if metric is not None:
            history.train_acc.append(total_metric / n)
        history.lr.append(float(optimizer.param_groups[0]["lr"]))
        if val_data is not None:
            v_loss, v_acc = evaluate(model, loss_fn, val_data[0], val_data[1], metric)
            history.val_loss.append(v_loss)
            if v_acc is not None:
                history.val_acc.append(v_acc)
        history.seconds.append(time.perf_counter() - start)
        summary = _summary(history)
        if bar is not None:
            bar.set_postfix_str(summary)
            bar.close()
        if log is not None:
            log(f"epoch {epoch}/{epochs}: {summary}")
        if scheduler is not None:
            scheduler.step()
        if checkpoint_every and epoch % checkpoint_every == 0:
            save(model, str(checkpoint_path).format(epoch=epoch))
        monitored = history.val_loss[-1] if val_data is not None else history.train_loss[-1]
        if monitored < best_loss - min_delta:
            best_loss, waited, history.best_epoch = monitored, 0, epoch
            if early_stopping is not None and restore_best:
                best_state = model.state_dict()
        else:
            waited += 1
            if early_stopping is not None and waited >= early_stopping:
                history.stopped_early = True
                break
    if history.stopped_early and best_state is not None:
        model.load_state_dict(best_state)
    history.compiled = step.compiled is not None
    return history


class _TrainStep:
    """One batch's step: forward, loss, zero_grad, backward, optimiser step; (loss, output).

    Compiled, a step that turns out not to compile (a CompileError) warns once and runs
    eagerly from then on. The CompileError of a second call comes after that call ran
    eagerly (its update stands), so its results are taken from ``_last``, which the step's
    Python code sets: that code runs only while recording, never in a replay.
    """

    def __init__(self, model: Module, loss_fn: LossFn, optimizer: Optimizer, compiled: bool):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self._last: tuple[Tensor, Tensor] | None = None
        self.compiled = CompiledStep(self.train_step) if compiled else None

    def train_step(self, xb: Tensor, yb: Tensor) -> tuple[Tensor, Tensor]:
        out = self.model(xb)
        loss = self.loss_fn(out, yb)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        if self.compiled is not None:
            self._last = (loss, out)
        return loss, out

    def __call__(self, xb: Tensor, yb: Tensor) -> tuple[Tensor, Tensor]:
        if self.compiled is None:
            return self.train_step(xb, yb)
        self._last = None
        try:
            result: tuple[Tensor, Tensor] = self.compiled(xb, yb)
        except CompileError as e:
            self.compiled = None
            warnings.warn(
                f"fit: the training step cannot be compiled, so it runs eagerly ({e}); pass "
                "compile=False to train eagerly without this warning",
                stacklevel=3,
            )
            if self._last is None:  # refused before it ran
                return self.train_step(xb, yb)
            result = self._last
        self._last = None
        return result


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"fit: {name} must be an integer >= {minimum}, got {value!r}")


def _progress_bar() -> Any:
    """tqdm's bar (notebook-aware), or None when tqdm is not installed."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def _summary(h: History) -> str:
    parts = [f"loss {h.train_loss[-1]:.4f}"]
    if h.train_acc:
        parts.append(f"acc {h.train_acc[-1]:.4f}")
    if h.val_loss:
        parts.append(f"val_loss {h.val_loss[-1]:.4f}")
    if h.val_acc:
        parts.append(f"val_acc {h.val_acc[-1]:.4f}")
    return ", ".join(parts)
