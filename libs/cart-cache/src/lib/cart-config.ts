// The settings of a service that holds carts (docs/CONTRACT.md "Services" and "Cart rules"), and the wiring
// from those settings to a connected cart cache, shared by inventory and checkout.
import { z } from 'zod';
import {
  connectRedis,
  redisEnv,
  type CommandObserver,
  type RedisConnection,
  type RedisSettings,
} from '@storefront/redis';
import {
  commonEnv,
  createIdentityHandoff,
  envVar,
  readConfig,
  resolveGatewaySecret,
  servicePorts,
  type IdentityHandoff,
  type Logger,
} from '@storefront/service-kit';
import { CART_DEFAULTS, createCartCache, type CartCache } from './cart-cache';
import { countOperations, type CartOperationObserver } from './counted-operations';

export const cartEnv = {
  CART_TTL_SECONDS: envVar.int(CART_DEFAULTS.ttlSeconds, 1, 365 * 24 * 60 * 60),
  CART_MAX_QUANTITY: envVar.int(CART_DEFAULTS.limits.maxQuantity, 1, 1_000_000),
  CART_MAX_LINES: envVar.int(CART_DEFAULTS.limits.maxLines, 1, 10_000),
};

export interface CartServiceSettings extends RedisSettings {
  NODE_ENV: string;
  REDIS_KEY_PREFIX: string;
  GATEWAY_SECRET?: string;
  CART_TTL_SECONDS: number;
  CART_MAX_QUANTITY: number;
  CART_MAX_LINES: number;
}

/** The environment a cart service reads, besides its ports. */
export const cartServiceEnv = { ...commonEnv, ...redisEnv, ...cartEnv };

/** The checked-configuration reader of a cart service (inventory, checkout) with its default ports. */
export function cartServiceConfigReader(port: number, metricsPort: number) {
  const schema = z.object({ ...cartServiceEnv, ...servicePorts(port, metricsPort) });
  return (env: NodeJS.ProcessEnv = process.env): z.infer<typeof schema> => readConfig(schema, env);
}

export interface CartConnection {
  redis: RedisConnection;
  carts: CartCache;
  handoff: IdentityHandoff;
  /** Readiness: Redis can serve (see RedisConnection.checkReady). */
  checkReady: () => Promise<void>;
  close: () => Promise<void>;
}

/**
 * Connects a service to its carts: the fast-fail Redis client of the chosen topology, the cart cache
 * and the verifier of the gateway's hand-off. The service starts even when Redis is down (its
 * /readyz says so until it is up).
 */
export interface CartConnectionOptions {
  /** Shown in Redis's CLIENT LIST, and in the logs. */
  name: string;
  logger: Logger;
  /** The metrics: told of every cart operation's outcome, and of every Redis command. */
  onCartOperation?: CartOperationObserver;
  onRedisCommand?: CommandObserver;
}

export function connectCarts(settings: CartServiceSettings, options: CartConnectionOptions): CartConnection {
  const { secret, warning } = resolveGatewaySecret(settings.NODE_ENV, settings.GATEWAY_SECRET);
  if (warning) options.logger.warn(warning);
  const redis = connectRedis(settings, {
    name: options.name,
    onError: (err) => options.logger.warn({ err: err.message }, 'redis connection error'),
    onCommand: options.onRedisCommand,
  });
  const cache = createCartCache({
    redis: redis.client,
    writeConcern: redis.writeConcern,
    secret,
    prefix: settings.REDIS_KEY_PREFIX,
    ttlSeconds: settings.CART_TTL_SECONDS,
    limits: { maxQuantity: settings.CART_MAX_QUANTITY, maxLines: settings.CART_MAX_LINES },
  });
  const carts = options.onCartOperation ? countOperations(cache, options.onCartOperation) : cache;
  return {
    redis,
    carts,
    handoff: createIdentityHandoff(secret),
    checkReady: redis.checkReady,
    close: redis.close,
  };
}
