// Starts checkout from its checked configuration; stop() drains requests and closes Redis.
// This file is the app's declared entry, @storefront/checkout/server: how the end-to-end tests start it
// in their own process. Nothing else of the app is imported from outside it.
import { connectCarts } from '@storefront/cart-cache';
import { createServiceMetrics, flushTracing, startMetricsServer } from '@storefront/observability';
import { STARTUP_REDIS_WAIT_MS } from '@storefront/redis';
import { boundPort, closeServer, createLogger, listen, type RunningService } from '@storefront/service-kit';
import { createApp } from './app';
import type { CheckoutConfig } from './config';
import { stubPaymentProcessor, type PaymentProcessor } from './payment';

export { readCheckoutConfig } from './config';
export { stubPaymentProcessor, type PaymentProcessor, type PaymentRequest, type PaymentResult } from './payment';

/** `payments` defaults to the stub processor; tests pass their own to hold a payment open. */
export async function startCheckout(
  config: CheckoutConfig,
  payments: PaymentProcessor = stubPaymentProcessor,
): Promise<RunningService> {
  const logger = createLogger({ name: 'checkout', level: config.LOG_LEVEL });
  const metrics = createServiceMetrics();
  const connection = connectCarts(config, {
    name: 'checkout',
    logger,
    onCartOperation: metrics.cartOperationObserver(),
    onRedisCommand: metrics.redisCommandObserver(),
  });
  metrics.watchRedisReadiness(connection.checkReady);
  // Take traffic once Redis is ready, so a restarted instance does not answer its first requests 503;
  // but never wait long: with Redis down the service starts anyway and /readyz says so.
  await connection.redis.waitUntilReady(STARTUP_REDIS_WAIT_MS).catch(() => undefined);
  const metricsServer = await startMetricsServer(metrics.render, config.METRICS_PORT);
  const app = createApp({
    ...connection,
    payments,
    logger,
    observeRequest: metrics.requestObserver(),
    onCheckout: metrics.checkoutObserver(),
  });
  const server = await listen(app, config.PORT);
  return {
    port: boundPort(server),
    metricsPort: metricsServer?.port,
    async stop() {
      await closeServer(server);
      await metricsServer?.close();
      await connection.close();
      // The spans of the last requests, still buffered for export (nothing when tracing is off).
      await flushTracing();
    },
  };
}
