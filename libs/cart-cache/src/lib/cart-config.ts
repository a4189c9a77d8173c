// The settings of a service that holds carts (docs/CONTRACT.md "Services" and "Cart rules"), and the wiring
// from those settings to a connected cart cache, shared by inventory and checkout.
import type { Redis } from 'ioredis';
import {
  commonEnv,
  createIdentityHandoff,
  envVar,
  resolveGatewaySecret,
  type IdentityHandoff,
  type Logger,
} from '@storefront/service-kit';
import { CART_DEFAULTS, createCartCache, type CartCache } from './cart-cache';
import { closeRedis, createRedisClient, pingRedis } from './redis-client';

export const cartEnv = {
  CART_TTL_SECONDS: envVar.int(CART_DEFAULTS.ttlSeconds, 1, 365 * 24 * 60 * 60),
  CART_MAX_QUANTITY: envVar.int(CART_DEFAULTS.limits.maxQuantity, 1, 1_000_000),
  CART_MAX_LINES: envVar.int(CART_DEFAULTS.limits.maxLines, 1, 10_000),
};

export interface CartServiceSettings {
  NODE_ENV: string;
  REDIS_URL: string;
  REDIS_KEY_PREFIX: string;
  GATEWAY_SECRET?: string;
  CART_TTL_SECONDS: number;
  CART_MAX_QUANTITY: number;
  CART_MAX_LINES: number;
}

/** The environment a cart service reads, besides its PORT. */
export const cartServiceEnv = { ...commonEnv, ...cartEnv };

export interface CartConnection {
  redis: Redis;
  carts: CartCache;
  handoff: IdentityHandoff;
  /** Readiness: Redis answers a PING. */
  checkReady: () => Promise<void>;
  close: () => Promise<void>;
}

/**
 * Connects a service to its carts: the fast-fail Redis client, the cart cache and the verifier of the
 * gateway's hand-off. The service starts even when Redis is down (its /readyz says so until it is up).
 */
export function connectCarts(settings: CartServiceSettings, options: { name: string; logger: Logger }): CartConnection {
  const { secret, warning } = resolveGatewaySecret(settings.NODE_ENV, settings.GATEWAY_SECRET);
  if (warning) options.logger.warn(warning);
  const redis = createRedisClient(settings.REDIS_URL, {
    name: options.name,
    onError: (err) => options.logger.warn({ err: err.message }, 'redis connection error'),
  });
  const carts = createCartCache({
    redis,
    secret,
    prefix: settings.REDIS_KEY_PREFIX,
    ttlSeconds: settings.CART_TTL_SECONDS,
    limits: { maxQuantity: settings.CART_MAX_QUANTITY, maxLines: settings.CART_MAX_LINES },
  });
  return {
    redis,
    carts,
    handoff: createIdentityHandoff(secret),
    checkReady: () => pingRedis(redis),
    close: () => closeRedis(redis),
  };
}
