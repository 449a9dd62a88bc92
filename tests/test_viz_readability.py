"""The default drawings read on a laptop, and every renderer draws them alike.

Measured from the rendered SVG, as a browser, a notebook or the docs page shows it: the
picture is scaled down to a 1,400-px-wide column if it is wider (never up), 1 pt = 4/3 px.
The drawings are those of docs/make_pictures.py (`default_drawings`), after backward: the
`tinygrad-nn train` loss, the relu_softmax example and a 4-layer MLP, plain and math.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import tinygrad_nn.viz.rendering as render_module

ROOT = Path(__file__).resolve().parent.parent
COLUMN_PX, SCREEN_PX = 1400, 900
# Fonts with Helvetica's widths (Nimbus Sans) and Arial's (Liberation Sans), what viewers
# use for Helvetica on Linux, macOS and Windows
FACES = {
    "helvetica": (
        Path("/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf"),
        Path("/usr/share/fonts/opentype/urw-base35/NimbusSans-Bold.otf"),
    ),
    "arial": (
        Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
        Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ),
}


def _pure() -> str | None:
    for folder in [None, *render_module._python_script_folders()]:
        found = shutil.which("graphviz-pure", path=folder)
        if found:
            return found
    return None


PURE = _pure()
RENDERERS = [r for r in (shutil.which("dot"), PURE) if r]


def default_drawings() -> dict[str, Any]:
    script = ROOT / "docs" / "make_pictures.py"
    spec = importlib.util.spec_from_file_location("make_pictures", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    drawings: dict[str, Any] = module.default_drawings()
    return drawings


@pytest.fixture(scope="module")
def drawings() -> dict[str, Any]:
    pytest.importorskip("tinygrad_nn.nn")
    return default_drawings()


def measure(svg: bytes) -> dict[str, float]:
    """Size on a 1,400-px column (px) and the smallest text there (px)."""
    root = ET.fromstring(svg)
    width_pt = float(root.get("width", "0").removesuffix("pt"))
    height_pt = float(root.get("height", "0").removesuffix("pt"))
    scale = min(1.0, COLUMN_PX / (width_pt * 4 / 3))
    sizes = [float(e.get("font-size", "0")) for e in root.iter() if e.get("font-size")]
    return {
        "width": width_pt * 4 / 3 * scale,
        "height": height_pt * 4 / 3 * scale,
        "natural_width": width_pt * 4 / 3,
        "smallest_text": min(sizes) * 4 / 3 * scale,
    }


@pytest.mark.skipif(not RENDERERS, reason="no dot and no graphviz-pure")
@pytest.mark.parametrize("renderer", RENDERERS)
def test_default_drawings_read_at_1400_px(
    drawings: dict[str, Any], renderer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINYGRAD_NN_DOT", renderer)
    assert len(drawings) == 6
    for name, drawing in drawings.items():
        m = measure(render_module.pipe(drawing, "svg"))
        assert m["natural_width"] <= COLUMN_PX * 1.25, (name, m)  # hardly shrunk: no sideways
        assert m["smallest_text"] >= 11, (name, m)
        assert m["height"] <= 3 * SCREEN_PX, (name, m)


@pytest.mark.skipif(PURE is None, reason="graphviz-pure is not installed")
def test_the_pip_renderer_warns_about_nothing(drawings: dict[str, Any]) -> None:
    """graphviz-pure knows the widths of ASCII glyphs only; drawings use nothing else."""
    for name, drawing in drawings.items():
        assert drawing.source.isascii(), name
        proc = subprocess.run(
            [PURE, "-Tsvg"], input=drawing.source.encode(), capture_output=True, check=True
        )
        assert proc.stderr.decode().strip() == "", (name, proc.stderr[:300])


def _text_width(text: str, size: float, bold: bool, faces: tuple[Path, Path]) -> float:
    from PIL import ImageFont

    font = ImageFont.truetype(str(faces[bold]), size=100)
    return float(font.getlength(text)) * size / 100


@pytest.mark.skipif(PURE is None, reason="graphviz-pure is not installed")
@pytest.mark.parametrize("metrics", sorted(FACES))
def test_text_stays_inside_its_box_with_the_pip_renderer(
    drawings: dict[str, Any], metrics: str
) -> None:
    """Each node's text, measured with the font a viewer uses, fits inside the node's shape."""
    pytest.importorskip("PIL")
    faces = FACES[metrics]
    if not all(f.is_file() for f in faces):
        pytest.skip(f"no {metrics}-metric font installed")
    ns = "{http://www.w3.org/2000/svg}"
    checked = 0
    for name, drawing in drawings.items():
        svg = subprocess.run(
            [PURE, "-Tsvg"], input=drawing.source.encode(), capture_output=True, check=True
        ).stdout
        root = ET.fromstring(svg)
        for g in root.iter(f"{ns}g"):
            if g.get("class") != "node" or g.findtext(f"{ns}title") == "legend":
                continue
            xs: list[float] = []
            for shape in list(g.iter(f"{ns}polygon")) + list(g.iter(f"{ns}path")):
                coords = shape.get("points") or shape.get("d") or ""
                numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", coords)]
                xs += numbers[0::2]
            if not xs:
                continue
            left, right = min(xs), max(xs)
            for t in g.iter(f"{ns}text"):
                size = float(t.get("font-size", "14"))
                bold = t.get("font-weight") == "bold"
                w = _text_width(t.text or "", size, bold, faces)
                x = float(t.get("x", "0"))
                anchor = t.get("text-anchor", "start")
                lo = x - w / 2 if anchor == "middle" else (x - w if anchor == "end" else x)
                inside = left - 1 <= lo and lo + w <= right + 1
                assert inside, (name, t.text, lo, lo + w, left, right)
                checked += 1
    assert checked > 100
