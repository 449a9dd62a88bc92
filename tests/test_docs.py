"""Every code block of the README, the docs and the example notebooks runs, so they cannot rot.

- README.md and the plain docs/*.md pages: each ```python block runs on its own.
- Executable pages (docs/*.md with ``file_format: mystnb``, which the docs site runs at build
  time) and the notebooks of examples/: their code cells run top to bottom in one namespace,
  as a kernel runs them; a cell tagged ``raises-exception`` must raise.
- docs/troubleshooting.md: each error message it quotes is what its example raises today.

The docs build (``sphinx-build -E -W --keep-going -b html docs docs/_build/html``) runs the same
pages and notebooks again, in a Jupyter kernel, and is its own CI step.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
OPTION = re.compile(r"^:(\w[\w-]*):\s*(.*)$")


def is_executable(page: Path) -> bool:
    """A MyST-NB text notebook: the site runs its code cells when it is built."""
    match = FRONT_MATTER.match(page.read_text())
    return bool(match) and "file_format: mystnb" in match.group(1)


PLAIN = [ROOT / "README.md", *(p for p in sorted(DOCS.glob("*.md")) if not is_executable(p))]
EXECUTABLE = [p for p in sorted(DOCS.glob("*.md")) if is_executable(p)]
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))
BLOCKS = [
    (page, i, code)
    for page in PLAIN
    for i, code in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), re.S))
]


class Cell:
    """One code cell: its source and its tags."""

    def __init__(self, source: str, tags: list[str], start: int = 0) -> None:
        self.source, self.tags, self.start = source, tags, start

    @property
    def raises(self) -> bool:
        return "raises-exception" in self.tags


def page_cells(page: Path) -> list[Cell]:
    """The code cells of an executable page, with the ``:tags: [...]`` option read."""
    cells = []
    for match in CODE_CELL.finditer(page.read_text()):
        lines = match.group(1).split("\n")
        tags: list[str] = []
        while lines and OPTION.match(lines[0]):
            key, value = OPTION.match(lines[0]).groups()  # type: ignore[union-attr]
            if key == "tags":
                tags = [t.strip() for t in value.strip("[]").split(",") if t.strip()]
            lines = lines[1:]
        cells.append(Cell("\n".join(lines).strip("\n"), tags, match.start()))
    return cells


def notebook_cells(path: Path) -> list[Cell]:
    notebook = json.loads(path.read_text())
    cells = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        cells.append(Cell(source, list(cell.get("metadata", {}).get("tags", []))))
    return cells


def run_cells(cells: list[Cell], where: str) -> dict[str, Any]:
    """Run the cells in order in one namespace; a raises-exception cell must raise."""
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*non-interactive.*cannot be shown")
        warnings.filterwarnings("ignore", message=".*FigureCanvasAgg is non-interactive")
        for k, cell in enumerate(cells):
            code = compile(cell.source, f"{where} cell {k}", "exec")
            if cell.raises:
                with pytest.raises(Exception):  # noqa: B017, PT011 - the page shows which
                    exec(code, namespace)
            else:
                exec(code, namespace)
    return namespace


@pytest.fixture(autouse=True)
def _quiet_plots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.mark.parametrize(
    "page,index,code", BLOCKS, ids=[f"{p.relative_to(ROOT)}#{i}" for p, i, _ in BLOCKS]
)
def test_code_block_runs(page: Path, index: int, code: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    exec(compile(code, f"{page.name} block {index}", "exec"), {"__name__": "__docs__"})


@pytest.mark.parametrize("page", EXECUTABLE, ids=[p.name for p in EXECUTABLE])
def test_executable_page_runs(page: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    cells = page_cells(page)
    assert cells, f"{page.name} says it is executable but has no code cell"
    run_cells(cells, page.name)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(notebook: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = json.loads(notebook.read_text())
    for cell in data["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, (
                f"{notebook.name} is saved with outputs: clear them before committing"
            )
    run_cells(notebook_cells(notebook), notebook.name)


def test_there_are_two_notebooks_and_the_site_runs_every_page() -> None:
    assert len(NOTEBOOKS) >= 2
    conf = (DOCS / "conf.py").read_text()
    assert 'nb_execution_mode = "force"' in conf
    index = (DOCS / "index.md").read_text()
    for page in [*EXECUTABLE, *PLAIN[1:]]:
        assert page.stem in index or page.stem == "index", f"{page.name} is not in the site"
    for notebook in NOTEBOOKS:
        assert f"tutorials/{notebook.stem}" in index, f"{notebook.name} is not in the site"


# ------------------------------------------------------------------------- troubleshooting

QUOTE = re.compile(r"^> (`+) ?([A-Za-z_][\w.]*): (.*?) ?\1[ \t]*$", re.M)


def quoted_errors(page: Path) -> list[tuple[str, str, int]]:
    """(exception type, message, position) of every ``> `Type: message` `` line of a page."""
    return [(m.group(2), m.group(3), m.start()) for m in QUOTE.finditer(page.read_text())]


def message_matches(message: str, raised: str) -> bool:
    """``…`` in a quoted message stands for text that varies (values, paths)."""
    position = 0
    for fragment in message.split("…"):
        found = raised.find(fragment, position)
        if found < 0:
            return False
        position = found + len(fragment)
    return True


def test_troubleshooting_quotes_what_the_code_raises(tmp_path: Path, monkeypatch) -> None:
    page = DOCS / "troubleshooting.md"
    monkeypatch.chdir(tmp_path)
    cells = page_cells(page)
    quotes = quoted_errors(page)
    raising = [c for c in cells if c.raises]
    assert raising, "the troubleshooting page has no example that raises"
    assert len(quotes) == len(raising), (
        f"{len(quotes)} quoted messages but {len(raising)} raising examples: each example "
        "needs the `> `Type: message`` line just before it"
    )
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    checked = 0
    for k, cell in enumerate(cells):
        code = compile(cell.source, f"troubleshooting.md cell {k}", "exec")
        if not cell.raises:
            exec(code, namespace)
            continue
        kind, message, _ = max(
            (q for q in quotes if q[2] < cell.start), key=lambda q: q[2], default=(None, "", 0)
        )
        assert kind is not None, f"cell {k} raises but no message is quoted before it"
        with pytest.raises(Exception) as info:  # noqa: PT011 - the type is checked below
            exec(code, namespace)
        assert type(info.value).__name__ == kind.rsplit(".", 1)[-1], (
            f"cell {k}: the page says {kind}, the code raised {type(info.value).__name__}: "
            f"{info.value}"
        )
        assert message_matches(message, str(info.value)), (
            f"cell {k}: the page quotes\n  {message}\nbut the code raises\n  {info.value}"
        )
        checked += 1
    assert checked == len(raising)


def test_message_matching() -> None:
    raised = "matmul: cannot multiply (2, 2) by (3, 4)"
    assert message_matches("matmul: cannot multiply … by (3, 4)", raised)
    assert not message_matches("matmul: cannot … by (4, 4)", raised)
    assert not message_matches("by (3, 4) … matmul", raised)  # fragments in order


# --------------------------------------------------------------------------- API reference

sys.path.insert(0, str(DOCS))
import api_rules  # noqa: E402, I001  (docs/api_rules.py: what the API reference documents)


def test_api_reference_documents_every_public_module() -> None:
    """Each public module's page uses automodule, which lists every public name in it (its
    ``__all__``, else what it defines); the build warns (an error under -W) on a public name
    without a docstring."""
    documented = set()
    for page in (DOCS / "api").glob("*.rst"):
        documented |= set(re.findall(r"^\.\. automodule:: ([\w.]+)", page.read_text(), re.M))
    missing = [m for m in api_rules.PUBLIC_MODULES if m not in documented]
    assert not missing, f"no API page for {missing}: add an automodule directive in docs/api/"


def test_every_public_name_has_a_docstring() -> None:
    """What the docs build checks (an error under -W), checked here without building it."""
    missing = api_rules.undocumented()
    assert not missing, f"public names without a docstring: {', '.join(missing)}"
