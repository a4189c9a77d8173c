// PATCH /Cart/checkout: reads the request (the shopper, the Idempotency-Key, the payment token) and
// answers with what placing the order gave (../place-order.ts).
import { Router, type Request, type Response } from 'express';
import { checkoutBody, type CheckoutBody } from '@storefront/api-contract';
import {
  requireShopper,
  shopperOf,
  spendUnusedHandoff,
  type CartCache,
  type IdempotencyRequest,
} from '@storefront/cart-cache';
import { AppError, methodNotAllowed, parseBody, type IdentityHandoff, type Logger } from '@storefront/service-kit';
import { outcomeOfAnswer, outcomeOfError, type CheckoutOutcome } from '../checkout-outcome';
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
  /** The checkouts metric: told how each checkout ended. */
  onCheckout?: (outcome: CheckoutOutcome) => void;
}): Router {
  const orders = createOrderPlacement(deps);
  const router = Router();

  async function answer(req: Request): Promise<CheckoutAnswer> {
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
      return orders.refuse(shopper, idempotency, err);
    }
    return orders.place({ shopper, idempotency, paymentToken: body.payment.token, reqId: req.id });
  }

  router
    .route('/Cart/checkout')
    .patch(requireShopper(deps.handoff), async (req, res) => {
      let answered: CheckoutAnswer;
      try {
        answered = await answer(req);
      } catch (err) {
        deps.onCheckout?.(outcomeOfError(err));
        throw err;
      }
      deps.onCheckout?.(outcomeOfAnswer(answered));
      send(res, answered);
    })
    .all(methodNotAllowed('PATCH'));
  router.use(spendUnusedHandoff(deps.carts));

  return router;
}
