import sys

from modelcheck.cli import main

sys.exit(main())
