"""The tool chains that deploy apps, pinned and installed on first use from PyPI into the project's build
folder, never globally. Once there, they work offline."""

import subprocess
import sys
import time
from pathlib import Path

from embedded_localstack import settings
from embedded_localstack.apps.errors import AppError
from embedded_localstack.apps.locks import locked

PROJECT_DIR = Path(__file__).resolve().parents[2]
SAM_REQUIREMENTS = Path(__file__).with_name("sam-requirements.txt")


def toolchain_root() -> Path:
    return settings.EMBEDDED_TOOLCHAIN_DIR.read()


def _version(requirements: Path, package: str) -> str:
    for line in requirements.read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower() == package:
            return version.strip()
    raise AppError(f"{requirements} does not pin {package}")


def sam_bin() -> Path:
    """The bin folder holding samlocal and sam, installed now if it is not there yet."""
    folder = toolchain_root() / f"sam-{_version(SAM_REQUIREMENTS, 'aws-sam-cli')}"
    done = folder / ".installed"
    if done.exists() and done.read_text() == SAM_REQUIREMENTS.read_text():
        return folder / "bin"
    # Test workers and the init hook may ask at once: one installs, the others wait for it.
    with locked(folder.parent / f"{folder.name}.lock"):
        if done.exists() and done.read_text() == SAM_REQUIREMENTS.read_text():
            return folder / "bin"
        _install(folder, SAM_REQUIREMENTS, "the SAM tool chain (aws-sam-cli, aws-sam-cli-local)")
        done.write_text(SAM_REQUIREMENTS.read_text())
    return folder / "bin"


def _install(folder: Path, requirements: Path, what: str) -> None:
    print(f"==> installing {what} into {folder}, once, from PyPI (a few minutes)", flush=True)
    started = time.monotonic()
    log = folder.parent / f"{folder.name}.install.log"
    # The Python that runs this (the project's venv): sam supports it, and it is there offline.
    base = getattr(sys, "_base_executable", sys.executable)
    steps = (
        [base, "-m", "venv", "--clear", str(folder)],
        # --no-deps: the list is complete, every transitive dependency pinned.
        [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", "-r", str(requirements)],
    )
    with open(log, "w") as output:
        for step in steps:
            if subprocess.run(step, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode:
                raise AppError(
                    f"installing {what} failed (log: {log}); it comes from PyPI the first time: connect to the "
                    f"network and deploy again, or delete {folder} to start over"
                )
    print(f"==> {what} installed in {time.monotonic() - started:.0f} s", flush=True)
