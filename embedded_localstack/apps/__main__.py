"""python -m embedded_localstack.apps deploy|destroy|status|urls|prepare [APP_DIR] [--reserved-names MODULE:FUNCTION]

--reserved-names names a function that returns ({resource type: {name: owner}}, fix): the resources
others own in the environment, and how to start without them. The project's Makefile passes the shop's."""

import argparse
import importlib
import sys

from embedded_localstack.apps import collisions, deployment, toolchains
from embedded_localstack.apps.detect import detect
from embedded_localstack.apps.errors import AppError
from embedded_localstack.clients import NotLocal, client


def _reserved(spec: str | None) -> tuple[collisions.Reserved, str]:
    if not spec:
        return {}, ""
    module, _, function = spec.partition(":")
    return getattr(importlib.import_module(module), function)()


def _owners(reserved: collisions.Reserved) -> dict[str, tuple[int, int]]:
    """{owner: (resources of it that exist, resources it declares)}"""
    counts: dict[str, list[int]] = {}
    for kind, names in reserved.items():
        for name, owner in names.items():
            count = counts.setdefault(owner, [0, 0])
            count[0] += collisions.exists(kind, name, client)
            count[1] += 1
    return {owner: (found, total) for owner, (found, total) in counts.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m embedded_localstack.apps", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("deploy", "destroy", "status", "urls", "prepare"))
    parser.add_argument("app", nargs="?", help="the app's folder (deploy, destroy); prepare: folders, comma-separated")
    parser.add_argument("--reserved-names", help="MODULE:FUNCTION returning the names others own, and the fix")
    args = parser.parse_args(argv)
    if args.command in ("deploy", "destroy") and not args.app:
        parser.error(f"{args.command} needs the app's folder: make {args.command}-app APP=<dir>")
    try:
        reserved, fix = _reserved(args.reserved_names)
        if args.command == "deploy":
            print(f"==> deploying {args.app}", flush=True)
            print(deployment.deploy(args.app, reserved, fix).describe())
        elif args.command == "destroy":
            deleted = deployment.destroy(args.app)
            print(f"destroyed {args.app}: {', '.join(deleted) or 'its stacks'} deleted")
        elif args.command == "status":
            broken = []
            for owner, (found, total) in _owners(reserved).items():
                state = (
                    "deployed"
                    if found == total
                    else "not deployed"
                    if found == 0
                    else f"partly deployed ({found} of {total} resources)"
                )
                print(f"{owner}: {state}")
                if 0 < found < total:
                    broken.append(f"{owner} is {state}: `make deploy` puts back what is missing")
            apps = deployment.status()
            print(f"apps: {len(apps) or 'none'}")
            for folder, tool, stacks in apps:
                print(f"  {folder} ({tool}): " + ", ".join(f"{stack} {state}" for stack, state in stacks))
                broken += [
                    f"{folder}: stack {stack} is {state}"
                    for stack, state in stacks
                    if not state.startswith("gone") and state not in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
                ]
            if broken:
                print("not healthy: " + "; ".join(broken), file=sys.stderr)
                return 6
        elif args.command == "prepare":
            # Before LocalStack starts (APPS=... make up): the tool chains the apps need, installed now
            # rather than inside the init hook's time limit.
            for folder in filter(None, (f.strip() for f in (args.app or "").split(","))):
                if detect(folder).tool == "sam":
                    toolchains.sam_bin()
        else:
            for folder, what, url in deployment.app_urls():
                print(f"{folder}  {what}: {url}")
    except (AppError, NotLocal) as e:
        print(f"{args.command} failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
