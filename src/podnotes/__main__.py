import sys

from podnotes.cli import main

sys.exit(main())
