"""Pins and secrets: every dependency is pinned, and no credential other than the dummy one is committed."""

import re
import subprocess

import pytest

from infra.paths import PROJECT_DIR

REQUIREMENT_FILES = [*sorted(PROJECT_DIR.glob("requirements/*.txt")), PROJECT_DIR / "lambdas" / "requirements.txt"]
PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!-]+$")


@pytest.mark.parametrize("path", REQUIREMENT_FILES, ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_every_requirement_line_is_pinned(path):
    unpinned = [
        line
        for line in (raw.split("#")[0].strip() for raw in path.read_text().splitlines())
        if line and not line.startswith("-r ") and not PINNED.match(line)
    ]
    assert unpinned == []


def test_build_backend_is_pinned():
    assert 'requires = ["setuptools==' in (PROJECT_DIR / "pyproject.toml").read_text()


def tracked_files() -> list:
    names = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout.split()
    return [PROJECT_DIR / name for name in names if (PROJECT_DIR / name).is_file()]


def test_no_aws_access_key_or_secret_is_committed():
    access_key = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
    secret = re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?(?!test\b)[A-Za-z0-9/+=]{30,}")
    found = []
    for path in tracked_files():
        text = path.read_text(errors="ignore")
        if access_key.search(text) or secret.search(text):
            found.append(str(path.relative_to(PROJECT_DIR)))
    assert found == []
