"""The `tinygrad-nn` command line (also `python -m tinygrad_nn`)."""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

DATASETS = ("digits", "moons", "circles", "spirals", "mnist", "fashion-mnist")
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")


class CLIError(Exception):
    """An error the user can fix; printed as one line, exit status 2."""


def _load_dataset(
    args: argparse.Namespace,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from tinygrad_nn import data

    name = args.dataset
    if name in ("mnist", "fashion-mnist"):
        if args.data_dir is None:
            raise CLIError(
                f"--dataset {name} needs --data-dir DIR holding the IDX files "
                "(train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...)"
            )
        Xtr, ytr = data.load_mnist(args.data_dir, "train")
        Xte, yte = data.load_mnist(args.data_dir, "test")
        return Xtr, Xte, ytr, yte
    if name == "digits":
        X, y = data.load_digits()
    elif name == "moons":
        X, y = data.two_moons(1000, noise=0.15, seed=args.seed)
    elif name == "circles":
        X, y = data.circles(1000, noise=0.08, seed=args.seed)
    else:
        X, y = data.spirals(1200, classes=3, noise=0.15, seed=args.seed)
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, test_size=args.test_size, seed=args.seed)
    return Xtr, Xte, ytr, yte


def _make_optimizer(args: argparse.Namespace, params: list[Any]) -> Any:
    from tinygrad_nn import optim

    if args.optimizer == "sgd":
        return optim.SGD(params, lr=args.lr, weight_decay=args.weight_decay)
    if args.optimizer == "momentum":
        return optim.SGD(params, lr=args.lr, momentum=0.9, weight_decay=args.weight_decay)
    if args.optimizer == "adam":
        return optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    return optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay or 1e-2)


def cmd_train(args: argparse.Namespace) -> int:
    import tinygrad_nn.functional as F
    from tinygrad_nn import Tensor, data, nn, no_grad
    from tinygrad_nn.train import fit

    if args.out is not None and Path(args.out).suffix.lower() not in nn.serialization.FORMATS:
        raise CLIError(f"--out {args.out}: the model file must end in .safetensors or .npz")
    if args.graph is not None and Path(args.graph).suffix.lower().lstrip(".") not in (
        "svg",
        "png",
        "pdf",
    ):
        raise CLIError(f"--graph {args.graph}: expected a file ending in .svg, .png or .pdf")
    if args.graph is not None and importlib.util.find_spec("tinygrad_nn.viz") is None:
        raise CLIError("--graph needs the graph drawing module tinygrad_nn.viz, not installed")
    for option, value in (("--out", args.out), ("--graph", args.graph)):
        if value is not None and not Path(value).resolve().parent.is_dir():
            raise CLIError(f"{option} {value}: the folder {Path(value).parent} does not exist")
    t0 = time.perf_counter()
    Xtr, Xte, ytr, yte = _load_dataset(args)
    Xtr, mean, std = data.standardize(Xtr)
    Xte, _, _ = data.standardize(Xte, mean, std)
    n_classes = int(max(ytr.max(), yte.max())) + 1
    sizes = [Xtr.shape[1], *args.hidden, n_classes]
    rng = np.random.default_rng(args.seed)
    model = nn.MLP(sizes, activation=args.activation, rng=rng)
    optimizer = _make_optimizer(args, list(model.parameters()))
    print(
        f"dataset {args.dataset}: {len(Xtr)} train / {len(Xte)} test samples, "
        f"{Xtr.shape[1]} features, {n_classes} classes"
    )
    print(
        f"model MLP{sizes} ({model.num_parameters()} parameters), {args.optimizer} "
        f"lr={args.lr}, batch {args.batch_size}, label smoothing {args.label_smoothing}"
    )
    loader = data.DataLoader(Xtr, ytr, batch_size=args.batch_size, shuffle=True, seed=rng)
    loss_fn = functools.partial(F.cross_entropy, label_smoothing=args.label_smoothing)
    fit(
        model,
        loss_fn,
        optimizer,
        loader,
        epochs=args.epochs,
        val_data=(Xte, yte),
        progress=not args.quiet,
    )
    model.eval()
    with no_grad():
        test_acc = data.accuracy(model(Tensor(Xte)), yte)
    elapsed = time.perf_counter() - t0
    print(
        f"final test accuracy: {test_acc:.4f} ({round(test_acc * len(yte))}/{len(yte)}) "
        f"in {elapsed:.1f} s"
    )
    if args.out is not None:
        nn.save(model, args.out)
        print(f"saved model to {args.out}")
    if args.graph is not None:
        batch = slice(0, args.batch_size)
        path = _render_graph(model, loss_fn, Xtr[batch], ytr[batch], args.graph)
        print(f"wrote computation graph of one batch's loss to {path}")
    return 0


