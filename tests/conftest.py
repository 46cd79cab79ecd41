import os
import sys

from infra.archives import write_contract
from infra.paths import LAMBDA_SOURCES

# The functions' code imports as it does inside its archive: `shared`, `product`, ... at the top level.
# For every test: unit tests call it, integration tests build events with it and check them against
# the event contract, which it reads from the build folder (generated there, never into lambdas/).
sys.path.insert(0, str(LAMBDA_SOURCES))
os.environ["CONTRACTS_DIR"] = str(write_contract())
