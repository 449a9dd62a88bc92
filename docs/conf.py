"""Sphinx configuration of the tinygrad_nn site.

Build (warnings are errors, every notebook and executable page runs):
    sphinx-build -E -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from sphinx.util import logging

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import tinygrad_nn  # noqa: E402

sys.path.insert(0, str(DOCS))
import api_rules  # noqa: E402

project = "tinygrad_nn"
author = "the tinygrad_nn developers"
copyright = "the tinygrad_nn developers"  # noqa: A001
release = version = tinygrad_nn.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

# Pages: Markdown (MyST) and notebooks. The notebooks live in examples/ (saved without
# outputs); each build copies them to docs/tutorials/ (not in git) and runs them there, so the
# site and the test suite run the same file.
TUTORIALS = DOCS / "tutorials"
TUTORIALS.mkdir(exist_ok=True)
for _notebook in sorted((ROOT / "examples").glob("*.ipynb")):
    _copy = TUTORIALS / _notebook.name
    if not _copy.exists() or _copy.read_bytes() != _notebook.read_bytes():
        shutil.copyfile(_notebook, _copy)
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
root_doc = "index"
html_theme = "furo"
html_title = f"tinygrad_nn {release}"
html_static_path: list[str] = []
templates_path: list[str] = []

# ---------------------------------------------------------------- MyST and notebook execution
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "force"  # every build runs every notebook and executable page
nb_execution_raise_on_error = False  # reported as a warning (an error under -W), so
# --keep-going shows every failing page at once
nb_execution_allow_errors = False  # a failing cell fails the build, except cells tagged
# raises-exception
nb_execution_timeout = 600
nb_execution_show_tb = True
nb_merge_streams = True
nb_render_image_options = {"align": "center"}
# Graph drawings display as SVG (graphviz.Digraph's Jupyter representation).
nb_mime_priority_overrides = [("html", "image/svg+xml", 5)]

# ---------------------------------------------------------------- API reference
nitpicky = True  # every cross-reference in the API must resolve
autodoc_default_options = {
    "members": True,
    "undoc-members": True,  # so that a public name without a docstring is seen (see below)
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_inherit_docstrings = True
autosummary_generate = False
add_module_names = False
python_use_unqualified_type_names = True

# Names from outside the project (no network at build time, so no intersphinx inventories).
nitpick_ignore_regex = [
    (r"py:.*", r"(np|numpy|npt|numpy\.typing|numpy\.random|graphviz|os|pathlib|io)\..*"),
    (r"py:.*", r"(Array|ArrayLike|Seed|DTypeLike|Path|PathLike|Generator|ndarray|dtype)"),
    (r"py:.*", r"(collections\.abc|typing|typing_extensions|contextlib|types)\..*"),
    (r"py:.*", r"(Any|Callable|Iterator|Iterable|Sequence|Mapping|Literal|Self|TypeVar)"),
    (r"py:class", r"(int|float|str|bool|bytes|object|tuple|list|dict|type|None|slice)"),
    (r"py:class", r"tqdm.*"),
    (r"py:class", r"torch\..*"),
    # private base classes and helper types (shown in signatures, not part of the API)
    (r"py:class", r"tinygrad_nn\..*\._\w+"),
    (r"py:class", r"tinygrad_nn\.nn\.module\.IncompatibleKeys"),
    (r"py:class", r"Vertex|tinygrad_nn\.viz\.drawing\.Graph"),  # viz's internal graph types
]

_log = logging.getLogger("tinygrad_nn.docs")


def _warn_missing_docstring(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """A public name documented in the API reference must have a docstring."""
    if any(part.startswith("_") for part in name.split(".")):
        return
    if what in ("attribute", "property", "data") and not inspect.isroutine(obj):
        return  # instance attributes are described in their class's docstring
    if not any(line.strip() for line in lines):
        method = api_rules.function_form_of(name, obj)
        if method:
            lines[:] = [f"Function form of :meth:`tinygrad_nn.Tensor.{method}`, as in PyTorch."]
            return
        op = api_rules.op_behind(name, obj)
        if op is not None:
            formula = (inspect.getdoc(op) or "").split("\n\n")[0].replace("\n", " ")
            lines[:] = [f"Records :class:`tinygrad_nn.ops.{op.__name__}`: ``{formula}``"]
            return
        _log.warning(
            "public API without a docstring: %s (%s); add a one-line docstring "
            "(python -m pytest tests/test_docs.py -k docstring lists them all)",
            name,
            what,
        )


def _literal_formulas(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """An op's docstring starts with its formulas (``Z = |A|.  dA = dZ * sign(A)``): show them
    as code, not as reStructuredText (where ``|A|`` and ``*`` mean something else)."""
    if what != "class" or not name.startswith("tinygrad_nn.ops.") or not lines:
        return
    if inspect.isclass(obj) and obj.__name__ != "Op" and "`" not in lines[0]:
        end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
        lines[:end] = ["``" + " ".join(line.strip() for line in lines[:end]) + "``"]


_LITERAL = re.compile(r"(``.*?``)")


def _plain_bars(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """``|x|`` in a docstring is an absolute value, not a reStructuredText substitution."""
    for i, line in enumerate(lines):
        if "|" in line:
            parts = _LITERAL.split(line)
            lines[i] = "".join(
                part if part.startswith("``") else re.sub(r"(?<!\\)\|", r"\\|", part)
                for part in parts
            )


def _skip_foreign(app: Any, what: str, name: str, obj: Any, skip: bool, options: Any) -> Any:
    """Leave out what a module or class took from outside tinygrad_nn (Callable, np.max, ...)."""
    if what in ("module", "class") and callable(obj):
        home = getattr(obj, "__module__", None) or ""
        if not home.startswith("tinygrad_nn"):
            return True
    return None


def _public_aliases() -> dict[str, str]:
    """Where each object is defined -> the public name it is documented under."""
    import importlib

    aliases: dict[str, str] = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name, None)
            home, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
            if home and qualname and f"{home}.{qualname}" != f"{module_name}.{name}":
                aliases.setdefault(f"{home}.{qualname}", f"{module_name}.{name}")
    return aliases


# modules with __all__, whose re-exported names are documented under the short path
PUBLIC_MODULES = ["tinygrad_nn", "tinygrad_nn.nn", "tinygrad_nn.data", "tinygrad_nn.viz"]


def _resolve_alias(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """A type hint names `tinygrad_nn.autograd.Tensor`; the page documents `tinygrad_nn.Tensor`."""
    if node.get("refdomain") != "py":
        return None
    if not _ALIASES:
        _ALIASES.update(_public_aliases())
    parts = node.get("reftarget", "").split(".")
    for cut in range(len(parts), 1, -1):
        prefix = ".".join(parts[:cut])
        if prefix in _ALIASES:
            target = ".".join([_ALIASES[prefix], *parts[cut:]])
            return env.get_domain("py").resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], target, node, contnode
            )
    return None


_ALIASES: dict[str, str] = {}


def setup(app: Any) -> None:
    app.connect("autodoc-process-docstring", _literal_formulas)
    app.connect("autodoc-process-docstring", _plain_bars)
    app.connect("autodoc-process-docstring", _warn_missing_docstring)
    app.connect("autodoc-skip-member", _skip_foreign)
    app.connect("missing-reference", _resolve_alias)
    os.environ.setdefault("TINYGRAD_NN_DOCS_BUILD", "1")
