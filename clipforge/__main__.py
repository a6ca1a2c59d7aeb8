"""`python -m clipforge` is the `clipforge` command."""

import sys

from clipforge.cli import main

sys.exit(main())
