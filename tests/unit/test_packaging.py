"""A non-editable install of the platform (`pip install .`) ships every file that its function
processes run: the Node.js runtime (bootstrap.mjs and its modules), the network guards, the child
processes' sitecustomize and the Node SDK's manifest, not only the Python modules."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def tracked_package_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "embedded_localstack"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    return [name for name in listed.stdout.splitlines() if (PROJECT_DIR / name).is_file()]


def test_the_wheel_holds_every_file_of_the_package(tmp_path):
    # Given a copy of the package's sources (the build writes beside them, never in the source tree)
    source = tmp_path / "source"
    files = tracked_package_files() + [
        str(path.relative_to(PROJECT_DIR)) for path in (PROJECT_DIR / "embedded_localstack").rglob("*.*js")
    ]
    for name in {*files, "pyproject.toml"}:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_DIR / name, source / name)

    # When a wheel is built from it, as `pip install .` does
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp_path, source],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("embedded_localstack-*.whl")

    # Then nothing of the package is missing from it
    shipped = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted({*files} - shipped)
    assert not missing, f"left out of the wheel: {missing}; add them to [tool.setuptools.package-data]"
    for needed in (
        "runtimes/node/bootstrap.mjs",
        "runtimes/node/esm_paths.mjs",
        "runtimes/aws_guard.cjs",
        "runtimes/node_sdk/package-lock.json",
        "runtimes/python/bootstrap.py",
    ):
        assert f"embedded_localstack/{needed}" in shipped
