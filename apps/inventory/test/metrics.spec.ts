// Inventory's metrics, read from its own METRICS_PORT after known traffic: each count moves by exactly
// what the traffic did, and the public port has no /metrics.
import {
  TEST_SECRET,
  freePort,
  freshShopper,
  gatewayIdentity,
  scrapeMetrics,
  testRedisEnv,
  uniquePrefix,
} from '@storefront/test-kit';
import type { RunningService } from '@storefront/service-kit';
import { readInventoryConfig } from '../src/config';
import { startInventory } from '../src/server';

let inventory: RunningService;
let base: string;
let metricsUrl: string;

beforeAll(async () => {
  inventory = await startInventory(
    readInventoryConfig({
      ...testRedisEnv(),
      GATEWAY_SECRET: TEST_SECRET,
      REDIS_KEY_PREFIX: uniquePrefix('inventory-metrics'),
      LOG_LEVEL: 'silent',
      PORT: '0',
      METRICS_PORT: String(await freePort()),
      CART_MAX_QUANTITY: '5',
    }),
  );
  base = `http://127.0.0.1:${inventory.port}`;
  metricsUrl = `http://127.0.0.1:${inventory.metricsPort}/metrics`;
});
afterAll(async () => {
  await inventory.stop();
});

async function send(shopper: string, method: string, path: string, body?: unknown): Promise<number> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...gatewayIdentity(shopper, method, path), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

it('counts three adds, a refused add and a read exactly: requests, cart operations and Redis commands', async () => {
  const shopper = freshShopper();
  const before = await scrapeMetrics(metricsUrl);
  const statuses = [
    await send(shopper, 'POST', '/Cart/Item', { id: 'badger-plush' }),
    await send(shopper, 'POST', '/Cart/Item', { id: 'badger-plush' }),
    await send(shopper, 'POST', '/Cart/Item', { id: 'badger-plush' }),
    await send(shopper, 'POST', '/Cart/Item', { id: 'badger-plush', quantity: 5 }), // 3 + 5 is over 5
    await send(shopper, 'GET', '/Cart'),
  ];
  expect(statuses).toEqual([201, 201, 201, 422, 200]);
  const after = await scrapeMetrics(metricsUrl);
  const moved = (name: string, labels: Record<string, string>) =>
    after.value(name, labels) - before.value(name, labels);

  const requests = 'http_request_duration_seconds_count';
  expect(moved(requests, { method: 'POST', route: '/Cart/Item', status: '201' })).toBe(3);
  expect(moved(requests, { method: 'POST', route: '/Cart/Item', status: '422' })).toBe(1);
  expect(moved(requests, { method: 'GET', route: '/Cart', status: '200' })).toBe(1);

  const operations = 'storefront_cart_operations_total';
  expect(moved(operations, { operation: 'add', outcome: 'ok' })).toBe(3);
  expect(moved(operations, { operation: 'add', outcome: 'limit' })).toBe(1);
  expect(moved(operations, { operation: 'read', outcome: 'ok' })).toBe(1);
  expect(moved(operations, { operation: 'add', outcome: 'unavailable' })).toBe(0);

  // One script per cart request: EVAL the first time on a connection, EVALSHA after.
  const scripts = (snapshot: typeof after) =>
    snapshot.value('storefront_redis_command_duration_seconds_count', { command: 'evalsha' }) +
    snapshot.value('storefront_redis_command_duration_seconds_count', { command: 'eval' });
  expect(scripts(after) - scripts(before)).toBe(5);
  expect(after.value('storefront_redis_command_errors_total', { command: 'evalsha' })).toBe(0);
  expect(after.value('storefront_redis_ready')).toBe(1);
});

it('serves no /metrics on the public port', async () => {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(404);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  const scraped = await scrapeMetrics(metricsUrl);
  expect(
    scraped.value('http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' }),
  ).toBe(1);
});
