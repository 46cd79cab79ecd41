"""Builds the archive of a Node.js function: its source under lambdas_node/<name>/ bundled by esbuild
(pinned in lambdas_node/package-lock.json with the functions' own packages, installed with `npm ci`)
into one CommonJS index.js. The AWS SDK stays out (--external): Lambda's Node.js runtimes provide it,
and so does embedded mode. Also links the bundle into build/hot-reload/<function>/ (rebuilt by
`python -m infra.archives`)."""

import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

from infra.model import Function
from infra.openapi_document import load_contract
from infra.paths import ARCHIVES_DIR, HOT_RELOAD_DIR, OPENAPI_DOCUMENT, PROJECT_DIR

NODE_SOURCES = PROJECT_DIR / "lambdas_node"
BUNDLES_DIR = PROJECT_DIR / "build" / "node"
ESBUILD = NODE_SOURCES / "node_modules" / ".bin" / "esbuild"
# Fixed timestamps make archives byte-identical across builds, so provisioning sees unchanged code.
EPOCH = (1980, 1, 1, 0, 0, 0)
# The event contracts (api/events/*.schema.json), each written with its $refs into the OpenAPI document
# resolved, for the functions to import as `event-contracts/<name>.schema.json` (an esbuild alias, see
# bundle_module): esbuild bundles them, so nothing is read or fetched at run time.
EVENT_CONTRACTS = PROJECT_DIR / "build" / "node-contracts"
CONTRACTS_IMPORT = "event-contracts"
# How the event contracts name the OpenAPI document (as lambdas/shared/event_contract.py has it).
OPENAPI_REFERENCE = "../openapi.yaml"


def install_packages() -> None:
    """esbuild and the functions' packages, as package-lock.json pins them (again when it changed)."""
    stamp = NODE_SOURCES / "node_modules" / ".package-lock.sha256"
    want = hashlib.sha256((NODE_SOURCES / "package-lock.json").read_bytes()).hexdigest()
    BUNDLES_DIR.mkdir(parents=True, exist_ok=True)
    # `npm ci` empties node_modules first: a build and a test (or two test workers) must not overlap.
    with open(BUNDLES_DIR / ".npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == want and ESBUILD.exists():
            return
        if shutil.which("npm") is None:
            raise SystemExit(
                "npm not found: the shop's Node.js functions are bundled with esbuild from npm. Install Node.js 20 with npm."
            )
        started = time.monotonic()
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_SOURCES, check=True)
        stamp.write_text(want)
        print(f"    Node.js packages installed in {time.monotonic() - started:.1f} s")


def _pointed(document: dict, pointer: str):
    node = document
    for token in pointer.removeprefix("/").split("/") if pointer else []:
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def dereferenced(contract: dict, document: dict) -> dict:
    """An event contract with each $ref into the OpenAPI document replaced by what it points at (the
    document's own $refs resolved too). Refs within the contract (#/definitions/...) stay: the
    validator resolves those against the contract itself."""

    def resolve(node, within_document: bool):
        if isinstance(node, list):
            return [resolve(item, within_document) for item in node]
        if not isinstance(node, dict):
            return node
        reference = node.get("$ref")
        if isinstance(reference, str):
            where, _, pointer = reference.partition("#")
            if where == OPENAPI_REFERENCE or (where == "" and within_document):
                return resolve(_pointed(document, pointer), within_document=True)
            if where != "":
                raise ValueError(f"{reference}: the event contracts refer to {OPENAPI_REFERENCE} only")
        return {key: resolve(value, within_document) for key, value in node.items()}

    return resolve(contract, within_document=False)


def write_event_contracts() -> None:
    """build/node-contracts/<name>.schema.json, rewritten when it changed."""
    document = load_contract()
    EVENT_CONTRACTS.mkdir(parents=True, exist_ok=True)
    for source in sorted((OPENAPI_DOCUMENT.parent / "events").glob("*.schema.json")):
        text = json.dumps(dereferenced(json.loads(source.read_text()), document), sort_keys=True, indent=1) + "\n"
        target = EVENT_CONTRACTS / source.name
        if not target.exists() or target.read_text() != text:
            # Whole or not at all: a test worker may read it while another writes.
            partial = target.with_name(f".{target.name}.{os.getpid()}")
            partial.write_text(text)
            partial.replace(target)


def source_folder(function: Function) -> Path:
    return NODE_SOURCES / function.name.replace("-", "_")


def bundle(function: Function) -> Path:
    """lambdas_node/<name>/index.mjs and what it imports, as build/node/<function>/index.js."""
    major = function.runtime.removeprefix("nodejs").removesuffix(".x")
    return bundle_module(source_folder(function) / "index.mjs", BUNDLES_DIR / function.name / "index.js", major)


def bundle_module(entry: Path, target: Path, node_major: str) -> Path:
    """The module `entry` and what it imports (the event contracts included, written first) as one
    CommonJS file, `target`, for Node.js `node_major`."""
    write_event_contracts()
    subprocess.run(
        [
            str(ESBUILD),
            str(entry),
            "--bundle",
            "--platform=node",
            f"--target=node{node_major}",
            "--format=cjs",
            "--external:@aws-sdk/*",
            f"--alias:{CONTRACTS_IMPORT}={EVENT_CONTRACTS}",
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
