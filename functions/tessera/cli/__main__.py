"""``python -m tessera.cli``: the same as the ``tessera`` console script."""

import sys

from tessera.cli import main

sys.exit(main())
