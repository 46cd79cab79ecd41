"""Each API's base URL on the configured endpoint: python -m tools.urls (make urls)."""

from infra import settings
from infra.stack import APIS, api_url


def urls() -> dict[str, str]:
    return {api.tag: api_url(settings.require_local_endpoint(), api) for api in APIS}


if __name__ == "__main__":
    for tag, url in urls().items():
        print(f"{tag:8} {url}")
