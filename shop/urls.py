"""Prints each API's base URL on the configured endpoint: python -m shop.urls (make urls)."""

from shop import settings
from shop.resources import APIS, api_url

if __name__ == "__main__":
    for api in APIS:
        print(f"{api.tag:8} {api_url(settings.require_local_endpoint(), api)}")
