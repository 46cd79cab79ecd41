// What the audit keeps of a CheckoutBasket event. The fields it reads are checked here: a malformed
// event is an error (retried, then in the failure queue), never a half record.

export class InvalidCheckoutEvent extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvalidCheckoutEvent';
  }
}

const text = (detail, field) => {
  const value = detail[field];
  if (typeof value !== 'string' || value === '') throw new InvalidCheckoutEvent(`CheckoutBasket detail.${field} must be a non-empty string`);
  return value;
};

export function auditRecord(event, recordedAt, runtime) {
  const detail = event?.detail;
  if (event?.['detail-type'] !== 'CheckoutBasket' || typeof detail !== 'object' || detail === null) {
    throw new InvalidCheckoutEvent(`not a CheckoutBasket event: detail-type ${JSON.stringify(event?.['detail-type'])}`);
  }
  if (!Array.isArray(detail.items)) throw new InvalidCheckoutEvent('CheckoutBasket detail.items must be a list');
  const itemCount = detail.items.reduce((sum, item) => {
    if (!Number.isInteger(item?.quantity) || item.quantity < 1) throw new InvalidCheckoutEvent('each item needs a positive integer quantity');
    return sum + item.quantity;
  }, 0);
  return {
    checkoutId: text(detail, 'checkoutId'),
    userName: text(detail, 'userName'),
    totalPrice: text(detail, 'totalPrice'), // decimal text, as the event carries money
    itemCount,
    productIds: [...new Set(detail.items.map((item) => String(item.productId)))].sort(),
    checkedOutAt: text(detail, 'checkedOutAt'),
    eventId: String(event.id ?? ''),
    recordedAt,
    recordedBy: runtime ?? 'unknown',
  };
}
