"""Builds the archive of a Node.js function: its source under lambdas_node/<name>/ bundled by esbuild
(pinned in lambdas_node/package-lock.json, installed with `npm ci`) into one CommonJS index.js. The AWS
SDK stays out (--external): Lambda's Node.js runtimes provide it, and so does embedded mode. Also
links the bundle into build/hot-reload/<function>/ (rebuilt by `python -m infra.archives`)."""

import hashlib
import io
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

from infra.model import Function
from infra.paths import ARCHIVES_DIR, HOT_RELOAD_DIR, PROJECT_DIR

NODE_SOURCES = PROJECT_DIR / "lambdas_node"
BUNDLES_DIR = PROJECT_DIR / "build" / "node"
ESBUILD = NODE_SOURCES / "node_modules" / ".bin" / "esbuild"
# Fixed timestamps make archives byte-identical across builds, so provisioning sees unchanged code.
EPOCH = (1980, 1, 1, 0, 0, 0)


def install_esbuild() -> None:
    stamp = NODE_SOURCES / "node_modules" / ".package-lock.sha256"
    want = hashlib.sha256((NODE_SOURCES / "package-lock.json").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want and ESBUILD.exists():
        return
    if shutil.which("npm") is None:
        raise SystemExit(
            "npm not found: the shop's Node.js functions are bundled with esbuild from npm. Install Node.js 20 with npm."
        )
    started = time.monotonic()
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_SOURCES, check=True)
    stamp.write_text(want)
    print(f"    esbuild installed in {time.monotonic() - started:.1f} s")


def source_folder(function: Function) -> Path:
    return NODE_SOURCES / function.name.replace("-", "_")


def bundle(function: Function) -> Path:
    """lambdas_node/<name>/index.mjs and what it imports, as build/node/<function>/index.js."""
    target = BUNDLES_DIR / function.name / "index.js"
    major = function.runtime.removeprefix("nodejs").removesuffix(".x")
    subprocess.run(
        [
            str(ESBUILD),
            str(source_folder(function) / "index.mjs"),
            "--bundle",
            "--platform=node",
            f"--target=node{major}",
            "--format=cjs",
            "--external:@aws-sdk/*",
            "--log-level=warning",
            f"--outfile={target}",
        ],
        check=True,
    )
    return target


def build(function: Function) -> Path:
    code = bundle(function)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("index.js", date_time=EPOCH)
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, code.read_bytes())
    target = ARCHIVES_DIR / f"{function.name}.zip"
    if not target.exists() or target.read_bytes() != buffer.getvalue():
        target.write_bytes(buffer.getvalue())
    folder = HOT_RELOAD_DIR / function.name
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "index.js"
    if not link.is_symlink() or link.resolve() != code.resolve():
        link.unlink(missing_ok=True)
        link.symlink_to(code.resolve())
    return target
