"""Where product images live in the bucket: products/<productId>/<file name>."""


def product_id_of(key: str) -> str:
    parts = key.split("/")
    if len(parts) < 3 or parts[0] != "products" or not parts[1]:
        raise ValueError(f"object key {key!r} is not products/<productId>/<file>")
    return parts[1]
