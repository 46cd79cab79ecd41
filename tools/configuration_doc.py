"""docs/configuration.md's two generated tables, rendered from the settings declarations: the platform's
(embedded_localstack/settings.py) and the shop's (infra/settings.py). `python -m tools.configuration_doc`
rewrites them; tests/unit/test_settings_homes.py fails while the doc and the declarations differ."""

import re
import sys

from embedded_localstack import settings as platform_settings
from infra import settings as shop_settings
from infra.paths import PROJECT_DIR

DOC = PROJECT_DIR / "docs" / "configuration.md"
TABLES = {
    "platform": platform_settings.SETTINGS,
    "shop": shop_settings.SETTINGS,
}


def _section(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- generated: {name} settings \(python -m tools\.configuration_doc\) -->\n)(.*?)(<!-- end: {name} -->)",
        re.DOTALL,
    )


def render(doc: str) -> str:
    """The doc with each generated table as the declarations say it; a missing marker is an error."""
    for name, settings in TABLES.items():
        section = _section(name)
        if not section.search(doc):
            raise ValueError(f"{DOC.name} has no generated section for the {name} settings")
        table = platform_settings.markdown(settings)
        doc = section.sub(lambda match, table=table: match[1] + table + match[3], doc)
    return doc


def main() -> int:
    DOC.write_text(render(DOC.read_text()))
    print(f"==> {DOC.relative_to(PROJECT_DIR)}: the platform and shop tables rendered from their settings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
