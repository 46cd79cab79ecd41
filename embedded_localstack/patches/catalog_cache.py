"""LocalStack's service catalog index, built once per virtual environment instead of once per state
directory (2.3 s of CPU at the first start of every fresh instance: tests' and benchmarks' own ones).

LocalStack 4.14.0 (localstack/aws/spec.py, get_service_catalog) loads
``service-catalog-<LocalStack version>-<botocore version>.dill`` from ``config.dirs.static_libs`` if it
is there (the Docker image ships it so), else from ``config.dirs.cache``, building and writing it there
when missing. On the host both are under FILESYSTEM_ROOT, the state directory. So: after an instance
is ready, its built index is kept in the virtual environment (whose packages fix both versions); before
an instance starts, what is kept is linked in as its static copy. The versions are in the file's name,
so an index of other versions is ignored by LocalStack rather than misread.

The gateway's TLS certificate likewise: LocalStack 4.14.0 (localstack/runtime/runtime.py,
_init_gateway_server) generates a self-signed one with a new RSA key into ``config.dirs.cache`` at every
start of a fresh instance unless ``server.test.pem`` is there (75 ms before the gateway listens). The
kept one is copied in (LocalStack writes its .crt and .key beside it), and replaced once it is a year old
(LocalStack makes it valid for two).
"""

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

PATTERN = "service-catalog-*.dill"
CERTIFICATE = "server.test.pem"  # localstack/utils/ssl.py: _SERVER_CERT_PEM_FILE
CERTIFICATE_KEPT_SECONDS = 365 * 24 * 3600
KEPT = Path(sys.prefix) / "localstack-cache"


def _static_libs(filesystem_root: Path) -> Path:
    return filesystem_root / "usr" / "lib" / "localstack"  # Directories.for_host(): root + /usr/lib/localstack


def _cache(filesystem_root: Path) -> Path:
    return filesystem_root / "var" / "lib" / "localstack" / "cache"  # root + /var/lib/localstack/cache


def seed(filesystem_root: Path, kept: Path = KEPT) -> None:
    """Before LocalStack starts: the kept indexes as this instance's static ones, the kept certificate in
    its cache (unless a year old: then LocalStack makes a new one, which ``keep`` keeps)."""
    static = _static_libs(filesystem_root)
    for index in kept.glob(PATTERN):
        static.mkdir(parents=True, exist_ok=True)
        link = static / index.name
        if not link.exists():
            link.unlink(missing_ok=True)  # a dangling link to an index since removed
            link.symlink_to(index)
    certificate = kept / CERTIFICATE
    if certificate.exists() and not _stale(certificate):
        cache = _cache(filesystem_root)
        if not (cache / CERTIFICATE).exists():
            cache.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(certificate, cache / CERTIFICATE)
            os.chmod(cache / CERTIFICATE, 0o600)  # it holds the private key


def keep(filesystem_root: Path, kept: Path = KEPT) -> None:
    """After LocalStack is ready: the index it built, and its certificate, for the next fresh instance."""
    cache = _cache(filesystem_root)
    for built in [*cache.glob(PATTERN), cache / CERTIFICATE]:
        if not built.exists():
            continue
        if (kept / built.name).exists() and not _stale(kept / built.name):
            continue
        kept.mkdir(parents=True, exist_ok=True)
        # Renamed into place whole: an instance starting meanwhile never links or copies half a file.
        with tempfile.NamedTemporaryFile(dir=kept, prefix=".partial-", delete=False) as partial:
            partial.write(built.read_bytes())
        os.replace(partial.name, kept / built.name)


def _stale(kept: Path) -> bool:
    """A kept certificate a year old (an index is never stale: its versions are in its name)."""
    return kept.name == CERTIFICATE and time.time() - kept.stat().st_mtime >= CERTIFICATE_KEPT_SECONDS
