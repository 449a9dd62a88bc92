"""`python -m tinygrad_nn ...` is the `tinygrad-nn` command."""

import sys

from tinygrad_nn.cli import main

sys.exit(main())
