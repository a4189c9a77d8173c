// What the page tells a person when a call fails: each error of the contract as a sentence that says
// what happened and what to do next. The server's own message is shown where it carries the detail
// (the limit that was reached).
import type { ApiError } from './api';

/** What the person was doing when the call failed. */
export type Action = 'load' | 'add' | 'change' | 'checkout';

export interface Notice {
  text: string;
  /** Ask the store again after this many seconds (the store is briefly unavailable). */
  refreshAfterSeconds?: number;
}

function seconds(value: number | undefined): number {
  return Math.max(1, value ?? 1);
}

function inAbout(value: number | undefined): string {
  const n = seconds(value);
  return n === 1 ? 'in about a second' : `in about ${n} seconds`;
}

export function noticeFor(error: ApiError, action: Action): Notice {
  switch (error.code) {
    case 'CART_UNAVAILABLE':
    case 'SERVICE_UNAVAILABLE': {
      const what = action === 'load' ? 'Your cart could not be loaded' : 'That did not go through';
      const when = inAbout(error.retryAfterSeconds);
      return {
        text: `${what}: the store is briefly unavailable. Please try again in a moment (${when}).`,
        refreshAfterSeconds: seconds(error.retryAfterSeconds),
      };
    }
    case 'RATE_LIMITED':
      return {
        text:
          'That was a lot of requests at once. ' +
          `Please wait a moment and try again (${inAbout(error.retryAfterSeconds)}).`,
      };
    case 'CART_LIMIT':
      return { text: `${error.message} Your cart was not changed.` };
    case 'PAYMENT_DECLINED':
      return {
        text:
          'Your payment was declined, so no order was placed. ' +
          'Your cart is kept: check the payment token, or use another one, and check out again.',
      };
    case 'CART_EMPTY':
      return { text: 'Your cart is empty: add something from the catalog, then check out.' };
    case 'CHECKOUT_IN_PROGRESS':
      return {
        text:
          'This cart is already being checked out, maybe in another tab. ' +
          `Wait a moment (${inAbout(error.retryAfterSeconds)}), then look at your cart before checking out again.`,
        refreshAfterSeconds: seconds(error.retryAfterSeconds),
      };
    case 'IDEMPOTENCY_IN_PROGRESS':
      return {
        text:
          'Your order is still being placed. ' +
          `Wait a moment (${inAbout(error.retryAfterSeconds)}) and press Check out again: ` +
          'it will not be charged twice.',
      };
    case 'IDEMPOTENCY_KEY_REUSED':
      return { text: 'Your cart changed while checking out. Please look at it and press Check out again.' };
    case 'ITEM_NOT_FOUND':
      return { text: 'That item is no longer in the catalog. The page has been refreshed.', refreshAfterSeconds: 0 };
    case 'INVALID_BODY':
      return {
        text:
          action === 'checkout'
            ? 'Enter a payment token, then check out.'
            : 'Enter a whole number as the quantity (0 removes a line from the cart).',
      };
    case 'UNAUTHENTICATED':
      // Still refused right after a new session: the browser did not keep the cookie.
      return {
        text: 'This browser did not keep the session cookie. Allow cookies for this site, then reload the page.',
      };
    case 'NETWORK':
      return {
        text: 'The store could not be reached. Check your connection, then try again.',
        // The page cannot work without its cart: keep asking. A change is left to the person.
        refreshAfterSeconds: action === 'load' ? 5 : undefined,
      };
    default:
      if (error.status >= 500) {
        const reference = error.requestId ? ` If it keeps happening, quote reference ${error.requestId}.` : '';
        return { text: `Something went wrong on our side. Please try again.${reference}` };
      }
      return { text: error.message };
  }
}
