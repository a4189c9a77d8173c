// Concurrent changes to one cart, from several connections (as from several service instances):
// every change counts and the limits hold, where a read-modify-write of the whole cart loses updates.
import type { Cluster, Redis } from 'ioredis';
import { CartLimitError, createCartCache } from '@storefront/cart-cache';
import type { RedisConnection } from '@storefront/redis';
import {
  TEST_SECRET,
  connectTestStore,
  freshShopper,
  inspectTestStore,
  keysMatching,
  uniquePrefix,
} from '@storefront/test-kit';

const INSTANCES = 4;
let connections: RedisConnection[];
let inspect: Redis | Cluster;

beforeAll(async () => {
  connections = await Promise.all(Array.from({ length: INSTANCES }, (_, i) => connectTestStore(`instance-${i}`)));
  inspect = inspectTestStore();
});
afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
  await inspect.quit();
});

function cachesSharing(prefix: string, maxQuantity?: number) {
  return connections.map(({ client }) =>
    createCartCache({ redis: client, secret: TEST_SECRET, prefix, limits: maxQuantity ? { maxQuantity } : undefined }),
  );
}

it('when 1,000 adds of one unit race over 10 items, every line ends at exactly 100', async () => {
  const prefix = uniquePrefix('concurrency');
  const caches = cachesSharing(prefix, 1000);
  const shopper = freshShopper();
  const items = Array.from({ length: 10 }, (_, i) => `item-${i}`);
  await Promise.all(Array.from({ length: 1000 }, (_, i) => caches[i % INSTANCES].add(shopper, items[i % 10], 1)));
  const [cartKey] = await keysMatching(inspect, `${prefix}cart:*`);
  expect(await inspect.hgetall(cartKey)).toEqual(Object.fromEntries(items.map((id) => [id, '100'])));
});

it('when 200 adds of one item race, exactly 99 succeed, 101 hit CART_LIMIT and the line ends at 99', async () => {
  const prefix = uniquePrefix('concurrency');
  const caches = cachesSharing(prefix);
  const shopper = freshShopper();
  const results = await Promise.allSettled(
    Array.from({ length: 200 }, (_, i) => caches[i % INSTANCES].add(shopper, 'badger-mug', 1)),
  );
  const ok = results.filter((result) => result.status === 'fulfilled').length;
  const limited = results.filter(
    (result) => result.status === 'rejected' && result.reason instanceof CartLimitError,
  ).length;
  expect({ ok, limited }).toEqual({ ok: 99, limited: 101 });
  const [cartKey] = await keysMatching(inspect, `${prefix}cart:*`);
  expect(await inspect.hget(cartKey, 'badger-mug')).toBe('99');
});
