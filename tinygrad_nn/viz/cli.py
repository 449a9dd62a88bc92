"""`tinygrad-nn graph` and `tinygrad-nn replay`: draw an example's graph or replay its backward.

`tinygrad_nn.cli` calls `add_subcommands(subparsers)`; each subcommand sets `func(args) -> int`.
An example is a module `tinygrad_nn.examples.<name>` with `graph_loss() -> Tensor` (the scalar
loss of one forward pass, not yet backwarded).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tinygrad_nn.autograd import Tensor

EXAMPLES_PACKAGE = "tinygrad_nn.examples"
MAX_NODES = 60  # as tinygrad_nn.viz.drawing.MAX_NODES (not imported: the CLI starts fast)


GRAPH_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".pdf", ".gv", ".dot")
REPLAY_SUFFIXES = (".html", ".gif")


def available_examples() -> list[str]:
    """Names of the example modules (whether or not they define graph_loss); no private ones."""
    try:
        pkg = importlib.import_module(EXAMPLES_PACKAGE)
    except ImportError:
        return []
    return sorted(
        m.name
        for m in pkgutil.iter_modules(getattr(pkg, "__path__", []))
        if not m.name.startswith("_")
    )


def load_example_loss(name: str) -> Tensor:
    """`tinygrad_nn.examples.<name>.graph_loss()`, with an error listing the choices."""
    choices = ", ".join(available_examples()) or "none installed"
    if name.startswith("_") or not name.isidentifier():
        raise SystemExit(f"tinygrad-nn: error: unknown example {name!r}; available: {choices}")
    try:
        module = importlib.import_module(f"{EXAMPLES_PACKAGE}.{name}")
    except ModuleNotFoundError as e:
        missing = e.name or ""
        if missing != EXAMPLES_PACKAGE and not missing.startswith(f"{EXAMPLES_PACKAGE}.{name}"):
            raise  # the example exists but one of its own imports failed
        raise SystemExit(
            f"tinygrad-nn: error: unknown example {name!r}; available: {choices}"
        ) from None
    graph_loss = getattr(module, "graph_loss", None)
    if not callable(graph_loss):
        raise SystemExit(f"tinygrad-nn: error: example {name!r} has no graph_loss() to draw")
    loss: Tensor = graph_loss()
    return loss


def _fail(command: str, message: str) -> SystemExit:
    """One line on stderr and exit status 2 (argparse's status for a bad argument)."""
    print(f"tinygrad-nn {command}: error: {message}", file=sys.stderr)
    return SystemExit(2)


def _check_output(command: str, path: Path, suffixes: tuple[str, ...]) -> None:
    """The suffix is one we write, and a file can be created there: checked before any work."""
    from tinygrad_nn.nn.serialization import check_destination

    if path.suffix.lower() not in suffixes:
        raise _fail(
            command,
            f"-o {path}: cannot write a {path.suffix or 'suffix-less'} file; give a name "
            f"ending in {' '.join(suffixes)}",
        )
    if not path.parent.exists():  # render() makes missing folders, as before
        return
    try:
        check_destination(path, f"-o {path}")
    except OSError as e:
        raise _fail(command, str(e)) from None


def _check_renderer(command: str, fmt: str) -> None:
    from tinygrad_nn.viz.rendering import PURE_LACKS, require_renderer

    prog = require_renderer()  # RendererNotFoundError: one line and exit 1, in _run
    if fmt in PURE_LACKS and Path(prog).name.startswith("graphviz-pure"):
        raise _fail(
            command,
            f".{fmt} needs the system Graphviz (`sudo apt-get install graphviz`); the "
            "graphviz-pure fallback writes .svg, .png and .jpg",
        )


def graph_command(args: argparse.Namespace) -> int:
    from tinygrad_nn.viz import check_graph, draw, record, render

    out = Path(args.output if args.output is not None else f"{args.example}.svg")
    _check_output("graph", out, GRAPH_SUFFIXES)
    fmt = {"jpg": "jpeg", "dot": "gv"}.get(out.suffix.lower()[1:], out.suffix.lower()[1:])
    if fmt != "gv":
        _check_renderer("graph", fmt)
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
    replaced = out.exists()
    render(drawing, out, format=fmt)
    print(f"wrote {out}" + (" (replacing the file that was there)" if replaced else ""))
    return 0


def replay_command(args: argparse.Namespace) -> int:
    from tinygrad_nn.viz import (
        backward_frames,
        save_replay_gif,
        save_replay_html,
        save_replay_svgs,
    )

    out = Path(args.output)
    _check_output("replay", out, REPLAY_SUFFIXES)
    gif = out.suffix.lower() == ".gif"
    if gif and importlib.util.find_spec("PIL") is None:
        raise _fail("replay", f"-o {out}: GIF output needs Pillow: pip install pillow")
    if args.svg_dir is not None and Path(args.svg_dir).exists() and not Path(args.svg_dir).is_dir():
        raise _fail("replay", f"--svg-dir {args.svg_dir}: exists and is not a folder")
    _check_renderer("replay", "png" if gif else "svg")
    loss = load_example_loss(args.example)
    frames = backward_frames(loss)
    kw: dict[str, Any] = {
        "notation": args.notation,
        "rankdir": args.rankdir,
        "max_nodes": args.max_nodes,
    }
    if gif:
        save_replay_gif(frames, out, **kw)
        if args.svg_dir is not None:
            save_replay_svgs(frames, args.svg_dir, **kw)
    else:
        save_replay_html(frames, out, svg_dir=args.svg_dir, **kw)
    extra = f", frames as SVG in {args.svg_dir}" if args.svg_dir is not None else ""
    print(f"wrote {out} ({len(frames)} steps{extra})")
    return 0


def _run(func: Any) -> Any:
    """Turn a missing renderer or a failed render into a one-line message and exit code 1."""

    def wrapped(args: argparse.Namespace) -> int:
        from tinygrad_nn.viz.rendering import RendererNotFoundError

        try:
            result: int = func(args)
            return result
        except (RendererNotFoundError, RuntimeError) as e:
            print(f"tinygrad-nn {args.command}: {e}", file=sys.stderr)
            return 1

    return wrapped


def add_subcommands(subparsers: Any) -> None:
    """Register `graph` and `replay` on an `argparse` subparsers object."""
    from tinygrad_nn.cli import HelpFormatter, positive_int

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--example", required=True, help="example module name, e.g. relu_softmax")
    common.add_argument(
        "--notation", choices=["math"], default=None, help="label MLPs as W[l], b[l], Z[l], A[l]"
    )
    common.add_argument(
        "--rankdir", choices=["TB", "LR", "BT", "RL"], default="TB", help="layout direction"
    )
    common.add_argument(
        "--max-nodes",
        type=positive_int,
        default=MAX_NODES,
        help="collapse modules / repeated chains above this many nodes",
    )

    g = subparsers.add_parser(
        "graph",
        parents=[common],
        help="draw the computation graph of an example's loss",
        description="Draw the computation graph of an example's loss.",
        formatter_class=HelpFormatter,
    )
    g.add_argument(
        "-o",
        "--output",
        default=None,
        help="output file, format from its suffix: .svg .png .jpg .pdf .gv (default: EXAMPLE.svg)",
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
        "replay",
        parents=[common],
        help="step through an example's backward pass",
        description="Step through an example's backward pass, one picture per step.",
        formatter_class=HelpFormatter,
    )
    r.add_argument(
        "-o",
        "--output",
        default="replay.html",
        help="a .html page (self-contained) or a .gif animation (needs Pillow)",
    )
    r.add_argument("--svg-dir", default=None, help="also write each step as an SVG here")
    r.set_defaults(func=_run(replay_command), command="replay")
