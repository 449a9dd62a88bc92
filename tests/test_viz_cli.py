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
        None,  # EXAMPLE.svg, so the main job's graph.svg is never overwritten by default
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


# ---- bad arguments: one line, non-zero exit, nothing written --------------------------------


def test_private_modules_are_not_listed_as_examples() -> None:
    from tinygrad_nn.viz.cli import available_examples

    names = available_examples()
    assert "relu_softmax" in names and not [n for n in names if n.startswith("_")]
    with pytest.raises(SystemExit) as info:
        load_example_loss("nope")
    assert "_common" not in str(info.value) and "relu_softmax" in str(info.value)
    with pytest.raises(SystemExit, match="unknown example '_common'"):
        load_example_loss("_common")


@needs_renderer
def test_graph_default_output_is_named_after_the_example(
    fake_example: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "graph.svg").write_text("the main job's drawing")
    assert run(["graph", "--example", fake_example]) == 0
    assert (tmp_path / "graph.svg").read_text() == "the main job's drawing"
    assert "<svg" in (tmp_path / f"{fake_example}.svg").read_text(encoding="utf-8")
    assert capsys.readouterr().out.strip() == f"wrote {fake_example}.svg"
    assert run(["graph", "--example", fake_example]) == 0
    assert "replacing the file that was there" in capsys.readouterr().out  # said, not silent


@needs_renderer
@pytest.mark.parametrize(("suffix", "magic"), [(".jpg", b"\xff\xd8"), (".jpeg", b"\xff\xd8")])
def test_graph_writes_jpg_and_jpeg(
    fake_example: str, tmp_path: Path, suffix: str, magic: bytes
) -> None:
    out = tmp_path / f"g{suffix}"
    assert run(["graph", "--example", fake_example, "-o", str(out)]) == 0
    assert out.read_bytes()[:2] == magic


def test_graph_dot_source_needs_no_renderer(
    fake_example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINYGRAD_NN_DOT", str(tmp_path / "no-dot"))
    out = tmp_path / "g.gv"
    assert run(["graph", "--example", fake_example, "-o", str(out)]) == 0
    assert out.read_text().startswith("digraph") and list(tmp_path.iterdir()) == [out]


BAD_OUTPUTS = [
    ("graph", "g.txt", "cannot write a .txt file; give a name ending in .svg"),
    ("graph", "g", "cannot write a suffix-less file"),
    ("graph", "g.mp4", "cannot write a .mp4 file"),
    ("replay", "r.png", "cannot write a .png file; give a name ending in .html .gif"),
    ("replay", "r.mp4", "cannot write a .mp4 file"),
    ("replay", "r.svg", "cannot write a .svg file"),
    ("replay", "r", "cannot write a suffix-less file"),
]


@pytest.mark.parametrize(("command", "name", "message"), BAD_OUTPUTS)
def test_outputs_it_cannot_write_are_refused_before_any_work(
    fake_example: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    name: str,
    message: str,
) -> None:
    with pytest.raises(SystemExit) as info:
        run([command, "--example", fake_example, "-o", str(tmp_path / name)])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"tinygrad-nn {command}: error: -o ")
    assert message in err[0]
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_is_refused_naming_the_path(
    fake_example: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    (tmp_path / "d.svg").mkdir()
    targets = [tmp_path / "d.svg"]
    if os.geteuid() == 0:
        targets.append(Path("/sys/g.svg"))
    for target in targets:
        with pytest.raises(SystemExit):
            run(["graph", "--example", fake_example, "-o", str(target)])
        err = capsys.readouterr().err
        assert f"cannot write {str(target)!r}" in err and "Traceback" not in err


@needs_renderer
def test_replay_gif_honours_svg_dir(fake_example: str, tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    frames = tmp_path / "frames"
    assert (
        run(
            [
                "replay",
                "--example",
                fake_example,
                "-o",
                str(tmp_path / "r.gif"),
                "--svg-dir",
                str(frames),
            ]
        )
        == 0
    )
    assert (tmp_path / "r.gif").read_bytes()[:3] == b"GIF"
    assert len(list(frames.glob("frame_*.svg"))) == 10


def test_replay_without_renderer_writes_nothing(
    fake_example: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TINYGRAD_NN_DOT", str(tmp_path / "no-dot"))
    assert run(["replay", "--example", fake_example, "-o", str(tmp_path / "r.html")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no Graphviz renderer found" in err[0]
    assert list(tmp_path.iterdir()) == []
