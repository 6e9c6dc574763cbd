"""``python -m audiogan_kit``: the ``audiogan`` command (see :mod:`audiogan_kit.cli`)."""

import sys

from .cli import main

sys.exit(main())
