import { ApiError } from './api';
import { noticeFor } from './messages';

const error = (code: string, status: number, message = 'server text', retryAfter?: number, requestId?: string) =>
  new ApiError(code, message, status, retryAfter, requestId);

describe('the message for each error of the contract', () => {
  it('asks to try again in a moment when the store is unavailable, with its Retry-After, and refreshes then', () => {
    expect(noticeFor(error('CART_UNAVAILABLE', 503, 'x', 3), 'add')).toEqual({
      text:
        'That did not go through: the store is briefly unavailable. ' +
        'Please try again in a moment (in about 3 seconds).',
      refreshAfterSeconds: 3,
    });
    expect(noticeFor(error('SERVICE_UNAVAILABLE', 503, 'x', 1), 'load')).toEqual({
      text:
        'Your cart could not be loaded: the store is briefly unavailable. ' +
        'Please try again in a moment (in about a second).',
      refreshAfterSeconds: 1,
    });
    // Without a Retry-After (a proxy in between answered), a second.
    expect(noticeFor(error('CART_UNAVAILABLE', 503), 'add').refreshAfterSeconds).toBe(1);
  });

  it('repeats the limit the server names, and says the cart is unchanged', () => {
    const limit = 'A cart line holds at most 99 of one item.';
    expect(noticeFor(error('CART_LIMIT', 422, limit), 'add').text).toBe(`${limit} Your cart was not changed.`);
  });

  it('says a declined payment placed no order and kept the cart', () => {
    expect(noticeFor(error('PAYMENT_DECLINED', 402), 'checkout').text).toMatch(
      /^Your payment was declined, so no order was placed\. Your cart is kept/,
    );
  });

  it('says what to do for the other codes, never with the server text of a 5xx', () => {
    const cases: [ApiError, RegExp][] = [
      [error('RATE_LIMITED', 429, 'x', 7), /wait a moment and try again \(in about 7 seconds\)/],
      [error('CART_EMPTY', 400), /^Your cart is empty: add something/],
      [error('CHECKOUT_IN_PROGRESS', 409, 'x', 2), /already being checked out, maybe in another tab/],
      [error('IDEMPOTENCY_IN_PROGRESS', 409, 'x', 2), /still being placed.*not be charged twice/],
      [error('IDEMPOTENCY_KEY_REUSED', 422), /press Check out again/],
      [error('ITEM_NOT_FOUND', 404), /no longer in the catalog/],
      [error('UNAUTHENTICATED', 401), /Allow cookies for this site/],
      [error('NETWORK', 0), /could not be reached/],
      [error('INTERNAL', 500, 'stack trace?', undefined, 'req-42'), /^Something went wrong on our side.*req-42\.$/],
    ];
    for (const [err, expected] of cases) expect(noticeFor(err, 'checkout').text).toMatch(expected);
  });

  it('asks for a payment token or a whole-number quantity on a refused body, by what was being done', () => {
    expect(noticeFor(error('INVALID_BODY', 400), 'checkout').text).toBe('Enter a payment token, then check out.');
    expect(noticeFor(error('INVALID_BODY', 400), 'change').text).toMatch(/whole number/);
  });
});
