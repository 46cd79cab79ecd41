// What the audit keeps of a CheckoutBasket event. The event is checked against its contract first: a
// malformed event is an error (retried, then in the failure queue), never a half record.
import { BrokenContract, receivedCheckout } from '../shared/event_contract.mjs';

export function auditRecord(event, recordedAt, runtime) {
  if (event?.['detail-type'] !== 'CheckoutBasket') {
    throw new BrokenContract('not a CheckoutBasket event: its detail-type is not CheckoutBasket');
  }
  const detail = receivedCheckout(event);
  return {
    checkoutId: detail.checkoutId,
    userName: detail.userName,
    totalPrice: detail.totalPrice, // decimal text, as the event carries money
    itemCount: detail.items.reduce((sum, item) => sum + item.quantity, 0),
    productIds: [...new Set(detail.items.map((item) => item.productId))].sort(),
    checkedOutAt: detail.checkedOutAt,
    eventId: String(event.id ?? ''),
    recordedAt,
    recordedBy: runtime ?? 'unknown',
  };
}
