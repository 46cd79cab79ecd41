"""Where the project's files are: the contract, the functions' sources and what is built from them."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
OPENAPI_DOCUMENT = PROJECT_DIR / "api" / "openapi.yaml"
LAMBDA_SOURCES = PROJECT_DIR / "lambdas"
ARCHIVES_DIR = PROJECT_DIR / "build" / "lambdas"
HOT_RELOAD_DIR = PROJECT_DIR / "build" / "hot-reload"
# The contracts as the functions read them (JSON), generated from api/: shipped in each archive as the
# top-level folder `contracts/`, linked into each hot-reload folder under the same name.
CONTRACTS_DIR = PROJECT_DIR / "build" / "contracts"
