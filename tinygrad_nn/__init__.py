"""tinygrad_nn: a small, fast, honest autodiff framework on NumPy."""

from tinygrad_nn import functional
from tinygrad_nn.autograd import (
    Tensor,
    detect_anomaly,
    enable_grad,
    get_default_dtype,
    is_grad_enabled,
    no_grad,
    set_default_dtype,
)
from tinygrad_nn.gradcheck import gradcheck
from tinygrad_nn.random import manual_seed

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "detect_anomaly",
    "draw",
    "enable_grad",
    "functional",
    "get_default_dtype",
    "gradcheck",
    "is_grad_enabled",
    "manual_seed",
    "no_grad",
    "set_default_dtype",
]


def draw(tensor: Tensor, **kwargs):  # type: ignore[no-untyped-def]
    """A graphviz.Digraph of everything that produced ``tensor`` (see tinygrad_nn.viz.draw)."""
    from tinygrad_nn.viz import draw as _draw

    return _draw(tensor, **kwargs)
