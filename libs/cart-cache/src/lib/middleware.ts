// The Express middleware of the cart layer: `req.userToken` from the gateway's signed hand-off, and
// `req.cart` loaded in one round trip, only on routes that read it (changes answer with the cart
// their own script returns, so they need no read first).
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { IDENTITY_HEADER, errors, type IdentityHandoff } from '@storefront/service-kit';
import type { CartCache, CartLine, HandoffUse, Shopper } from './cart-cache';

// What the cart layer adds to Express's Request (a module augmentation, as @types/express recommends).
declare module 'express-serve-static-core' {
  interface Request {
    /** The shopper, as the gateway vouched for it: an opaque id, never the session token itself. */
    userToken?: string;
    /** The hand-off's single-use nonce, spent by the first cart operation of the request. */
    handoff?: HandoffUse;
    /** The shopper's cart, on routes behind loadCart(). */
    cart?: CartLine[];
  }
}

/** Sets req.userToken from a genuine, unexpired hand-off made for this request; anything else is 401. */
export function requireShopper(handoff: IdentityHandoff): RequestHandler {
  return (req, _res, next) => {
    const verified = handoff.verify(req.get(IDENTITY_HEADER), { method: req.method, url: req.originalUrl });
    if (verified === undefined) {
      next(errors.unauthenticated());
      return;
    }
    req.userToken = verified.subject;
    req.handoff = { nonce: verified.nonce, spent: false };
    next();
  };
}

/** Puts the shopper's cart on req.cart (after requireShopper). */
export function loadCart(cache: CartCache): RequestHandler {
  return async (req, _res, next) => {
    if (req.userToken === undefined) {
      next(errors.unauthenticated());
      return;
    }
    req.cart = await cache.read(shopperOf(req));
    next();
  };
}

/**
 * The shopper of a request behind requireShopper(), with its hand-off: the first cart operation
 * spends it, so a replay of the same hand-off is refused. Later operations of the same request (the
 * settle after a claim) do not spend it again.
 */
export function shopperOf(req: { userToken?: string; handoff?: HandoffUse }): Shopper {
  if (req.userToken === undefined) throw errors.unauthenticated();
  return { userToken: req.userToken, handoff: req.handoff };
}

/**
 * Mount after a router's routes: a request refused before any cart operation (400, 404, 422) spends
 * its hand-off on the way out, so a captured hand-off cannot be sent again with another body. This
 * costs a round trip on refusals only. A hand-off already used turns the refusal into a 401; with
 * Redis unavailable, the refusal goes out as it is.
 */
export function spendUnusedHandoff(cache: CartCache): ErrorRequestHandler {
  return async (err, req, _res, next) => {
    if (req.userToken === undefined || !req.handoff || req.handoff.spent) {
      next(err);
      return;
    }
    try {
      const fresh = await cache.spendHandoff(shopperOf(req));
      next(fresh ? err : errors.unauthenticated('This identity hand-off was already used.'));
    } catch {
      next(err);
    }
  };
}
