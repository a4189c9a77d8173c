// The load generator against a real storefront: the three services started from their built bundles,
// as `npm start` runs them, on the test Redis. A short run must account for every request it made.
import {
  TEST_SECRET,
  builtApp,
  startNodeService,
  testRedisUrl,
  uniquePrefix,
  type NodeService,
} from '@storefront/test-kit';
import { formatSummary, runShoppers } from '../src/shoppers';

const services: NodeService[] = [];
let gatewayUrl: string;

beforeAll(async () => {
  const env = {
    REDIS_URL: testRedisUrl(),
    GATEWAY_SECRET: TEST_SECRET,
    REDIS_KEY_PREFIX: uniquePrefix('load'),
    LOG_LEVEL: 'warn',
  };
  const start = async (app: string, extra: Record<string, string> = {}) => {
    const service = await startNodeService({ name: app, script: builtApp(app), env: { ...env, ...extra } });
    services.push(service);
    return service;
  };
  const [inventory, checkout] = await Promise.all([start('inventory'), start('checkout')]);
  gatewayUrl = (await start('gateway', { INVENTORY_URL: inventory.url, CHECKOUT_URL: checkout.url })).url;
});
afterAll(() => Promise.all(services.map((service) => service.stop())));

it('makes the requests asked for, in the mix, and places orders', async () => {
  const summary = await runShoppers({ url: gatewayUrl, shoppers: 4, requests: 400, seconds: 60 });
  expect(summary.requests).toBe(400);
  // Every answer a success: 200 (browse, view, checkout) or 201 (add).
  expect(summary.errors).toBe(0);
  expect(Object.keys(summary.statuses).sort()).toEqual(['200', '201']);
  expect(summary.statuses['200'] + summary.statuses['201']).toBe(400);
  const { browse, add, checkout } = summary.actions;
  expect(browse + add + summary.actions['view cart'] + checkout).toBe(400);
  expect(summary.statuses['201']).toBe(add);
  // Browsing is the most common action (10 of 16); every checkout places an order.
  expect(browse).toBeGreaterThan(add + checkout);
  expect(checkout).toBeGreaterThan(0);
  expect(summary.orders).toBe(checkout);
  expect(formatSummary(summary)).toContain(`orders placed: ${summary.orders}`);
});

it('stops at its time limit before its request count', async () => {
  const summary = await runShoppers({ url: gatewayUrl, shoppers: 2, requests: 1_000_000, seconds: 1 });
  expect(summary.requests).toBeLessThan(1_000_000);
  expect(summary.seconds).toBeLessThan(3);
});
