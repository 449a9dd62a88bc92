"""`tinygrad-nn graph` / `tinygrad-nn replay` through viz.cli.add_subcommands."""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path

import pytest
from viz_helpers import column_mlp

import tinygrad_nn.viz.rendering as render_module
from tinygrad_nn.viz.cli import add_subcommands, load_example_loss

needs_renderer = pytest.mark.skipif(
    render_module.find_renderer() is None, reason="no dot and no graphviz-pure"
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tinygrad-nn")
    add_subcommands(p.add_subparsers(dest="command", required=True))
    return p


@pytest.fixture
def fake_example(monkeypatch: pytest.MonkeyPatch) -> str:
    module = types.ModuleType("tinygrad_nn.examples.fake_mlp")
    module.graph_loss = lambda: column_mlp()["J"]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tinygrad_nn.examples.fake_mlp", module)
    return "fake_mlp"


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


@needs_renderer
def test_graph_svg_with_math_and_backward(fake_example: str, tmp_path: Path) -> None:
    out = tmp_path / "graph.svg"
    assert (
        run(
            [
                "graph",
                "--example",
                fake_example,
                "-o",
                str(out),
                "--notation",
                "math",
                "--after-backward",
            ]
        )
        == 0
    )
    svg = out.read_text(encoding="utf-8")
    assert "<svg" in svg and "W[1]" in svg and "dW[1]" in svg and "Z[2] = add" in svg
    assert "dZ[2] (" in svg  # recorded: the gradients of intermediates are on the edges


@needs_renderer
def test_graph_png_and_check(fake_example: str, tmp_path: Path) -> None:
    assert run(["graph", "--example", fake_example, "-o", str(tmp_path / "g.png")]) == 0
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    assert run(["graph", "--example", fake_example, "-o", str(tmp_path / "c.svg"), "--check"]) == 0
    assert "rel err" in (tmp_path / "c.svg").read_text(encoding="utf-8")


@needs_renderer
def test_replay_html_and_gif(fake_example: str, tmp_path: Path) -> None:
    out = tmp_path / "replay.html"
    assert (
        run(
            [
                "replay",
                "--example",
                fake_example,
                "-o",
                str(out),
                "--svg-dir",
                str(tmp_path / "frames"),
            ]
        )
        == 0
    )
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 10 == len(list((tmp_path / "frames").iterdir()))
    assert run(["replay", "--example", fake_example, "-o", str(tmp_path / "r.gif")]) == 0
    assert (tmp_path / "r.gif").read_bytes()[:3] == b"GIF"


def test_missing_renderer_is_one_line_and_exit_1(
    fake_example: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("TINYGRAD_NN_DOT", raising=False)
    monkeypatch.setattr(render_module, "_python_script_folders", lambda: [])
    assert run(["graph", "--example", fake_example, "-o", str(tmp_path / "g.svg")]) == 1
    err = capsys.readouterr().err
    assert "tinygrad-nn graph: no Graphviz renderer found" in err and "graphviz-pure" in err


def test_unknown_example_lists_the_choices() -> None:
    with pytest.raises(SystemExit, match="unknown example 'no_such_example'; available:"):
        load_example_loss("no_such_example")


def test_defaults_and_arguments() -> None:
    args = parser().parse_args(["graph", "--example", "toy_1d"])
    assert (args.output, args.notation, args.after_backward, args.max_nodes) == (
        "graph.svg",
        None,
        False,
        60,
    )
    assert args.rankdir == "TB"
    from tinygrad_nn.viz.drawing import MAX_NODES

    assert args.max_nodes == MAX_NODES  # the CLI's default is draw()'s
    args = parser().parse_args(["replay", "--example", "toy_1d", "--notation", "math"])
    assert args.output == "replay.html" and args.notation == "math"
    with pytest.raises(SystemExit):
        parser().parse_args(["graph"])  # --example is required


EXAMPLES = [
    "shapes_walkthrough",
    "toy_1d",
    "nielsen_equivalence",
    "hidden_representations",
    "bce_three_layer",
    "relu_softmax",
    "digits_mlp",
]


@needs_renderer
@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_draws(name: str, tmp_path: Path) -> None:
    pytest.importorskip(f"tinygrad_nn.examples.{name}")
    out = tmp_path / f"{name}.svg"
    assert (
        run(
            [
                "graph",
                "--example",
                name,
                "-o",
                str(out),
                "--notation",
                "math",
                "--after-backward",
                "--max-nodes",
                "200",
            ]
        )
        == 0
    )
    assert "<svg" in out.read_text(encoding="utf-8")


@needs_renderer
def test_relu_softmax_replay_end_to_end(tmp_path: Path) -> None:
    pytest.importorskip("tinygrad_nn.examples.relu_softmax")
    out = tmp_path / "replay.html"
    assert run(["replay", "--example", "relu_softmax", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") >= 5 and "cross_entropy" in page