def _render_graph(model: Any, loss_fn: Any, X: np.ndarray, y: np.ndarray, out: str) -> str:
    """Render the graph of one batch's training loss to `out` (format from its suffix)."""
    import tinygrad_nn

    x = tinygrad_nn.Tensor(X, name="x")
    loss = loss_fn(model(x), tinygrad_nn.Tensor(y, name="y"))
    loss.name = "loss"
    loss.backward()
    target = Path(out)
    fmt = target.suffix.lstrip(".").lower()
    try:
        graph = tinygrad_nn.draw(loss)
    except ImportError as e:
        raise CLIError(f"--graph needs the graph drawing module tinygrad_nn.viz ({e})") from e
    rendered = graph.render(str(target.with_suffix("")), format=fmt, cleanup=True)
    return str(rendered)


def cmd_examples(args: argparse.Namespace) -> int:
    from tinygrad_nn.examples import EXAMPLES

    width = max(len(name) for name in EXAMPLES)
    for name, description in EXAMPLES.items():
        print(f"{name:<{width}}  {description}")
    print("\nrun one with: tinygrad-nn run NAME [--fast] [--out-dir DIR]")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from tinygrad_nn.examples import EXAMPLES

    if args.name not in EXAMPLES:
        raise CLIError(
            f"unknown example {args.name!r}; choose from: {', '.join(EXAMPLES)} "
            "(see tinygrad-nn examples)"
        )
    module = importlib.import_module(f"tinygrad_nn.examples.{args.name}")
    return int(module.main(list(args.args)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-nn",
        description="Train small networks with tinygrad_nn and look at their graphs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    train = sub.add_parser("train", help="train an MLP classifier and report test accuracy")
    train.add_argument("--dataset", choices=DATASETS, default="digits")
    train.add_argument("--data-dir", help="folder with the MNIST/Fashion-MNIST IDX files")
    train.add_argument(
        "--hidden", type=int, nargs="+", default=[128, 64], metavar="N", help="hidden sizes"
    )
    train.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), default="relu")
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--lr", type=float, default=1e-3)
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    train.add_argument("--weight-decay", type=float, default=0.0)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument(
        "--label-smoothing",
        type=float,
        default=0.1,
        metavar="S",
        help="train against (1-S) one-hot + S/classes targets (default 0.1; 0 = plain)",
    )
    train.add_argument("--test-size", type=float, default=0.2)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", help="save the trained model (.safetensors or .npz)")
    train.add_argument("--graph", help="render one batch's loss graph (.svg, .png or .pdf)")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(func=cmd_train)

    examples = sub.add_parser("examples", help="list the runnable examples")
    examples.set_defaults(func=cmd_examples)

    run = sub.add_parser("run", help="run an example: tinygrad-nn run NAME [args]")
    run.add_argument("name", help="example name (see tinygrad-nn examples)")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the example")
    run.set_defaults(func=cmd_run)

    try:
        from tinygrad_nn.viz.cli import add_subcommands
    except ImportError:
        pass
    else:
        add_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    if getattr(args, "lr", 1.0) <= 0:
        parser.error(f"--lr must be > 0, got {args.lr}")
    if not 0.0 <= getattr(args, "label_smoothing", 0.0) < 1.0:
        parser.error(f"--label-smoothing must be in [0, 1), got {args.label_smoothing}")
    if getattr(args, "hidden", None) is not None and min(args.hidden) < 1:
        parser.error(f"--hidden sizes must be >= 1, got {args.hidden}")
    try:
        return int(args.func(args))
    except (CLIError, FileNotFoundError, IsADirectoryError, PermissionError, ValueError) as e:
        print(f"tinygrad-nn: error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:
        print(f"tinygrad-nn: error: {e}", file=sys.stderr)
        return 2
