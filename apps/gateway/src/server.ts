// Starts the gateway from its checked configuration; stop() drains requests and closes Redis.
// This file is the app's declared entry, @storefront/gateway/server: how the end-to-end tests start it
// in their own process. Nothing else of the app is imported from outside it.
import { createServiceMetrics, flushTracing } from '@storefront/observability';
import { STARTUP_REDIS_WAIT_MS, connectRedis } from '@storefront/redis';
import {
  createIdentityHandoff,
  createLogger,
  listenService,
  resolveGatewaySecret,
  type RunningService,
} from '@storefront/service-kit';
import { createApp } from './app';
import type { GatewayConfig } from './config';
import { createUpstreamAgent } from './proxy';
import { createSessionStore } from './sessions';

export { readGatewayConfig } from './config';

export async function startGateway(config: GatewayConfig): Promise<RunningService> {
  const logger = createLogger({ name: 'gateway', level: config.LOG_LEVEL });
  const { secret, warning } = resolveGatewaySecret(config.NODE_ENV, config.GATEWAY_SECRET);
  if (warning) logger.warn(warning);
  const metrics = createServiceMetrics();
  const redis = connectRedis(config, {
    name: 'gateway',
    onError: (err) => logger.warn({ err: err.message }, 'redis connection error'),
    onCommand: metrics.redisCommandObserver(),
  });
  metrics.watchRedisReadiness(redis.checkReady);
  // Take traffic once Redis is ready (see inventory's server.ts), but start anyway if it is down.
  await redis.waitUntilReady(STARTUP_REDIS_WAIT_MS).catch(() => undefined);
  const agent = createUpstreamAgent();
  const app = createApp({
    sessions: createSessionStore({
      redis: redis.client,
      secret,
      prefix: config.REDIS_KEY_PREFIX,
      ttlSeconds: config.SESSION_TTL_SECONDS,
      rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    }),
    handoff: createIdentityHandoff(secret),
    logger,
    checkReady: redis.checkReady,
    inventoryUrl: config.INVENTORY_URL,
    checkoutUrl: config.CHECKOUT_URL,
    agent,
    upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS,
    secureCookies: config.NODE_ENV === 'production',
    observeRequest: metrics.requestObserver(),
    pageDir: config.PAGE_DIR,
  });
  return listenService(app, {
    port: config.PORT,
    metricsPort: config.METRICS_PORT,
    renderMetrics: metrics.render,
    // The spans of the last requests go last (nothing when tracing is off).
    closeAfter: [() => agent.destroy(), redis.close, flushTracing],
  });
}
