"""Money arithmetic without rounding. Decimal's default context keeps 28 significant digits and
rounds silently beyond them; prices here may carry up to 38 (DynamoDB's limit), and a product of
two of them needs more. So sums and products use a context wide enough to be exact, and whether the
result can be stored is checked by the caller (shared.api_contract.storable)."""

from decimal import Context, Decimal, Inexact, Rounded

# Wide enough for any price (38 digits) times any quantity, summed over any basket; if it ever is
# not, the traps raise rather than round.
EXACT = Context(prec=120, traps=[Inexact, Rounded])


def amount(price, quantity) -> Decimal:
    return EXACT.multiply(Decimal(price), Decimal(quantity))


def total(amounts) -> Decimal:
    result = Decimal(0)
    for value in amounts:
        result = EXACT.add(result, value)
    return result
