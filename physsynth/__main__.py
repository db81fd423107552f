"""``python -m physsynth`` runs the command line."""

import sys

from physsynth.cli import main

sys.exit(main())
