"""Prints coverage of lambdas/ per package (one line per function package and shared/) from coverage.xml:
python scripts/coverage_summary.py build/coverage/coverage.xml (scripts/test.sh runs it)."""

import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import PurePosixPath


def per_package(xml_path: str) -> dict[str, tuple[int, int]]:
    """{package: (statements, statements run)} for the files under lambdas/."""
    statements, run = Counter(), Counter()
    for file in ElementTree.parse(xml_path).getroot().iter("class"):
        path = PurePosixPath(file.get("filename"))
        parts = path.parts[path.parts.index("lambdas") + 1 :] if "lambdas" in path.parts else path.parts
        package = parts[0] if len(parts) > 1 else "(top level)"
        lines = file.findall("lines/line")
        statements[package] += len(lines)
        run[package] += sum(1 for line in lines if int(line.get("hits")) > 0)
    return {package: (statements[package], run[package]) for package in sorted(statements)}


def main(xml_path: str) -> None:
    packages = per_package(xml_path)
    print(f"    {'package':24} {'statements':>10} {'run':>6} {'cover':>7}")
    for package, (total, run) in packages.items():
        print(f"    {'lambdas/' + package:24} {total:>10} {run:>6} {100 * run / max(total, 1):>6.1f}%")
    total, run = (sum(values) for values in zip(*packages.values(), strict=False)) if packages else (0, 0)
    print(f"    {'total':24} {total:>10} {run:>6} {100 * run / max(total, 1):>6.1f}%")


if __name__ == "__main__":
    main(sys.argv[1])
