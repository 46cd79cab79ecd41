"""Pinned packages installed for a Python other than the one running: the functions' dependencies into
their archives, and the debugger and coverage.py for the function processes. Binary wheels only, since
pip cannot build a package for another interpreter, and no dependency resolution: the requirements
files are complete locks."""

import subprocess
import sys
from pathlib import Path


def install_wheels(requirements: Path, target: Path, python_version: str, platform: str | None = None) -> None:
    """Installs `requirements` into the folder `target`, for CPython `python_version` (e.g. "3.12"), and
    for `platform` (a wheel tag such as manylinux2014_x86_64) when it is not this machine's."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary=:all:"]
    if platform:
        command += ["--platform", platform]
    command += ["--implementation", "cp", "--python-version", python_version]
    command += ["--target", str(target), "--upgrade", "-r", str(requirements)]
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL)
