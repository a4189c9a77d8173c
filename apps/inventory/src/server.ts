// Starts inventory from its checked configuration; stop() drains requests and closes Redis.
// This file is the app's declared entry, @storefront/inventory/server: how the end-to-end tests start it
// in their own process. Nothing else of the app is imported from outside it.
import { connectCarts } from '@storefront/cart-cache';
import { createServiceMetrics, flushTracing } from '@storefront/observability';
import { STARTUP_REDIS_WAIT_MS } from '@storefront/redis';
import { createLogger, listenService, type RunningService } from '@storefront/service-kit';
import { createApp } from './app';
import type { InventoryConfig } from './config';

export { readInventoryConfig } from './config';

export async function startInventory(config: InventoryConfig): Promise<RunningService> {
  const logger = createLogger({ name: 'inventory', level: config.LOG_LEVEL });
  const metrics = createServiceMetrics();
  const connection = connectCarts(config, { name: 'inventory', logger, ...metrics.cartConnectionObservers() });
  metrics.watchRedisReadiness(connection.checkReady);
  // Take traffic once Redis is ready, so a restarted instance does not answer its first requests 503;
  // but never wait long: with Redis down the service starts anyway and /readyz says so.
  await connection.redis.waitUntilReady(STARTUP_REDIS_WAIT_MS).catch(() => undefined);
  const app = createApp({ ...connection, logger, observeRequest: metrics.requestObserver() });
  return listenService(app, {
    port: config.PORT,
    metricsPort: config.METRICS_PORT,
    renderMetrics: metrics.render,
    // The spans of the last requests go last (nothing when tracing is off).
    closeAfter: [connection.close, flushTracing],
  });
}
