"""The shop's HTTP APIs, as a customer and a back office use them: products, a basket, a checkout,
orders. Each method makes one call and hands back what the API answered."""

from collections.abc import Iterator

import requests

from infra import settings
from infra.stack import BASKET_API, ORDER_API, PRODUCT_API, api_url


def checkout_request(user_name: str, **extra) -> dict:
    """A valid POST /basket/checkout body for the user; extra fields replace or add to it."""
    return {
        "userName": user_name,
        "firstName": "Ann",
        "lastName": "Lee",
        "email": f"{user_name}@example.com",
        "address": "1 Market Street",
        "paymentMethod": 1,
        "cardInfo": "4111111111111111",
    } | extra


class UnexpectedStatus(AssertionError):
    pass


class Shop:
    """One session with the three APIs on the configured endpoint. on_response(response) sees every
    answer (the demo prints them)."""

    def __init__(self, endpoint_url: str | None = None, session: requests.Session | None = None, on_response=None):
        self.endpoint_url = endpoint_url or settings.require_local_endpoint()
        self.http = session or requests.Session()
        if on_response:
            self.http.hooks["response"].append(lambda response, *args, **kwargs: on_response(response))
        self.products_url, self.baskets_url, self.orders_url = (
            api_url(self.endpoint_url, api) for api in (PRODUCT_API, BASKET_API, ORDER_API)
        )

    def _call(self, method: str, url: str, expect: int, **kwargs):
        response = self.http.request(method, url, **kwargs)
        if response.status_code != expect:
            raise UnexpectedStatus(
                f"expected {expect} from {method} {url}, got {response.status_code}: {response.text[:300]}"
            )
        return response.json() if response.text else None

    def create_product(self, **fields) -> dict:
        body = {"name": "Notebook", "category": "office", "price": 4.5} | fields
        return self._call("POST", f"{self.products_url}/product", 201, json=body)

    def pages(self, url: str, **params) -> Iterator[dict]:
        """Each page of a list (GET /product, /basket or /order), following nextToken until a page has none."""
        while True:
            page = self._call("GET", url, 200, params=params)
            yield page
            if "nextToken" not in page:
                return
            params = params | {"nextToken": page["nextToken"]}

    def products(self, **params) -> list[dict]:
        """Every product (category=... for one category), read page by page."""
        return [item for page in self.pages(f"{self.products_url}/product", **params) for item in page["items"]]

    def baskets(self, **params) -> list[dict]:
        return [item for page in self.pages(f"{self.baskets_url}/basket", **params) for item in page["items"]]

    def all_orders(self, **params) -> list[dict]:
        """Every user's orders, read page by page."""
        return [item for page in self.pages(f"{self.orders_url}/order", **params) for item in page["items"]]

    def product(self, product_id: str) -> dict:
        return self._call("GET", f"{self.products_url}/product/{product_id}", 200)

    def delete_product(self, product_id: str) -> None:
        self.http.delete(f"{self.products_url}/product/{product_id}")

    def fill_basket(self, user_name: str, items: list[dict]) -> dict:
        return self._call("POST", f"{self.baskets_url}/basket", 201, json={"userName": user_name, "items": items})

    def checkout(self, user_name: str, headers: dict | None = None, **extra) -> str:
        """Checks the user's basket out (202); returns the checkoutId."""
        answer = self._call(
            "POST",
            f"{self.baskets_url}/basket/checkout",
            202,
            json=checkout_request(user_name, **extra),
            headers=headers,
        )
        return answer["checkoutId"]

    def shop(self, user_name: str, items: list[dict], **checkout_extra) -> str:
        """Fills the basket and checks it out; returns the checkoutId."""
        self.fill_basket(user_name, items)
        return self.checkout(user_name, **checkout_extra)

    def orders(self, user_name: str) -> list[dict]:
        return self._call("GET", f"{self.orders_url}/order/{user_name}", 200)
