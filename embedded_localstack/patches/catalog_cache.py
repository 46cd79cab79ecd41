"""LocalStack's service catalog index, built once per virtual environment instead of once per state
directory (2.3 s of CPU at the first start of every fresh instance: tests' and benchmarks' own ones).

LocalStack 4.14.0 (localstack/aws/spec.py, get_service_catalog) loads
``service-catalog-<LocalStack version>-<botocore version>.dill`` from ``config.dirs.static_libs`` if it
is there (the Docker image ships it so), else from ``config.dirs.cache``, building and writing it there
when missing. On the host both are under FILESYSTEM_ROOT, the state directory. So: after an instance
is ready, its built index is kept in the virtual environment (whose packages fix both versions); before
an instance starts, what is kept is linked in as its static copy. The versions are in the file's name,
so an index of other versions is ignored by LocalStack rather than misread.
"""

import os
import sys
import tempfile
from pathlib import Path

PATTERN = "service-catalog-*.dill"
KEPT = Path(sys.prefix) / "localstack-cache"


def _static_libs(filesystem_root: Path) -> Path:
    return filesystem_root / "usr" / "lib" / "localstack"  # Directories.for_host(): root + /usr/lib/localstack


def _cache(filesystem_root: Path) -> Path:
    return filesystem_root / "var" / "lib" / "localstack" / "cache"  # root + /var/lib/localstack/cache


def seed(filesystem_root: Path, kept: Path = KEPT) -> None:
    """Before LocalStack starts: the kept indexes as this instance's static ones."""
    static = _static_libs(filesystem_root)
    for index in kept.glob(PATTERN):
        static.mkdir(parents=True, exist_ok=True)
        link = static / index.name
        if not link.exists():
            link.unlink(missing_ok=True)  # a dangling link to an index since removed
            link.symlink_to(index)


def keep(filesystem_root: Path, kept: Path = KEPT) -> None:
    """After LocalStack is ready: the index it built, for the next fresh instance."""
    for index in _cache(filesystem_root).glob(PATTERN):
        if (kept / index.name).exists():
            continue
        kept.mkdir(parents=True, exist_ok=True)
        # Renamed into place whole: an instance starting meanwhile never links half a file.
        with tempfile.NamedTemporaryFile(dir=kept, prefix=".partial-", delete=False) as partial:
            partial.write(index.read_bytes())
        os.replace(partial.name, kept / index.name)
