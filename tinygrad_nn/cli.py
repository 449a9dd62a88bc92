"""The `tinygrad-nn` command line (also `python -m tinygrad_nn`).

Every bad input ends in one line on stderr and a non-zero exit code, before any training
starts: option values are checked as they are parsed (the subcommand's usage, exit 2),
files, folders, renderers and model sizes before the data is touched (exit 2), and Ctrl-C
prints one line and exits 130 without touching the model file.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

DATASETS = ("digits", "moons", "circles", "spirals", "mnist", "fashion-mnist")
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
GRAPH_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "gv", "dot")
MAX_SEED = 2**32 - 1  # what NumPy and scikit-learn both accept


class CLIError(Exception):
    """An error the user can fix; printed as one line (exit status 2 unless given)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


class HelpFormatter(argparse.HelpFormatter):
    """`--help` shows each option's default (those that are not None or a switch's False)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "%(default)" in text or any(
            action.default is v for v in (None, False, argparse.SUPPRESS)
        ):
            return text
        if not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


def number(
    kind: type,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> Callable[[str], Any]:
    """An argparse `type=` that accepts a finite `kind` (int or float) in the given range.

    A bad value is reported by the subcommand's parser: its usage, then
    `error: argument --lr: expected a finite number > 0, got 'nan'`.
    """
    what = "an integer" if kind is int else "a finite number"
    lo, hi = (str(v) if kind is int or v is None else f"{v:g}" for v in (low, high))
    if low is not None and high is not None:
        what += f" in {'(' if low_open else '['}{lo}, {hi}{')' if high_open else ']'}"
    elif low is not None:
        what += f" {'>' if low_open else '>='} {lo}"
    elif high is not None:
        what += f" {'<' if high_open else '<='} {hi}"

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        if low is not None and (value < low or (low_open and value == low)):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        if high is not None and (value > high or (high_open and value == high)):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    parse.__name__ = kind.__name__  # argparse's fallback message says "invalid int value"
    return parse


MAX_EPOCHS = 100_000  # a sane bound: more is a typo, not a plan (days of training)
positive_int = number(int, 1)
seed_int = number(int, 0, MAX_SEED)
positive_float = number(float, 0, low_open=True)
non_negative_float = number(float, 0)


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
    from tinygrad_nn.train import TrainingDiverged, fit

    _check_train_files(args)  # everything that can fail after training, checked first
    t0 = time.perf_counter()
    Xtr, Xte, ytr, yte = _load_dataset(args)
    Xtr, mean, std = data.standardize(Xtr)
    Xte, _, _ = data.standardize(Xte, mean, std)
    n_classes = int(max(ytr.max(), yte.max())) + 1
    sizes = [Xtr.shape[1], *args.hidden, n_classes]
    _check_model_size(sizes, max(len(Xte), args.batch_size, 1024))
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
    smoothed = functools.partial(F.cross_entropy, label_smoothing=args.label_smoothing)

    wd_hint = f" or --weight-decay than {args.weight_decay}" if args.weight_decay else ""

    def diverged(value: float) -> CLIError:
        return CLIError(
            f"training diverged: the loss became {value} (try a smaller --lr than "
            f"{args.lr}{wd_hint}); no model was saved",
            status=1,
        )

    def loss_fn(out: Any, y: Any) -> Any:
        loss = smoothed(out, y)
        if not np.isfinite(loss.data).all():  # compiled, fit checks each training loss itself
            raise diverged(loss.item())
        return loss

    with np.errstate(all="ignore"):  # overflow shows as a non-finite loss, reported above
        try:
            with warnings.catch_warnings():  # a refused compile is eager: the same results
                warnings.filterwarnings("ignore", "fit: the training step cannot be compiled")
                history = fit(
                    model,
                    loss_fn,
                    optimizer,
                    loader,
                    epochs=args.epochs,
                    val_data=(Xte, yte),
                    progress=not args.quiet,
                    compile=not args.no_compile,
                )
        except TrainingDiverged as e:
            raise diverged(e.loss) from None
        model.eval()
        with no_grad():
            test_acc = data.accuracy(model(Tensor(Xte)), yte)
    elapsed = time.perf_counter() - t0
    print(
        f"final test accuracy: {test_acc:.4f} ({round(test_acc * len(yte))}/{len(yte)}) "
        f"in {elapsed:.1f} s ({'compiled' if history.compiled else 'eager'} training step)"
    )
    if args.out is not None:
        nn.save(model, args.out)
        print(f"saved model to {args.out}")
    if args.graph is not None:
        batch = slice(0, args.batch_size)
        path = _render_graph(model, smoothed, Xtr[batch], ytr[batch], args.graph)
        print(f"wrote computation graph of one batch's loss to {path}")
    return 0


def _check_train_files(args: argparse.Namespace) -> None:
    """Refuse, before training, every output that could only fail after it."""
    from tinygrad_nn.nn.serialization import FORMATS, check_destination

    if args.data_dir is not None and args.dataset not in ("mnist", "fashion-mnist"):
        raise CLIError(
            f"--data-dir is only read with --dataset mnist or fashion-mnist, not {args.dataset}"
        )
    if args.out is not None:
        if Path(args.out).suffix.lower() not in FORMATS:
            raise CLIError(f"--out {args.out}: the model file must end in .safetensors or .npz")
        if Path(args.out).suffix.lower() == ".safetensors" and not importlib.util.find_spec(
            "safetensors"
        ):
            raise CLIError(
                f"--out {args.out}: .safetensors files need the safetensors package: pip "
                "install 'tinygrad_nn[io]' (or give a name ending in .npz)"
            )
        _check_destination(check_destination, "--out", args.out)
    if args.graph is not None:
        fmt = Path(args.graph).suffix.lower().lstrip(".")
        if fmt not in GRAPH_FORMATS:
            raise CLIError(
                f"--graph {args.graph}: expected a file ending in "
                f"{', '.join('.' + f for f in GRAPH_FORMATS)}"
            )
        _check_renderer("--graph", args.graph, fmt)
        _check_destination(check_destination, "--graph", args.graph)


def _check_destination(check: Callable[..., Any], option: str, path: str) -> None:
    try:
        check(path, option)
    except OSError as e:
        raise CLIError(str(e)) from None


def _check_renderer(option: str, path: str, fmt: str) -> None:
    """Raise CLIError unless a Graphviz renderer can write `fmt` (DOT source needs none)."""
    if fmt in ("gv", "dot"):
        return
    try:
        from tinygrad_nn.viz.rendering import PURE_LACKS, RendererNotFoundError, require_renderer
    except ImportError as e:
        raise CLIError(f"{option} needs the graph drawing module tinygrad_nn.viz ({e})") from None
    try:
        prog = require_renderer()
    except RendererNotFoundError as e:
        raise CLIError(f"{option} {path}: {e}; or give a .gv file for the DOT source") from None
    if fmt in PURE_LACKS and Path(prog).name.startswith("graphviz-pure"):
        raise CLIError(
            f"{option} {path}: .{fmt} needs the system Graphviz (`sudo apt-get install "
            "graphviz`); the graphviz-pure fallback writes .svg, .png and .jpg"
        )


def _check_model_size(sizes: list[int], rows: int) -> None:
    """Refuse an MLP whose arrays would not fit in memory, before allocating any of them."""
    params = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes, sizes[1:], strict=False))
    # weights, gradients and up to two optimiser moments, plus activations and their grads
    need = 4 * (4 * params + 4 * rows * sum(sizes))
    limit = _memory_bytes() // 2
    if need > limit:
        raise CLIError(
            f"--hidden {' '.join(map(str, sizes[1:-1]))}: MLP{sizes} has {params:,} parameters "
            f"and needs about {need / 2**30:,.1f} GiB for training, more than half of this "
            f"machine's {_memory_bytes() / 2**30:.1f} GiB; choose smaller hidden sizes"
        )


def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # not POSIX: assume a modest machine
        return 8 * 2**30


def _render_graph(model: Any, loss_fn: Any, X: np.ndarray, y: np.ndarray, out: str) -> str:
    """Render the graph of one batch's training loss to exactly `out` (format from its suffix)."""
    import tinygrad_nn
    from tinygrad_nn.viz import render

    x = tinygrad_nn.Tensor(X, name="x")
    loss = loss_fn(model(x), tinygrad_nn.Tensor(y, name="y"))
    loss.name = "loss"
    loss.backward()
    fmt = Path(out).suffix.lstrip(".").lower()
    drawing = tinygrad_nn.draw(loss)
    return str(render(drawing, out, format="jpeg" if fmt == "jpg" else fmt))


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
    saved, sys.argv[0] = sys.argv[0], f"tinygrad-nn run {args.name}"  # the example's usage line
    try:
        return int(module.main(list(args.args)))
    finally:
        sys.argv[0] = saved


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-nn",
        description="Train small networks with tinygrad_nn and look at their graphs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    train = sub.add_parser(
        "train",
        help="train an MLP classifier and report test accuracy",
        description="Train an MLP classifier and report its test accuracy.",
        formatter_class=HelpFormatter,
    )
    train.add_argument("--dataset", choices=DATASETS, default="digits", help="what to learn")
    train.add_argument(
        "--data-dir", help="folder with the MNIST/Fashion-MNIST IDX files (those datasets only)"
    )
    train.add_argument(
        "--hidden",
        type=positive_int,
        nargs="+",
        default=[128, 64],
        metavar="N",
        help="hidden layer sizes",
    )
    train.add_argument(
        "--activation", choices=("relu", "tanh", "sigmoid"), default="relu", help="hidden units"
    )
    train.add_argument(
        "--epochs",
        type=number(int, 1, MAX_EPOCHS),
        default=30,
        help=f"passes over the data (at most {MAX_EPOCHS})",
    )
    train.add_argument("--lr", type=positive_float, default=1e-3, help="learning rate (> 0)")
    train.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="update rule")
    train.add_argument(
        "--weight-decay",
        type=non_negative_float,
        default=0.0,
        help="L2 penalty (>= 0; adamw uses 0.01 when this is 0)",
    )
    train.add_argument("--batch-size", type=positive_int, default=32, help="samples per step")
    train.add_argument(
        "--label-smoothing",
        type=number(float, 0, 1, high_open=True),
        default=0.1,
        metavar="S",
        help="train against (1-S) one-hot + S/classes targets (0 = plain cross-entropy)",
    )
    train.add_argument(
        "--test-size",
        type=number(float, 0, 1, low_open=True, high_open=True),
        default=0.2,
        help="fraction of the data held out for testing (not for mnist)",
    )
    train.add_argument("--seed", type=seed_int, default=0, help=f"random seed, 0..{MAX_SEED}")
    train.add_argument("--out", help="save the trained model here (.safetensors or .npz)")
    train.add_argument(
        "--graph", help="render one batch's loss graph (.svg .png .pdf .jpg; .gv for DOT source)"
    )
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.add_argument(
        "--no-compile",
        action="store_true",
        help="run every training step eagerly instead of replaying a compiled step "
        "(tinygrad_nn.compile, docs/compile.md); the results are the same bit for bit, the "
        "compiled step trains the default digits MLP 1.2-1.3x faster (fit alone; the command "
        "also loads data and evaluates: python benchmarks/main_job.py, 2 cores)",
    )
    train.set_defaults(func=cmd_train)

    examples = sub.add_parser(
        "examples", help="list the runnable examples", description="List the runnable examples."
    )
    examples.set_defaults(func=cmd_examples)

    run = sub.add_parser(
        "run",
        help="run an example: tinygrad-nn run NAME [args]",
        description="Run an example; `tinygrad-nn run NAME --help` lists its options.",
    )
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
    """Run the command line; return the exit status (errors are one line on stderr)."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.func(args))
    except KeyboardInterrupt:
        print("\ntinygrad-nn: interrupted", file=sys.stderr)
        return 130
    except CLIError as e:
        print(f"tinygrad-nn: error: {e}", file=sys.stderr)
        return e.status
    except (OSError, ValueError, ImportError) as e:
        if isinstance(e, BrokenPipeError):  # e.g. `tinygrad-nn examples | head -1`
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes it at exit
            return 141
        print(f"tinygrad-nn: error: {_one_line(e)}", file=sys.stderr)
        return 2
    except MemoryError:
        print(
            "tinygrad-nn: error: out of memory; try smaller --hidden or --batch-size",
            file=sys.stderr,
        )
        return 1
    except Exception as e:  # a bug: still one line, with a way to see the traceback
        if os.environ.get("TINYGRAD_NN_DEBUG"):
            raise
        print(
            f"tinygrad-nn: internal error: {type(e).__name__}: {_one_line(e)} (run with "
            "TINYGRAD_NN_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1


def _one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror and e.filename:  # "[Errno 13] ..." from the OS
        return f"cannot use {str(e.filename)!r}: {e.strerror}"
    return " ".join(str(e).split()) or type(e).__name__
