// The cart settings read from the environment (DESIGN.md "Cart rules"), shared by every service that
// builds a cart cache.
import { envVar } from '@storefront/service-kit';
import { CART_DEFAULTS } from './cart-cache';

export const cartEnv = {
  CART_TTL_SECONDS: envVar.int(CART_DEFAULTS.ttlSeconds, 1, 365 * 24 * 60 * 60),
  CART_MAX_QUANTITY: envVar.int(CART_DEFAULTS.limits.maxQuantity, 1, 1_000_000),
  CART_MAX_LINES: envVar.int(CART_DEFAULTS.limits.maxLines, 1, 10_000),
};
