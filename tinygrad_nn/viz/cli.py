"""`tinygrad-nn graph` and `tinygrad-nn replay`: draw an example's graph or replay its backward.

`tinygrad_nn.cli` calls `add_subcommands(subparsers)`; each subcommand sets `func(args) -> int`.
An example is a module `tinygrad_nn.examples.<name>` with `graph_loss() -> Tensor` (the scalar
loss of one forward pass, not yet backwarded).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tinygrad_nn.autograd import Tensor

EXAMPLES_PACKAGE = "tinygrad_nn.examples"
MAX_NODES = 60  # as tinygrad_nn.viz.drawing.MAX_NODES (not imported: the CLI starts fast)


def available_examples() -> list[str]:
    """Names of the example modules (whether or not they define graph_loss)."""
    try:
        pkg = importlib.import_module(EXAMPLES_PACKAGE)
    except ImportError:
        return []
    return sorted(m.name for m in pkgutil.iter_modules(getattr(pkg, "__path__", [])))


def load_example_loss(name: str) -> Tensor:
    """`tinygrad_nn.examples.<name>.graph_loss()`, with an error listing the choices."""
    try:
        module = importlib.import_module(f"{EXAMPLES_PACKAGE}.{name}")
    except ModuleNotFoundError as e:
        missing = e.name or ""
        if missing != EXAMPLES_PACKAGE and not missing.startswith(f"{EXAMPLES_PACKAGE}.{name}"):
            raise  # the example exists but one of its own imports failed
        choices = ", ".join(available_examples()) or "none installed"
        raise SystemExit(f"tinygrad-nn: unknown example {name!r}; available: {choices}") from None
    graph_loss = getattr(module, "graph_loss", None)
    if not callable(graph_loss):
        raise SystemExit(f"tinygrad-nn: example {name!r} has no graph_loss() to draw")
    loss: Tensor = graph_loss()
    return loss


def graph_command(args: argparse.Namespace) -> int:
    from tinygrad_nn.viz import check_graph, draw, record, render

    if args.check:  # check_graph records the forward pass of the function it is given
        drawing = check_graph(lambda: load_example_loss(args.example)).draw(
            notation=args.notation, rankdir=args.rankdir, max_nodes=args.max_nodes
        )
    else:
        # recorded on purpose: values of intermediates and the gradient on every edge
        with record() as rec:
            loss = load_example_loss(args.example)
            if args.after_backward:
                loss.backward()
        drawing = draw(
            loss,
            show_data=args.show_data,
            show_grad=args.after_backward,
            notation=args.notation,
            rankdir=args.rankdir,
            max_nodes=args.max_nodes,
            recording=rec,
        )
    out = render(drawing, args.output)
    print(f"wrote {out}")
    return 0


def replay_command(args: argparse.Namespace) -> int:
    from tinygrad_nn.viz import backward_frames, save_replay_gif, save_replay_html

    loss = load_example_loss(args.example)
    frames = backward_frames(loss)
    kw: dict[str, Any] = {
        "notation": args.notation,
        "rankdir": args.rankdir,
        "max_nodes": args.max_nodes,
    }
    out = Path(args.output)
    if out.suffix.lower() == ".gif":
        save_replay_gif(frames, out, **kw)
    else:
        save_replay_html(frames, out, svg_dir=args.svg_dir, **kw)
    print(f"wrote {out} ({len(frames)} steps)")
    return 0


def _run(func: Any) -> Any:
    """Turn a missing renderer into a one-line message and exit code 1."""

    def wrapped(args: argparse.Namespace) -> int:
        from tinygrad_nn.viz.rendering import RendererNotFoundError

        try:
            result: int = func(args)
            return result
        except RendererNotFoundError as e:
            print(f"tinygrad-nn {args.command}: {e}", file=sys.stderr)
            return 1

    return wrapped


def add_subcommands(subparsers: Any) -> None:
    """Register `graph` and `replay` on an `argparse` subparsers object."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--example", required=True, help="example module name, e.g. relu_softmax")
    common.add_argument(
        "--notation", choices=["math"], default=None, help="label MLPs as W[l], b[l], Z[l], A[l]"
    )
    common.add_argument("--rankdir", choices=["TB", "LR", "BT", "RL"], default="TB")
    common.add_argument(
        "--max-nodes",
        type=int,
        default=MAX_NODES,
        help=f"collapse modules / repeated chains above this many nodes (default {MAX_NODES})",
    )

    g = subparsers.add_parser(
        "graph", parents=[common], help="draw the computation graph of an example's loss"
    )
    g.add_argument(
        "-o",
        "--output",
        default="graph.svg",
        help="output file, format from its suffix: .svg .png .gv .pdf",
    )
    g.add_argument(
        "--after-backward",
        action="store_true",
        help="run backward first and show the gradient on every edge (shape, norm)",
    )
    g.add_argument("--show-data", action="store_true", help="show min/mean/max of values")
    g.add_argument(
        "--check",
        action="store_true",
        help="colour each op by a finite-difference check of its backward",
    )
    g.set_defaults(func=_run(graph_command), command="graph")

    r = subparsers.add_parser(
        "replay", parents=[common], help="step through an example's backward pass"
    )
    r.add_argument(
        "-o",
        "--output",
        default="replay.html",
        help="replay.html (self-contained page) or replay.gif (needs Pillow)",
    )
    r.add_argument("--svg-dir", default=None, help="also write each step as an SVG here")
    r.set_defaults(func=_run(replay_command), command="replay")
