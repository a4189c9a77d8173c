// Starts checkout from its checked configuration; stop() drains requests and closes Redis.
// This file is the app's declared entry, @storefront/checkout/server: how the end-to-end tests start it
// in their own process. Nothing else of the app is imported from outside it.
import { connectCarts } from '@storefront/cart-cache';
import { createServiceMetrics, flushTracing } from '@storefront/observability';
import { STARTUP_REDIS_WAIT_MS } from '@storefront/redis';
import { createLogger, listenService, type RunningService } from '@storefront/service-kit';
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
  const connection = connectCarts(config, { name: 'checkout', logger, ...metrics.cartConnectionObservers() });
  metrics.watchRedisReadiness(connection.checkReady);
  // Take traffic once Redis is ready (see inventory's server.ts), but start anyway if it is down.
  await connection.redis.waitUntilReady(STARTUP_REDIS_WAIT_MS).catch(() => undefined);
  const app = createApp({
    ...connection,
    payments,
    logger,
    observeRequest: metrics.requestObserver(),
    onCheckout: metrics.checkoutObserver(),
  });
  return listenService(app, {
    port: config.PORT,
    metricsPort: config.METRICS_PORT,
    renderMetrics: metrics.render,
    // The spans of the last requests go last (nothing when tracing is off).
    closeAfter: [connection.close, flushTracing],
  });
}
