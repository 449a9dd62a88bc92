"""Turn a DOT graph into SVG / PNG with whichever Graphviz renderer this machine has.

Order of preference: the system `dot` (Graphviz from apt/brew/conda), then the
`graphviz-pure` program from the pip wheel of that name (a self-contained port of `dot`;
it is looked up on PATH and next to the running Python, so an un-activated venv works).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import graphviz

INSTALL_HINT = (
    "no Graphviz renderer found: install Graphviz's `dot` "
    "(`sudo apt-get install graphviz`, `brew install graphviz` or `conda install graphviz`) "
    "or the pip fallback `pip install graphviz-pure` (also `pip install 'tinygrad_nn[render]'`)"
)

FORMATS = ("svg", "png", "jpeg", "pdf", "json", "plain", "dot", "xdot", "gv")
PURE_LACKS = ("pdf",)  # formats graphviz-pure 0.2 cannot write


class RendererNotFoundError(RuntimeError):
    """No `dot` and no `graphviz-pure` program could be found."""


def find_renderer() -> str | None:
    """Path of the program that will render: system `dot`, else `graphviz-pure`, else None."""
    forced = os.environ.get("TINYGRAD_NN_DOT")
    if forced:
        return shutil.which(forced) or (forced if Path(forced).is_file() else None)
    dot = shutil.which("dot")
    if dot:
        return dot
    pure = shutil.which("graphviz-pure")
    if pure:
        return pure
    for folder in _python_script_folders():
        candidate = shutil.which("graphviz-pure", path=folder)
        if candidate:
            return candidate
    return None


def _python_script_folders() -> list[str]:
    """Where pip puts console programs for this Python (found even if a venv is not active)."""
    return sorted({sysconfig.get_path("scripts"), str(Path(sys.executable).parent)})


def require_renderer() -> str:
    prog = find_renderer()
    if prog is None:
        raise RendererNotFoundError(INSTALL_HINT)
    return prog


def pipe(graph: graphviz.Digraph | str, format: str = "svg") -> bytes:
    """Render `graph` (a Digraph or DOT source) and return the bytes of `format`."""
    if format not in FORMATS:
        raise ValueError(f"render: format {format!r} not supported; use one of {FORMATS}")
    source = graph if isinstance(graph, str) else graph.source
    prog = require_renderer()
    if format in PURE_LACKS and Path(prog).name.startswith("graphviz-pure"):
        raise RendererNotFoundError(
            f"render: {format} needs the system Graphviz (`sudo apt-get install graphviz`, "
            f"`brew install graphviz`); the graphviz-pure fallback writes svg, png and jpeg"
        )
    fmt = "dot" if format == "gv" else format
    proc = subprocess.run(
        [prog, "-q", "-Kdot", f"-T{fmt}"],
        input=source.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"render: {Path(prog).name} failed with exit code {proc.returncode}: "
            f"{proc.stderr.decode('utf-8', 'replace').strip()[:500]}"
        )
    return proc.stdout


def render(
    graph: graphviz.Digraph | str, path: str | os.PathLike[str], format: str | None = None
) -> Path:
    """Write `graph` to `path` as `format` (default: from the suffix, else svg); return the path.

    Unlike `Digraph.render`, `path` is the exact output file name (no `.gv` source beside it).
    """
    out = Path(path)
    fmt = format or (out.suffix[1:].lower() if out.suffix else "svg")
    fmt = "jpeg" if fmt == "jpg" else fmt  # the usual suffix of the format Graphviz calls jpeg
    if fmt == "dot" or fmt == "gv":
        data = (graph if isinstance(graph, str) else graph.source).encode("utf-8")
    else:
        data = pipe(graph, fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out


# -------------------------------------------------- make graphviz's own methods find a renderer

_binary_lock = threading.RLock()


@contextmanager
def _graphviz_binary() -> Iterator[None]:
    """Point the `graphviz` package at our renderer while one of its methods runs."""
    from graphviz.backend import dot_command

    prog = require_renderer()
    with _binary_lock:
        saved = dot_command.DOT_BINARY
        if Path(prog).name != "dot" or shutil.which("dot") != prog:
            dot_command.DOT_BINARY = Path(prog)  # type: ignore[assignment]
        try:
            yield
        finally:
            dot_command.DOT_BINARY = saved


def _wrap(func: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        with _graphviz_binary():
            return func(*args, **kwargs)

    return call


class Drawing(graphviz.Digraph):
    """A `graphviz.Digraph` whose `render`, `pipe`, `view` and Jupyter display use the
    renderer found by `find_renderer` (system `dot`, else the `graphviz-pure` wheel) and
    say what to install when there is none."""

    @property
    def _render(self) -> Callable[..., Any]:  # type: ignore[override]
        from graphviz.backend import rendering

        return _wrap(rendering.render)

    @property
    def _pipe_lines(self) -> Callable[..., Any]:  # type: ignore[override]
        from graphviz.backend import piping

        return _wrap(piping.pipe_lines)

    @property
    def _pipe_lines_string(self) -> Callable[..., Any]:  # type: ignore[override]
        from graphviz.backend import piping

        return _wrap(piping.pipe_lines_string)
