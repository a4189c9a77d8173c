// Checkout's metrics, read from its own METRICS_PORT after known checkouts: each outcome counted once.
import type { Redis } from 'ioredis';
import { createCartCache } from '@storefront/cart-cache';
import { closeRedis } from '@storefront/redis';
import {
  TEST_SECRET,
  connectFastFailClient,
  freePort,
  freshShopper,
  gatewayIdentity,
  scrapeMetrics,
  testRedisUrl,
  uniquePrefix,
} from '@storefront/test-kit';
import type { RunningService } from '@storefront/service-kit';
import { readCheckoutConfig } from '../src/config';
import { startCheckout } from '../src/server';

let checkout: RunningService;
let redis: Redis;
let prefix: string;

beforeAll(async () => {
  prefix = uniquePrefix('checkout-metrics');
  redis = await connectFastFailClient();
  checkout = await startCheckout(
    readCheckoutConfig({
      REDIS_URL: testRedisUrl(),
      GATEWAY_SECRET: TEST_SECRET,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      PORT: '0',
      METRICS_PORT: String(await freePort()),
    }),
  );
});
afterAll(async () => {
  await checkout.stop();
  await closeRedis(redis);
});

async function checkOut(shopper: string, paymentToken: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${checkout.port}/Cart/checkout`, {
    method: 'PATCH',
    headers: { ...gatewayIdentity(shopper, 'PATCH', '/Cart/checkout'), 'content-type': 'application/json' },
    body: JSON.stringify({ payment: { token: paymentToken } }),
  });
  await res.arrayBuffer();
  return res.status;
}

it('counts placed, declined and empty checkouts exactly', async () => {
  const carts = createCartCache({ redis, secret: TEST_SECRET, prefix });
  const shopper = freshShopper();
  const metricsUrl = `http://127.0.0.1:${checkout.metricsPort}/metrics`;
  const before = await scrapeMetrics(metricsUrl);
  await carts.add(shopper, 'badger-plush', 1);
  const declined = await checkOut(shopper, 'tok_declined');
  const placed = await checkOut(shopper, 'tok_ok');
  const empty = await checkOut(shopper, 'tok_ok');
  expect([declined, placed, empty]).toEqual([402, 200, 400]);
  const after = await scrapeMetrics(metricsUrl);
  const moved = (outcome: string) =>
    after.value('storefront_checkouts_total', { outcome }) - before.value('storefront_checkouts_total', { outcome });
  expect(['placed', 'declined', 'empty', 'failed'].map(moved)).toEqual([1, 1, 1, 0]);
  const route = { method: 'PATCH', route: '/Cart/checkout' };
  expect(after.value('http_request_duration_seconds_count', { ...route, status: '200' })).toBe(1);
});
