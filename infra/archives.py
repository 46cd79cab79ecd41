"""Builds one zip per function under build/lambdas/: the service package, lambdas/shared, the API
contract as JSON, and the pinned third-party packages. Both modes deploy these same archives, so the
Docker mode needs no network inside the LocalStack container. Also links the same contents into
build/hot-reload/<function>/ for hot reload. Run: python -m infra.archives"""

import hashlib
import io
import json
import time
import zipfile
from pathlib import Path

from embedded_localstack import install_wheels, tools_in_archive
from infra import node_archives, settings
from infra.model import LAMBDA_RUNTIME, Function
from infra.openapi_document import load_contract
from infra.paths import ARCHIVES_DIR, CONTRACTS_DIR, HOT_RELOAD_DIR, LAMBDA_SOURCES, OPENAPI_DOCUMENT
from infra.stack import FUNCTIONS

REQUIREMENTS = LAMBDA_SOURCES / "requirements.txt"
DEPENDENCIES = ARCHIVES_DIR / "dependencies"
# Fixed timestamps make archives byte-identical across builds, so provisioning sees unchanged code.
EPOCH = (1980, 1, 1, 0, 0, 0)


def install_dependencies() -> None:
    stamp = DEPENDENCIES / ".requirements.sha256"
    want = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    started = time.monotonic()
    python_version = LAMBDA_RUNTIME.removeprefix("python")
    install_wheels(REQUIREMENTS, DEPENDENCIES, python_version, platform="manylinux2014_x86_64")
    stamp.write_text(want)
    print(f"    function dependencies installed in {time.monotonic() - started:.1f} s")


def _files(root: Path):
    for path in sorted(root.rglob("*")):
        if (
            path.is_file()
            and "__pycache__" not in path.parts
            and path.suffix != ".pyc"
            and path.name != ".requirements.sha256"
        ):
            yield path


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build(function: Function) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in _files(DEPENDENCIES):
            _add(archive, path.relative_to(DEPENDENCIES).as_posix(), path.read_bytes())
        for package in ("shared", function.package):
            for path in _files(LAMBDA_SOURCES / package):
                _add(archive, path.relative_to(LAMBDA_SOURCES).as_posix(), path.read_bytes())
        for path in _files(CONTRACTS_DIR):
            _add(archive, f"{CONTRACTS_DIR.name}/{path.relative_to(CONTRACTS_DIR).as_posix()}", path.read_bytes())
        if tools := tools_in_archive(archive.namelist()):
            raise SystemExit(
                f"{function.name}'s archive would hold the debugger or coverage.py: {', '.join(tools[:5])}; remove them from {DEPENDENCIES}"
            )
    target = ARCHIVES_DIR / f"{function.name}.zip"
    if not target.exists() or target.read_bytes() != buffer.getvalue():
        target.write_bytes(buffer.getvalue())
    return target


def link_hot_reload_folder(
    function: Function, sources: Path = LAMBDA_SOURCES, target_root: Path = HOT_RELOAD_DIR
) -> Path:
    """The function's code as an archive would hold it, made of absolute symlinks into lambdas/ and
    the installed dependencies, so edits under lambdas/ reach the running function at once. Docker
    mode mounts the project at the same absolute path into Lambda containers, so the links resolve
    there too."""
    folder = target_root / function.name
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {name: sources / name for name in ("shared", function.package)} | {CONTRACTS_DIR.name: CONTRACTS_DIR}
    wanted |= {
        entry.name: entry
        for entry in DEPENDENCIES.iterdir()
        if entry.name not in (".requirements.sha256", "__pycache__", "bin")
    }
    for existing in folder.iterdir():
        if existing.name == "__pycache__":  # Python's own, for the top-level modules
            continue
        if existing.name not in wanted or existing.resolve() != wanted[existing.name].resolve():
            existing.unlink()
    for name, source in wanted.items():
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(source.resolve())
    return folder


def zip_folder(folder: Path) -> bytes:
    """A folder's files as a zip archive (the Code.ZipFile of a function made of just that folder)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in _files(folder):
            _add(archive, path.relative_to(folder).as_posix(), path.read_bytes())
    return buffer.getvalue()


def write_contract() -> Path:
    """The functions read the contract as JSON (no YAML parser in the archive), from CONTRACTS_DIR:
    generated into the build folder, rewritten only when it changed. Returns that folder."""
    CONTRACTS_DIR.mkdir(parents=True, exist_ok=True)
    openapi = CONTRACTS_DIR / "openapi.json"
    contract = json.dumps(load_contract(), sort_keys=True, indent=1)
    if not openapi.exists() or openapi.read_text() != contract:
        openapi.write_text(contract)
    # The event contracts (api/events/), copied as they are: their $refs to ../openapi.yaml are
    # resolved to openapi.json by lambdas/shared/event_contract.py.
    for schema in sorted((OPENAPI_DOCUMENT.parent / "events").glob("*.schema.json")):
        copy = CONTRACTS_DIR / schema.name
        if not copy.exists() or copy.read_bytes() != schema.read_bytes():
            copy.write_bytes(schema.read_bytes())
    return CONTRACTS_DIR


def main() -> None:
    if not settings.SHOP:
        print("==> SHOP=0: no shop, no function archives to build")
        return
    started = time.monotonic()
    ARCHIVES_DIR.mkdir(parents=True, exist_ok=True)
    install_dependencies()
    write_contract()
    for function in FUNCTIONS:
        if function.runtime.startswith("nodejs"):
            node_archives.install_packages()
            node_archives.build(function)
            continue
        build(function)
        link_hot_reload_folder(function)
    print(f"==> function archives built in {time.monotonic() - started:.1f} s: {ARCHIVES_DIR}")


if __name__ == "__main__":
    main()
