// Starts the whole storefront in this process (inventory, checkout, then the gateway in front of
// them) on a real Redis (one node, or any topology by its environment), through each app's own start
// function (its declared entry, @storefront/<app>/server), on free ports.
import { TEST_SECRET, uniquePrefix, waitReady } from '@storefront/test-kit';
import type { RunningService } from '@storefront/service-kit';
import { readCheckoutConfig, startCheckout, type PaymentProcessor } from '@storefront/checkout/server';
import { readGatewayConfig, startGateway } from '@storefront/gateway/server';
import { readInventoryConfig, startInventory } from '@storefront/inventory/server';

export { call, newSession, type Answer } from '../support/http';

export interface Storefront {
  gatewayUrl: string;
  inventoryUrl: string;
  checkoutUrl: string;
  prefix: string;
  /** Stops the gateway and starts a new one on the same port (sessions live in Redis). */
  restartGateway(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStorefront(options: {
  /** One Redis node; or `redisEnv` for another topology (testRedisEnv() gives this run's). */
  redisUrl?: string;
  redisEnv?: Record<string, string>;
  payments?: PaymentProcessor;
}): Promise<Storefront> {
  const prefix = uniquePrefix('e2e');
  const redis = options.redisEnv ?? { REDIS_URL: options.redisUrl as string };
  // Other test files run storefronts at the same time: none takes the default METRICS_PORT.
  const env = {
    ...redis,
    GATEWAY_SECRET: TEST_SECRET,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    PORT: '0',
    METRICS_PORT: '0',
  };
  const inventory = await startInventory(readInventoryConfig(env));
  const checkout = await startCheckout(readCheckoutConfig(env), options.payments);
  const inventoryUrl = `http://127.0.0.1:${inventory.port}`;
  const checkoutUrl = `http://127.0.0.1:${checkout.port}`;
  const gatewayEnv = { ...env, INVENTORY_URL: inventoryUrl, CHECKOUT_URL: checkoutUrl, UPSTREAM_TIMEOUT_MS: '2000' };
  let gateway: RunningService = await startGateway(readGatewayConfig(gatewayEnv));
  const gatewayPort = gateway.port;
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  // A service takes requests as soon as it listens, but answers 503 until its Redis connection is up.
  await waitReady([inventoryUrl, checkoutUrl, gatewayUrl]);
  return {
    gatewayUrl,
    inventoryUrl,
    checkoutUrl,
    prefix,
    async restartGateway() {
      await gateway.stop();
      gateway = await startGateway(readGatewayConfig({ ...gatewayEnv, PORT: String(gatewayPort) }));
      await waitReady([gatewayUrl]);
    },
    async stop() {
      await gateway.stop();
      await Promise.all([inventory.stop(), checkout.stop()]);
    },
  };
}
