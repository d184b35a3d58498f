"""``python -m conformance`` is ``vcenter-conformance``."""

import sys

from .cli import main

sys.exit(main())
