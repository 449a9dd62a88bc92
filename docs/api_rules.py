"""Which public names the API reference documents, and how a name without a docstring can
still be described. Used by docs/conf.py (the site) and tests/test_docs.py (the fast check
that every public name has a docstring, without building the site). Needs no Sphinx."""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

# Each has a page in docs/api/ (an automodule directive, which lists its public names).
PUBLIC_MODULES = [
    "tinygrad_nn",
    "tinygrad_nn.functional",
    "tinygrad_nn.nn",
    "tinygrad_nn.nn.init",
    "tinygrad_nn.optim",
    "tinygrad_nn.data",
    "tinygrad_nn.train",
    "tinygrad_nn.viz",
    "tinygrad_nn.ops",
]


def op_behind(name: str, obj: Any) -> Any:
    """The one op class a Tensor method applies (``exp`` -> ``ops.Exp``), if there is one:
    its formula docstring then describes the method."""
    if not name.startswith("tinygrad_nn.Tensor.") or not inspect.isfunction(obj):
        return None
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError):
        return None
    from tinygrad_nn import ops

    found = [getattr(ops, n, None) for n in set(re.findall(r"\bops\.([A-Z]\w*)", source))]
    op = found[0] if len(found) == 1 else None
    return op if inspect.isclass(op) and issubclass(op, ops.Op) and op.__doc__ else None


def function_form_of(name: str, obj: Any) -> str | None:
    """``tinygrad_nn.exp(t)`` is ``t.exp()``: the name of that Tensor method (whose own
    docstring is checked where the method is documented)."""
    import tinygrad_nn

    module, _, short = name.rpartition(".")
    if module != "tinygrad_nn" or not inspect.isfunction(obj):
        return None
    return short if callable(getattr(tinygrad_nn.Tensor, short, None)) else None


def public_names(module_name: str) -> list[tuple[str, Any]]:
    """(dotted name, object) of what the module's page shows: ``__all__``, else the classes
    and functions it defines."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            n
            for n, o in vars(module).items()
            if not n.startswith("_")
            and (inspect.isclass(o) or inspect.isfunction(o))
            and getattr(o, "__module__", "").startswith(module_name)
        ]
    return [
        (f"{module_name}.{n}", getattr(module, n))
        for n in names
        if hasattr(module, n) and not inspect.ismodule(getattr(module, n))
    ]


def undocumented() -> list[str]:
    """Public functions, classes and methods with no docstring and no description from the
    rules above (the docs build warns on each, an error under -W)."""
    missing: list[str] = []
    for module_name in PUBLIC_MODULES:
        for name, obj in public_names(module_name):
            if inspect.isfunction(obj):
                if not inspect.getdoc(obj) and not function_form_of(name, obj):
                    missing.append(name)
            elif inspect.isclass(obj) and obj.__module__.startswith("tinygrad_nn"):
                if not inspect.getdoc(obj):
                    missing.append(name)
                for attr, value in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    func = getattr(value, "__func__", value)
                    if inspect.isfunction(func) and not inspect.getdoc(getattr(obj, attr)):
                        if not op_behind(f"{name}.{attr}", func):
                            missing.append(f"{name}.{attr}")
    return sorted(set(missing))
