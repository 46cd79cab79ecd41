"""Which apps are deployed in this instance, and as which stacks: a JSON file in the instance's state
directory, changed under a lock (test workers and the init hook deploy side by side)."""

import json
from contextlib import contextmanager
from pathlib import Path

from embedded_localstack import settings
from embedded_localstack.apps.locks import locked


def state_dir() -> Path:
    return settings.EMBEDDED_STATE_DIR.read()


@contextmanager
def _records():
    path = state_dir() / "apps.json"
    with locked(path.with_suffix(".lock")):
        records = json.loads(path.read_text()) if path.exists() else {}
        before = json.dumps(records, sort_keys=True)
        yield records
        if json.dumps(records, sort_keys=True) != before:
            partial = path.with_suffix(".tmp")
            partial.write_text(json.dumps(records, indent=1, sort_keys=True))
            partial.replace(path)


def all_apps() -> dict[str, dict]:
    """{app folder: {"tool": ..., "stacks": [...]}}"""
    with _records() as records:
        return dict(records)


def owner_of(stack: str) -> str | None:
    return next((folder for folder, record in all_apps().items() if stack in record["stacks"]), None)


def remember(folder: Path, tool: str, stacks: list[str]) -> None:
    with _records() as records:
        records[str(folder)] = {"tool": tool, "stacks": stacks}


def forget(folder: Path) -> dict | None:
    with _records() as records:
        return records.pop(str(folder), None)


def recorded(folder: Path) -> dict | None:
    return all_apps().get(str(folder))
