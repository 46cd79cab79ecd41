import sys

from shop.archives import write_contract
from shop.resources import LAMBDA_SOURCES

# The functions' code imports as it does inside its archive: `shared`, `product`, ... at the top level.
sys.path.insert(0, str(LAMBDA_SOURCES))
write_contract()
