"""``torch.utils`` spelled for tinygrad_nn: ``tinygrad_nn.utils.data`` is ``tinygrad_nn.data``.

So a PyTorch program's ``from torch.utils.data import DataLoader`` works with only ``torch``
renamed. Loaded on first use, like ``tinygrad_nn.data`` itself.
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    if name == "data":
        return importlib.import_module("tinygrad_nn.utils.data")
    raise AttributeError(f"module 'tinygrad_nn.utils' has no attribute {name!r}")
