"""`python -m cubicl_async`: the `cubicl` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
