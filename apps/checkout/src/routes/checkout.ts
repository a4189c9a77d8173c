// PATCH /Cart/checkout: reads the request (the shopper, the Idempotency-Key, the payment token) and
// answers with what placing the order gave (../place-order.ts).
import { Router, type Response } from 'express';
import { checkoutBody, type CheckoutBody } from '@storefront/api-contract';
import {
  requireShopper,
  shopperOf,
  spendUnusedHandoff,
  type CartCache,
  type IdempotencyRequest,
} from '@storefront/cart-cache';
import { AppError, methodNotAllowed, parseBody, type IdentityHandoff, type Logger } from '@storefront/service-kit';
import { fingerprintOf, idempotencyKeyOf } from '../idempotency';
import type { PaymentProcessor } from '../payment';
import { createOrderPlacement, type CheckoutAnswer } from '../place-order';

function send(res: Response, { response, replayed }: CheckoutAnswer): void {
  if (replayed) res.setHeader('Idempotent-Replayed', 'true');
  res.status(response.status).type('application/json').send(response.body);
}

export function checkoutRoutes(deps: {
  carts: CartCache;
  handoff: IdentityHandoff;
  payments: PaymentProcessor;
  logger: Logger;
}): Router {
  const orders = createOrderPlacement(deps);
  const router = Router();

  router
    .route('/Cart/checkout')
    .patch(requireShopper(deps.handoff), async (req, res) => {
      const shopper = shopperOf(req);
      const key = idempotencyKeyOf(req);
      const idempotency: IdempotencyRequest | undefined =
        key === undefined ? undefined : { key, fingerprint: fingerprintOf(req.body) };
      let body: CheckoutBody;
      try {
        body = parseBody(checkoutBody, req.body);
      } catch (err) {
        // Without a key a bad body is an error like any other; with one, it is that key's final answer.
        if (!idempotency || !(err instanceof AppError)) throw err;
        send(res, await orders.refuse(shopper, idempotency, err));
        return;
      }
      send(res, await orders.place({ shopper, idempotency, paymentToken: body.payment.token, reqId: req.id }));
    })
    .all(methodNotAllowed('PATCH'));
  router.use(spendUnusedHandoff(deps.carts));

  return router;
}
