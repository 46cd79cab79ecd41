// The Node.js counterpart of lambdas/shared/event_contract.py: CheckoutBasket events checked on receipt
// against their contract, api/events/checkout-basket.schema.json. infra/node_archives.py writes it under
// build/ with its $refs into the OpenAPI document resolved, and esbuild bundles it (`event-contracts` is
// its alias for that folder): the function reads no file and fetches nothing at run time.
import Ajv from 'ajv';

import checkoutBasket from 'event-contracts/checkout-basket.schema.json' with { type: 'json' };

export class BrokenContract extends Error {
  constructor(message) {
    super(message);
    this.name = 'BrokenContract';
  }
}

// Compiled once per execution environment, at init. Errors without the data (verbose is off), and
// only the first: what a message names is a field and a rule, never a value (it may be a card number).
const validCheckout = new Ajv({ allErrors: false, verbose: false }).compile(checkoutBasket);

const described = (error) => {
  const field = `detail${error.instancePath.replaceAll('/', '.')}`;
  // The name of an unexpected field (such as cardInfo) is the schema's business; its value is not.
  const extra = error.params?.additionalProperty;
  return `${field} ${error.message}${extra === undefined ? '' : `: ${String(extra).slice(0, 100)}`}`;
};

/** The detail of a CheckoutBasket event (an EventBridge envelope); BrokenContract for anything else. */
export function receivedCheckout(event) {
  const detail = event?.detail;
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    throw new BrokenContract('not a CheckoutBasket event: no detail object');
  }
  if (!validCheckout(detail)) {
    throw new BrokenContract(`CheckoutBasket event breaks its contract: ${described(validCheckout.errors[0])}`);
  }
  return detail;
}
