// PATCH /Cart/checkout: claim the cart atomically, price it from the catalog, charge the payment,
// then settle: the order's lines leave for good, or (payment declined) go back to the cart. With an
// Idempotency-Key the final answer is stored in the same step, so a retry gets it again.
import { randomUUID } from 'node:crypto';
import { Router, type Response } from 'express';
import { z } from 'zod';
import {
  CartEmptyError,
  checkStorable,
  requireShopper,
  shopperOf,
  spendUnusedHandoff,
  type CartCache,
  type CartLine,
  type IdempotencyRequest,
  type StoredResponse,
} from '@storefront/cart-cache';
import { CATALOG_CURRENCY, findItem } from '@storefront/catalog';
import { AppError, errorBody, methodNotAllowed, parseBody, type IdentityHandoff, type Logger } from '@storefront/service-kit';
import { fingerprintOf, idempotencyKeyOf } from '../idempotency';
import type { PaymentProcessor } from '../payment';

const checkoutBody = z.strictObject({
  payment: z.strictObject({ token: z.string().min(1, 'must not be empty').max(255, 'must be at most 255 characters') }),
});

export const THANKS = 'Thanks for shopping with us!';

export interface Order {
  id: string;
  items: { id: string; quantity: number; unitPrice: number }[];
  total: number;
  currency: string;
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

function errorResponse(error: AppError): StoredResponse {
  return { status: error.status, body: errorBody(error) };
}

function send(res: Response, response: StoredResponse): void {
  res.status(response.status).type('application/json').send(response.body);
}

function replay(res: Response, response: StoredResponse): void {
  res.setHeader('Idempotent-Replayed', 'true');
  send(res, response);
}

export function checkoutRoutes(deps: {
  carts: CartCache;
  handoff: IdentityHandoff;
  payments: PaymentProcessor;
  logger: Logger;
}): Router {
  const { carts, payments, logger } = deps;
  const router = Router();

  router.route('/Cart/checkout').patch(requireShopper(deps.handoff), async (req, res) => {
    const shopper = shopperOf(req);
    const key = idempotencyKeyOf(req);
    const idempotency: IdempotencyRequest | undefined = key === undefined ? undefined : { key, fingerprint: fingerprintOf(req.body) };

    let body: z.infer<typeof checkoutBody>;
    try {
      body = parseBody(checkoutBody, req.body);
    } catch (err) {
      if (!idempotency || !(err instanceof AppError)) throw err;
      // A final 4xx like any other: stored for the key, unless the key already has an answer.
      const response = errorResponse(err);
      const recorded = await carts.recordAnswer(shopper, idempotency, response);
      if (recorded.kind === 'replay') replay(res, recorded.response);
      else send(res, response);
      return;
    }

    const claim = await carts.claim(shopper, idempotency);
    if (claim.kind === 'replay') {
      replay(res, claim.response);
      return;
    }
    if (claim.kind === 'empty') {
      const response = errorResponse(new CartEmptyError());
      if (idempotency) await carts.settle(shopper, { outcome: 'placed', idempotency: { ...idempotency, response } });
      send(res, response);
      return;
    }

    const { claimId } = claim;
    let response: StoredResponse;
    let outcome: 'placed' | 'put-back';
    try {
      const order = priceOrder(claim.lines);
      const placed: StoredResponse = { status: 200, body: JSON.stringify({ message: THANKS, order }) };
      // The answer is stored for a retry, so it must fit before anyone is charged (the catalog keeps
      // the largest order well inside; see the checkout tests).
      if (idempotency) checkStorable(placed);
      const payment = await payments.charge({ token: body.payment.token, amount: order.total, currency: order.currency });
      if (payment.approved) {
        outcome = 'placed';
        response = placed;
        logger.info({ reqId: req.id, orderId: order.id, total: order.total, lines: order.items.length }, 'order placed');
      } else {
        outcome = 'put-back';
        response = errorResponse(new AppError('PAYMENT_DECLINED', `The payment was declined: ${payment.reason}`, 402));
      }
    } catch (err) {
      // Nothing was placed: give the lines back and free the key so the client can retry.
      await carts.settle(shopper, { claimId, outcome: 'put-back', idempotency }).catch((settleError: unknown) => {
        // The lease returns the lines by itself; the in-progress marker expires.
        logger.error({ reqId: req.id, err: settleError }, 'could not put a failed checkout back');
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
      logger.warn({ reqId: req.id, outcome }, 'checkout settled after its claim lease expired');
    }
    send(res, response);
  }).all(methodNotAllowed('PATCH'));
  router.use(spendUnusedHandoff(carts));

  return router;
}
