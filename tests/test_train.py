"""train.fit: history, validation, early stopping, checkpoints, schedulers."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import tinygrad_nn
import tinygrad_nn.functional as F
from tinygrad_nn import Tensor, nn, optim
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


# ------------------------------------------------------------------------- compile=True


def _regression() -> tuple[np.ndarray, np.ndarray]:
    """70 samples: batches of 32 leave a last batch of 6 (a second plan)."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (70, 2)).astype(np.float32)
    return X, np.sin(X[:, :1] * X[:, 1:]).astype(np.float32)


def _fit_twice(make_model, loss_fn, X, y, **kwargs):  # type: ignore[no-untyped-def]
    """The same training eagerly and compiled: (histories, final parameters) of each."""
    runs = []
    for compile in (False, True):
        model = make_model()
        opt = optim.Adam(model.parameters(), lr=0.01)
        h = fit(model, loss_fn, opt, (X, y), seed=0, progress=False, compile=compile, **kwargs)
        runs.append((h, [p.data.copy() for p in model.parameters()]))
    return runs


def test_compiled_fit_replays_and_trains_bit_for_bit_as_eager() -> None:
    X, y = _regression()
    calls = []

    def counted_mse(out, target):  # type: ignore[no-untyped-def]
        calls.append(len(out))  # Python code: it runs only while a step records
        return F.mse_loss(out, target)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to eager
        (eager, eager_params), (compiled, compiled_params) = _fit_twice(
            lambda: nn.MLP([2, 16, 1], activation="tanh", rng=0), counted_mse, X, y, epochs=4
        )
    assert len(calls) == 3 * 4 + 4  # eager: 3 batches an epoch; compiled: 2 recordings a shape
    assert sorted(calls[12:]) == [6, 6, 32, 32]
    assert compiled.train_loss == eager.train_loss and compiled.train_acc == eager.train_acc
    assert compiled.compiled and not eager.compiled
    assert eager.train_loss[-1] < eager.train_loss[0]
    for a, b in zip(eager_params, compiled_params, strict=True):
        assert np.array_equal(a, b)


def test_compiled_fit_of_a_step_that_cannot_compile_warns_and_trains_as_eager() -> None:
    X, y = _regression()

    def make() -> nn.Module:
        tinygrad_nn.manual_seed(0)  # the same dropout masks in both runs
        return nn.Sequential(nn.Linear(2, 16, rng=0), nn.Tanh(), nn.Dropout(0.3), nn.Linear(16, 1))

    with pytest.warns(UserWarning, match=r"fit: the training step cannot be compiled.*'mul'"):
        (eager, eager_params), (compiled, compiled_params) = _fit_twice(
            make, F.mse_loss, X, y, epochs=3
        )
    # The refused second call ran eagerly and fit kept its loss: nothing is lost or repeated.
    assert compiled.train_loss == eager.train_loss and not compiled.compiled
    for a, b in zip(eager_params, compiled_params, strict=True):
        assert np.array_equal(a, b)


def test_compiled_fit_with_too_many_batch_shapes_falls_back_before_the_step_runs() -> None:
    X, y = _regression()
    batches = [(Tensor(X[:k]), Tensor(y[:k])) for k in range(1, 12)]  # 11 shapes, MAX_PLANS 8
    runs = []
    for compile in (False, True):
        model = nn.MLP([2, 8, 1], rng=0)
        opt = optim.SGD(model.parameters(), lr=0.1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = fit(model, F.mse_loss, opt, batches, progress=False, compile=compile)
        runs.append((h.train_loss, [p.data.copy() for p in model.parameters()], caught))
    assert not runs[0][2] and "different argument shapes" in str(runs[1][2][0].message)
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1], strict=True):
        assert np.array_equal(a, b)


# Class labels reach the loss through a tensor made inside the step (a detached view): a plan
# must read each call's labels (it froze them once), and fit's step on labels must compile.


def test_a_compiled_step_reads_the_class_labels_of_every_call() -> None:
    model = nn.Linear(4, 3, rng=0)

    @tinygrad_nn.compile
    def loss_of(x: Tensor, labels: Tensor) -> Tensor:
        return F.cross_entropy(model(x), labels)

    x = Tensor(np.ones((2, 4), np.float32))
    with tinygrad_nn.no_grad():
        loss_of(x, Tensor(np.array([0, 1])))
        loss_of(x, Tensor(np.array([0, 1])))  # the same labels twice: a plan is built
        other = Tensor(np.array([2, 2]))
        assert loss_of(x, other).item() == F.cross_entropy(model(x), other).item()


def test_compiled_fit_of_a_classifier_compiles() -> None:
    X, y, _, _ = _moons()
    model = nn.MLP([2, 16, 2], rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the fallback to eager warns
        fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=0.02), (X, y),
            epochs=2, seed=0, progress=False, compile=True)


# Compiler bugs found while writing docs/compile.md (a strict xfail passes once fixed).


def test_a_compiled_step_that_reads_an_argument_into_python_is_refused() -> None:
    scale = tinygrad_nn.compile(lambda x, s: x * s.item())  # a plan would freeze s.item()
    x = Tensor([1.0])
    with tinygrad_nn.no_grad(), pytest.raises(tinygrad_nn.CompileError, match=r"item\(\)"):
        scale(x, Tensor(2.0))  # refused at once: the call ran eagerly
    with tinygrad_nn.no_grad():
        assert scale.plans == {}


def test_compiled_inference_follows_train_and_eval() -> None:
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Dropout(0.5))
    model.eval()
    predict = tinygrad_nn.compile(model)
    x = Tensor(np.ones((2, 3), np.float32))
    with tinygrad_nn.no_grad():
        for _ in range(3):
            predict(x)
        model.train()  # dropout from now on: record again (or refuse), not replay eval
        try:
            tinygrad_nn.manual_seed(0)
            compiled = predict(x).data
        except tinygrad_nn.CompileError:
            return
        tinygrad_nn.manual_seed(0)
        assert np.array_equal(compiled, model(x).data)
