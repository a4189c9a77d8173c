// Starts checkout from its checked configuration; stop() drains requests and closes Redis.
import { connectCarts } from '@storefront/cart-cache';
import { boundPort, closeServer, createLogger, listen, type RunningService } from '@storefront/service-kit';
import { createApp } from './app';
import type { CheckoutConfig } from './config';
import { stubPaymentProcessor } from './payment';

export async function startCheckout(config: CheckoutConfig): Promise<RunningService> {
  const logger = createLogger({ name: 'checkout', level: config.LOG_LEVEL });
  const connection = connectCarts(config, { name: 'checkout', logger });
  const server = await listen(createApp({ ...connection, payments: stubPaymentProcessor, logger }), config.PORT);
  return {
    port: boundPort(server),
    async stop() {
      await closeServer(server);
      await connection.close();
    },
  };
}
