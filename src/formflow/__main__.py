import sys

from formflow.cli import main

sys.exit(main())
