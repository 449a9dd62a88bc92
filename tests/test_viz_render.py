"""Rendering: real SVG and PNG with every renderer this machine has; clear error without one."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from viz_helpers import MLP, column_mlp

import tinygrad_nn.viz.rendering as render_module
from tinygrad_nn import Tensor
from tinygrad_nn.viz import RendererNotFoundError, draw, find_renderer, pipe, render


def renderers() -> list[str]:
    """The system `dot` and the graphviz-pure wheel's program, those that are installed."""
    found = []
    if shutil.which("dot"):
        found.append("dot")
    for folder in [None, *render_module._python_script_folders()]:
        pure = shutil.which("graphviz-pure", path=folder)
        if pure:
            found.append(pure)
            break
    return found


RENDERERS = renderers()
needs_renderer = pytest.mark.skipif(not RENDERERS, reason="no dot and no graphviz-pure")


@pytest.fixture(params=RENDERERS or ["none"])
def renderer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "none":
        pytest.skip("no dot and no graphviz-pure installed")
    monkeypatch.setenv("TINYGRAD_NN_DOT", request.param)
    return str(request.param)


def sample_drawing() -> object:
    model = MLP([4, 8, 3], np.random.default_rng(0))
    loss = (model(Tensor(np.ones((5, 4)), name="x")) ** 2).mean()
    loss.backward()
    return draw(loss, show_data=True, notation="math")


def test_svg_is_valid_xml_with_the_labels(renderer: str, tmp_path: Path) -> None:
    out = render(sample_drawing(), tmp_path / "g.svg")  # type: ignore[arg-type]
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for needle in [
        "W[1]",
        "Z[2] = add",
        "net.layers.0: Linear(4, 8)",
        "grad summed over axis 0",
        "parameter",
        "dW[2]",
        "rhs = W[1]^T",
    ]:
        assert needle in text, needle
    assert sum(1 for g in root.iter() if g.get("class") == "node") >= 12
    assert sum(1 for g in root.iter() if g.get("class") == "cluster") == 5


def test_png_is_a_real_picture(renderer: str, tmp_path: Path) -> None:
    from PIL import Image

    out = render(sample_drawing(), tmp_path / "g.png")  # type: ignore[arg-type]
    img = Image.open(out)
    assert img.format == "PNG"
    assert img.width > 400 and img.height > 150
    # not blank: a good share of non-white pixels (boxes, text, cluster fills)
    pixels = np.asarray(img.convert("L"))
    assert (pixels < 250).mean() > 0.05


def test_graphviz_own_render_and_pipe_work(renderer: str, tmp_path: Path) -> None:
    g = draw(column_mlp()["J"])
    out = g.render(tmp_path / "graph", format="svg")
    assert Path(out).suffix == ".svg" and b"<svg" in Path(out).read_bytes()
    assert g.pipe(format="png")[:8] == b"\x89PNG\r\n\x1a\n"
    bundle = g._repr_mimebundle_()  # what Jupyter calls to show the drawing inline
    assert "<svg" in bundle["image/svg+xml"]


def test_format_from_suffix_and_dot_source(tmp_path: Path) -> None:
    g = draw(column_mlp()["J"])
    out = render(g, tmp_path / "g.gv")  # needs no renderer
    assert out.read_text(encoding="utf-8") == g.source
    with pytest.raises(ValueError, match="format 'bmpx' not supported"):
        pipe(g, "bmpx")


def test_no_renderer_building_works_and_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot, no graphviz-pure
    monkeypatch.delenv("TINYGRAD_NN_DOT", raising=False)
    monkeypatch.setattr(render_module, "_python_script_folders", lambda: [])
    assert find_renderer() is None
    g = draw(column_mlp()["J"])  # building the Digraph needs no program
    assert g.source.startswith("digraph") and "matmul" in g.source
    for call in (
        lambda: render(g, tmp_path / "g.svg"),
        lambda: g.render(tmp_path / "g"),
        lambda: g.pipe(format="svg"),
    ):
        with pytest.raises(RendererNotFoundError) as info:
            call()
        message = str(info.value)
        assert "apt-get install graphviz" in message and "pip install graphviz-pure" in message


@needs_renderer
def test_graphviz_pure_found_next_to_python_without_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pure = [r for r in RENDERERS if r != "dot"]
    if not pure:
        pytest.skip("graphviz-pure is not installed")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("TINYGRAD_NN_DOT", raising=False)
    found = find_renderer()
    assert found is not None and Path(found).name == "graphviz-pure"
    svg = pipe(draw(column_mlp()["J"]), "svg")
    assert b"<svg" in svg


def test_pdf_needs_system_graphviz(renderer: str, tmp_path: Path) -> None:
    g = draw(column_mlp()["J"])
    if Path(renderer).name.startswith("graphviz-pure"):
        with pytest.raises(RendererNotFoundError, match="pdf needs the system Graphviz"):
            render(g, tmp_path / "g.pdf")
    else:
        assert render(g, tmp_path / "g.pdf").read_bytes()[:5] == b"%PDF-"
