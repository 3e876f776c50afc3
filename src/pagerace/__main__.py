import sys

from pagerace.cli.main import main

sys.exit(main())
