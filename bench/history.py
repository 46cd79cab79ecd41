"""The figures of every `make bench` run, for charts across runs (the dashboard's performance view).

Each run appends one JSON line to build/bench/history.jsonl: when, the commit it measured, which
benchmarks ran, and each row of its table. The runs recorded before that file existed are read from
the committed versions of BENCHMARKS.md, each with the commit that recorded it."""

import json
import re
import subprocess
from dataclasses import asdict
from datetime import UTC, datetime

from infra.paths import PROJECT_DIR

HISTORY = PROJECT_DIR / "build" / "bench" / "history.jsonl"
# | path | measure | p50 | p99 / max | n | unit | ratios | target |
_ROW = re.compile(
    r"^\| (?P<path>[^|]+?) \| (?P<measure>[^|]+?) \| (?P<p50>[\d.]+) \| (?P<p99>[\d.]+) \| (?P<n>\d+) \| (?P<unit>[^|]+?) \|"
)
_MEASURED = re.compile(r"Measured (\d{4}-\d\d-\d\d \d\d:\d\d) UTC")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout


def current_commit() -> str:
    """The commit measured, with '+changes' when the work tree differs from it."""
    try:
        commit = _git("rev-parse", "--short", "HEAD").strip()
        dirty = bool(_git("status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+changes" if dirty else "")


def append(rows, suites: list[str]) -> None:
    HISTORY.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": current_commit(),
        "suites": suites,
        "rows": [{k: v for k, v in asdict(row).items() if k != "target"} for row in rows],
    }
    with HISTORY.open("a") as history:
        history.write(json.dumps(record) + "\n")


def parse_table(markdown: str) -> list[dict]:
    rows = []
    for line in markdown.splitlines():
        if match := _ROW.match(line):
            row = match.groupdict()
            rows.append(row | {"p50": float(row["p50"]), "p99": float(row["p99"]), "n": int(row["n"])})
    return rows


def committed_runs(limit: int = 20) -> list[dict]:
    try:
        commits = _git("log", f"-{limit}", "--format=%h", "--", "BENCHMARKS.md").split()
    except (OSError, subprocess.CalledProcessError):
        return []
    runs = []
    for commit in reversed(commits):
        text = _git("show", f"{commit}:BENCHMARKS.md")
        measured = _MEASURED.search(text)
        at = datetime.strptime(measured[1], "%Y-%m-%d %H:%M").replace(tzinfo=UTC).isoformat() if measured else ""
        runs.append({"at": at, "commit": commit, "suites": ["all"], "rows": parse_table(text)})
    return runs


def runs(limit: int = 20) -> list[dict]:
    """The last runs, oldest first: committed BENCHMARKS.md versions, then this machine's history."""
    recorded = []
    if HISTORY.exists():
        for line in HISTORY.read_text().splitlines():
            try:
                recorded.append(json.loads(line))
            except ValueError:
                continue  # a line cut short by an interrupted run
    return (committed_runs(limit) + recorded)[-limit:]
