"""docs/make_pictures.py runs and writes every picture docs/graphs.md shows."""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import tinygrad_nn.viz.rendering as render_module

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(render_module.find_renderer() is None, reason="no dot and no graphviz-pure")
def test_make_pictures_writes_what_the_page_shows(tmp_path: Path) -> None:
    pytest.importorskip("tinygrad_nn.nn")
    pytest.importorskip("PIL")
    script = ROOT / "docs" / "make_pictures.py"
    spec = importlib.util.spec_from_file_location("make_pictures", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path, png=True)
    page = (ROOT / "docs" / "graphs.md").read_text(encoding="utf-8")
    shown = re.findall(r"\]\(img/([^)]+)\)", page)
    assert len(shown) >= 9
    for name in shown:
        if name.startswith("before/"):  # drawn by the same script from commit a4c1b53
            assert (ROOT / "docs" / "img" / name).is_file(), f"{name} not committed"
            assert (ROOT / "docs" / "img" / name.removeprefix("before/")).is_file(), name
            continue
        if name.endswith("_page.png") and not (tmp_path / name).exists():
            continue  # a browser screenshot: written only where chromium is installed
        assert (tmp_path / name).is_file(), name
        assert (ROOT / "docs" / "img" / name).is_file(), f"{name} not committed"
        if name.endswith(".svg"):
            ET.parse(tmp_path / name)
