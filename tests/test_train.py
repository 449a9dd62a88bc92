"""train.fit: history, validation, early stopping, checkpoints, schedulers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinygrad_nn.functional as F
from tinygrad_nn import nn, optim
from tinygrad_nn.data import DataLoader, two_moons
from tinygrad_nn.train import evaluate, fit


def _moons() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    X, y = two_moons(240, noise=0.1, seed=0)
    return X[:200], y[:200], X[200:], y[200:]


def test_fit_learns_and_records_history() -> None:
    X, y, Xv, yv = _moons()
    model = nn.MLP([2, 16, 2], rng=0)
    opt = optim.Adam(model.parameters(), lr=0.02)
    h = fit(
        model, F.cross_entropy, opt, (X, y), epochs=40, val_data=(Xv, yv), seed=0, progress=False
    )
    assert h.epochs == 40
    assert len(h.train_acc) == len(h.val_loss) == len(h.val_acc) == len(h.lr) == 40
    assert h.train_loss[-1] < 0.5 * h.train_loss[0]
    assert h.val_acc[-1] >= 0.9
    loss, acc = evaluate(model, F.cross_entropy, Xv, yv)
    assert loss == pytest.approx(h.val_loss[-1]) and acc == pytest.approx(h.val_acc[-1])
    assert model.training  # evaluate restores the mode


def test_fit_accepts_a_dataloader_and_logs(capsys: pytest.CaptureFixture[str]) -> None:
    X, y, _, _ = _moons()
    model = nn.MLP([2, 8, 2], rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    lines: list[str] = []
    h = fit(
        model,
        F.cross_entropy,
        opt,
        DataLoader(X, y, batch_size=50),
        epochs=2,
        progress=False,
        log=lines.append,
    )
    assert h.epochs == 2 and len(lines) == 2 and lines[0].startswith("epoch 1/2: loss ")


def test_fit_progress_bar_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    X, y, _, _ = _moons()
    model = nn.MLP([2, 4, 2], rng=0)
    fit(
        model,
        F.cross_entropy,
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        epochs=1,
        progress=True,
    )
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "loss" in err


def test_early_stopping_stops_and_restores_best() -> None:
    X, y, Xv, yv = _moons()
    model = nn.MLP([2, 8, 2], rng=0)
    opt = optim.SGD(model.parameters(), lr=0.0)  # nothing improves after epoch 1
    h = fit(
        model,
        F.cross_entropy,
        opt,
        (X, y),
        epochs=20,
        val_data=(Xv, yv),
        early_stopping=3,
        progress=False,
    )
    assert h.stopped_early and h.epochs == 4 and h.best_epoch == 1

    model = nn.MLP([2, 8, 2], rng=0)
    opt = optim.SGD(model.parameters(), lr=2.0)  # large steps: the validation loss zigzags
    h = fit(
        model,
        F.cross_entropy,
        opt,
        (X, y),
        epochs=40,
        val_data=(Xv, yv),
        early_stopping=2,
        progress=False,
        seed=0,
    )
    assert h.stopped_early and h.best_epoch is not None and 1 < h.best_epoch < h.epochs
    assert h.val_loss[-1] > h.val_loss[h.best_epoch - 1]
    # the weights are put back to those of the best epoch
    best = h.val_loss[h.best_epoch - 1]
    assert evaluate(model, F.cross_entropy, Xv, yv)[0] == pytest.approx(best, rel=1e-5)


def test_checkpoints_every_n_epochs(tmp_path: Path) -> None:
    X, y, _, _ = _moons()
    model = nn.MLP([2, 4, 2], rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    pattern = str(tmp_path / "ck_{epoch:02d}.npz")
    fit(
        model,
        F.cross_entropy,
        opt,
        (X, y),
        epochs=5,
        checkpoint_every=2,
        checkpoint_path=pattern,
        progress=False,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck_02.npz", "ck_04.npz"]
    restored = nn.load(nn.MLP([2, 4, 2], rng=1), tmp_path / "ck_04.npz")
    assert restored.num_parameters() == model.num_parameters()


def test_scheduler_is_stepped_per_epoch() -> None:
    X, y, _, _ = _moons()
    model = nn.MLP([2, 4, 2], rng=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    h = fit(
        model,
        F.cross_entropy,
        opt,
        (X, y),
        epochs=3,
        scheduler=optim.StepLR(opt, 1, 0.5),
        progress=False,
    )
    assert h.lr == [0.1, 0.05, 0.025]


def test_fit_without_metric_and_errors() -> None:
    X = np.random.default_rng(0).standard_normal((20, 3)).astype(np.float32)
    Y = X.sum(axis=1, keepdims=True)
    model = nn.Linear(3, 1, rng=0)
    h = fit(
        model,
        F.mse_loss,
        optim.SGD(model.parameters(), lr=0.1),
        (X, Y),
        epochs=100,
        metric=None,
        progress=False,
    )
    assert h.train_acc == [] and h.train_loss[-1] < 1e-2
    with pytest.raises(ValueError, match="no batches"):
        fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.1), [], epochs=1, progress=False)
