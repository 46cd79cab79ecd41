"""Each API's base URL on the configured endpoint: python -m tools.urls (make urls)."""

from infra import settings
from infra.aws import client
from infra.stack import APIS, api_url


def urls() -> dict[str, str]:
    return {api.tag: api_url(settings.require_local_endpoint(), api) for api in APIS}


def shop_deployed() -> bool:
    deployed = {api["id"] for api in client("apigateway").get_rest_apis(limit=500)["items"]}
    return all(api.custom_id in deployed for api in APIS)


if __name__ == "__main__":
    if shop_deployed():
        for tag, url in urls().items():
            print(f"{tag:8} {url}")
    else:
        print("the shop is not deployed (SHOP=0, or `make destroy`): no shop URLs")
