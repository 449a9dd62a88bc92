"""``torch.nn.functional`` spelled for tinygrad_nn: the same module as ``tinygrad_nn.functional``.

``import tinygrad_nn.nn.functional as F`` and ``import tinygrad_nn.functional as F`` give the
same functions.
"""

import sys

from tinygrad_nn import functional

sys.modules[__name__] = functional  # one module under both names, not a copy of its names
