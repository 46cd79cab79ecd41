"""An exclusive lock between processes, held on a file: test workers, the init hook and two deploys at
once share the tool chains, the records of deployed apps and the CDK's bootstrap of an environment."""

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
