"""Small helpers shared by the examples (argument parsing, output folder, tables)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from tinygrad_nn.cli import HelpFormatter, positive_float, positive_int, seed_int

__all__ = ["parser", "out_dir", "positive_float", "positive_int", "show_in_notebook", "table"]


def parser(description: str) -> argparse.ArgumentParser:
    """Options every example takes; value types from the CLI (checked as they are parsed)."""
    p = argparse.ArgumentParser(description=description, formatter_class=HelpFormatter)
    p.add_argument("--fast", action="store_true", help="a smaller run that takes seconds")
    p.add_argument("--out-dir", default=".", help="folder for files the example writes")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed")
    return p


def out_dir(path: str) -> Path:
    d = Path(path)
    if d.exists() and not d.is_dir():
        raise NotADirectoryError(f"--out-dir {path}: exists and is not a folder")
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise type(e)(f"--out-dir {path}: cannot create the folder: {e.strerror or e}") from None
    return d


def show_in_notebook(path: Path) -> None:
    """Display an image file inline when running inside a Jupyter kernel; otherwise do nothing."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and "IPKernelApp" in shell.config:
        display(Image(filename=str(path)))


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A plain left-aligned text table."""
    cells = [list(map(str, header))] + [list(map(str, r)) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
