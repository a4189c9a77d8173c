// Starts inventory from its checked configuration; stop() drains requests and closes Redis.
// This file is the app's declared entry, @storefront/inventory/server: how the end-to-end tests start it
// in their own process. Nothing else of the app is imported from outside it.
import { connectCarts } from '@storefront/cart-cache';
import { STARTUP_REDIS_WAIT_MS } from '@storefront/redis';
import { boundPort, closeServer, createLogger, listen, type RunningService } from '@storefront/service-kit';
import { createApp } from './app';
import type { InventoryConfig } from './config';

export { readInventoryConfig } from './config';

export async function startInventory(config: InventoryConfig): Promise<RunningService> {
  const logger = createLogger({ name: 'inventory', level: config.LOG_LEVEL });
  const connection = connectCarts(config, { name: 'inventory', logger });
  // Take traffic once Redis is ready, so a restarted instance does not answer its first requests 503;
  // but never wait long: with Redis down the service starts anyway and /readyz says so.
  await connection.redis.waitUntilReady(STARTUP_REDIS_WAIT_MS).catch(() => undefined);
  const server = await listen(createApp({ ...connection, logger }), config.PORT);
  return {
    port: boundPort(server),
    async stop() {
      await closeServer(server);
      await connection.close();
    },
  };
}
