"""``torch.utils.data`` spelled for tinygrad_nn: the same module as ``tinygrad_nn.data``."""

import sys

from tinygrad_nn import data

sys.modules[__name__] = data  # one module under both names, not a copy of its names
