import sys

from embedded_localstack.cli import main

sys.exit(main())
