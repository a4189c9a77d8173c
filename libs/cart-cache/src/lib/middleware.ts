// The Express middleware of the cart layer: `req.userToken` from the gateway's signed hand-off, and
// `req.cart` loaded in one round trip, only on routes that read it (changes answer with the cart
// their own script returns, so they need no read first).
import type { RequestHandler } from 'express';
import { IDENTITY_HEADER, errors, type IdentityHandoff } from '@storefront/service-kit';
import type { CartCache, CartLine } from './cart-cache';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The shopper, as the gateway vouched for it: an opaque id, never the session token itself. */
      userToken?: string;
      /** The shopper's cart, on routes behind loadCart(). */
      cart?: CartLine[];
    }
  }
}

/** Sets req.userToken from a genuine, unexpired hand-off made for this request; anything else is 401. */
export function requireShopper(handoff: IdentityHandoff): RequestHandler {
  return (req, _res, next) => {
    const subject = handoff.verify(req.get(IDENTITY_HEADER), { method: req.method, url: req.originalUrl });
    if (subject === undefined) {
      next(errors.unauthenticated());
      return;
    }
    req.userToken = subject;
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
    req.cart = await cache.read(req.userToken);
    next();
  };
}

/** The shopper of a request behind requireShopper(). */
export function shopperOf(req: { userToken?: string }): string {
  if (req.userToken === undefined) throw errors.unauthenticated();
  return req.userToken;
}
