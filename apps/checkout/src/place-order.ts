// Placing an order, checkout's one use case: claim the cart atomically, price it from the catalog,
// charge the payment, then settle: the order's lines leave for good, or (payment declined) go back to
// the cart. With an Idempotency-Key the final answer is stored in the same step as the settle, so a
// retry gets it again; a refusal before the claim (a bad body) is stored for the key too.
import { randomUUID } from 'node:crypto';
import {
  CartEmptyError,
  checkStorable,
  type CartCache,
  type CartLine,
  type IdempotencyRequest,
  type Shopper,
  type StoredResponse,
} from '@storefront/cart-cache';
import { THANKS, type CheckoutResponse, type Order } from '@storefront/api-contract';
import { CATALOG_CURRENCY, findItem } from '@storefront/catalog';
import { AppError, errorBody, type Logger } from '@storefront/service-kit';
import type { PaymentProcessor } from './payment';

/** The answer to a checkout request, and whether it is one stored for its Idempotency-Key. */
export interface CheckoutAnswer {
  response: StoredResponse;
  replayed: boolean;
}

export interface OrderRequest {
  shopper: Shopper;
  idempotency?: IdempotencyRequest;
  paymentToken: string;
  /** For the log lines of this request. */
  reqId: unknown;
}

/** Prices come from the catalog on the server, never from the client. */
function priceOrder(lines: CartLine[]): Order {
  const items = lines.map((line) => {
    const item = findItem(line.id);
    if (!item) throw new Error(`cart line for "${line.id}", which is not in the catalog`);
    return { id: line.id, quantity: line.quantity, unitPrice: item.price };
  });
  return {
    id: `ord_${randomUUID()}`,
    items,
    total: items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0),
    currency: CATALOG_CURRENCY,
  };
}

const errorResponse = (error: AppError): StoredResponse => ({ status: error.status, body: errorBody(error) });
const fresh = (response: StoredResponse): CheckoutAnswer => ({ response, replayed: false });
const replayed = (response: StoredResponse): CheckoutAnswer => ({ response, replayed: true });

export function createOrderPlacement(deps: { carts: CartCache; payments: PaymentProcessor; logger: Logger }) {
  const { carts, payments, logger } = deps;

  /** A final 4xx before the claim, stored for the key unless the key already has an answer. */
  async function refuse(shopper: Shopper, idempotency: IdempotencyRequest, error: AppError): Promise<CheckoutAnswer> {
    const response = errorResponse(error);
    const recorded = await carts.recordAnswer(shopper, idempotency, response);
    return recorded.kind === 'replay' ? replayed(recorded.response) : fresh(response);
  }

  async function place({ shopper, idempotency, paymentToken, reqId }: OrderRequest): Promise<CheckoutAnswer> {
    const claim = await carts.claim(shopper, idempotency);
    if (claim.kind === 'replay') return replayed(claim.response);
    if (claim.kind === 'empty') {
      const response = errorResponse(new CartEmptyError());
      if (idempotency) await carts.settle(shopper, { outcome: 'placed', idempotency: { ...idempotency, response } });
      return fresh(response);
    }

    const { claimId } = claim;
    let response: StoredResponse;
    let outcome: 'placed' | 'put-back';
    try {
      const order = priceOrder(claim.lines);
      const placed: StoredResponse = {
        status: 200,
        body: JSON.stringify({ message: THANKS, order } satisfies CheckoutResponse),
      };
      // The answer is stored for a retry, so it must fit before anyone is charged (the catalog keeps
      // the largest order well inside; see the checkout tests).
      if (idempotency) checkStorable(placed);
      const payment = await payments.charge({ token: paymentToken, amount: order.total, currency: order.currency });
      if (payment.approved) {
        outcome = 'placed';
        response = placed;
        logger.info({ reqId, orderId: order.id, total: order.total, lines: order.items.length }, 'order placed');
      } else {
        outcome = 'put-back';
        response = errorResponse(new AppError('PAYMENT_DECLINED', `The payment was declined: ${payment.reason}`, 402));
      }
    } catch (err) {
      // Nothing was placed: give the lines back and free the key so the client can retry.
      await carts.settle(shopper, { claimId, outcome: 'put-back', idempotency }).catch((settleError: unknown) => {
        // The lease returns the lines by itself; the in-progress marker expires.
        logger.error({ reqId, err: settleError }, 'could not put a failed checkout back');
      });
      throw err;
    }
    const stillOurs = await carts.settle(shopper, {
      claimId,
      outcome,
      idempotency: idempotency && { ...idempotency, response },
    });
    if (!stillOurs) {
      // The lease ran out before we settled, so the lines already went back to the cart.
      logger.warn({ reqId, outcome }, 'checkout settled after its claim lease expired');
    }
    return fresh(response);
  }

  return { refuse, place };
}

export type OrderPlacement = ReturnType<typeof createOrderPlacement>;
