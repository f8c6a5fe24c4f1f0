"""`python -m plugin` runs the command-line interface."""

import sys

from plugin.cli import main

sys.exit(main())
